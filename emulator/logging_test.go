package emulator_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsCarryNoSecrets runs every flow with debug logging and checks that
// no secret, code, token, session_key or openid reaches the log.
func TestLogsCarryNoSecrets(t *testing.T) {
	var logs lockedBuffer
	v := newEnv(t, func(o *emulator.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	mp := v.app(wechat.AppTypeMiniProgram, "acme")
	web := v.app(wechat.AppTypeWebsite, "acme")
	uid := v.user()
	var secrets []string
	secrets = append(secrets, mp.Secret, web.Secret)
	code, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	secrets = append(secrets, code)
	sess, err := v.client(mp).Code2Session(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, sess.SessionKey.Reveal(), sess.OpenID, sess.UnionID)
	tok := v.appToken(mp)
	secrets = append(secrets, tok.Reveal())
	oc := v.oauthCode(web, uid)
	ut, err := v.client(web).ExchangeCode(ctx, oc)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, oc, ut.AccessToken.Reveal(), ut.RefreshToken.Reveal())
	p, _ := v.e.MiniProgramPhoneNumber(mp.AppID, uid)
	secrets = append(secrets, p.Code)
	if _, err := v.client(mp).GetUserPhoneNumber(ctx, tok, p.Code, ""); err != nil {
		t.Fatal(err)
	}
	newSecret, _ := v.ctl.ResetSecret(ctx, mp.AppID)
	secrets = append(secrets, newSecret)
	v.get("/sns/jscode2session", url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}, "js_code": {"x"}})
	out := logs.String()
	if !strings.Contains(out, "path=/sns/jscode2session") || !strings.Contains(out, "app created") {
		t.Fatalf("debug logs missing: %s", out)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Fatalf("the log contains %q:\n%s", s, out)
		}
	}
	a, _ := v.e.App(mp.AppID)
	if s := fmt.Sprint(a); strings.Contains(s, a.Secret) || !strings.Contains(s, a.AppID) {
		t.Fatalf("App prints its secret: %s", s)
	}
}

func TestExpiredTokensAreForgottenAfterADay(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	mp := v.app(wechat.AppTypeMiniProgram, "")
	ctx := context.Background()
	ut, err := v.client(web).ExchangeCode(ctx, v.oauthCode(web, v.user()))
	if err != nil {
		t.Fatal(err)
	}
	at := v.appToken(mp).Reveal()
	v.e.Advance(7200 * time.Second)
	wantWeChat(t, v.client(web).CheckAuth(ctx, ut.AccessToken, ut.OpenID), 42001)
	if got := tokenState(t, v, at); got != "42001" {
		t.Fatal(got)
	}
	v.e.Advance(31 * 24 * time.Hour)
	// The next issuance sweeps what expired more than a day ago.
	if _, err := v.client(web).ExchangeCode(ctx, v.oauthCode(web, v.user())); err != nil {
		t.Fatal(err)
	}
	v.appToken(mp)
	wantWeChat(t, v.client(web).CheckAuth(ctx, ut.AccessToken, ut.OpenID), 40014)
	_, err = v.client(web).RefreshToken(ctx, ut.RefreshToken)
	wantWeChat(t, err, 40030)
	if got := tokenState(t, v, at); got != "40014" {
		t.Fatalf("forgotten app token: %s", got)
	}
}

func TestSwitchFlagValue(t *testing.T) {
	var s emulator.Switch
	if !s.IsBoolFlag() || s.On(true) != true || s.String() != "default" {
		t.Fatal("zero Switch")
	}
	if err := s.Set("false"); err != nil || s != emulator.SwitchOff || s.On(true) {
		t.Fatal("Set false")
	}
	if err := s.Set("maybe"); err == nil {
		t.Fatal("Set maybe")
	}
	if b, _ := emulator.SwitchOn.MarshalJSON(); string(b) != "true" {
		t.Fatal(string(b))
	}
	if err := (emulator.Behaviour{StrictStateCharset: 7, JSCodeRateScope: "x", ExpiredCodeErrcode: 1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "strict_state_charset") || !strings.Contains(err.Error(), "jscode_rate_scope") || !strings.Contains(err.Error(), "expired_code_errcode") {
		t.Fatalf("Validate: %v", err)
	}
}
