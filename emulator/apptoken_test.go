package emulator_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// tokenState calls wxa/checksession with a mini-program token and returns
// the errcode it answers for the token: 0 when the token is accepted (the
// call then fails later, on the unknown openid, with 40003).
func tokenState(t *testing.T, v *env, tok string) string {
	t.Helper()
	m := v.get("/wxa/checksession", url.Values{"access_token": {tok}, "openid": {"o-nobody"}, "signature": {"x"}, "sig_method": {"hmac_sha256"}})
	code := m["errcode"].(interface{ String() string }).String()
	if code == "40003" {
		return "0"
	}
	return code
}

func TestCgiBinToken(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	q := url.Values{"grant_type": {"client_credential"}, "appid": {mp.AppID}, "secret": {mp.Secret}}
	m := v.get("/cgi-bin/token", q)
	wantNoErrcode(t, m)
	wantNumber(t, m, "expires_in", 7200)
	t1 := str(m, "access_token")
	if len(t1) < 100 {
		t.Fatalf("token %q", t1)
	}
	if got := tokenState(t, v, t1); got != "0" {
		t.Fatalf("fresh token: %s", got)
	}
	// A second fetch: a new token; the first keeps working five minutes.
	v.e.Advance(time.Hour)
	t2 := str(v.get("/cgi-bin/token", q), "access_token")
	if t2 == t1 {
		t.Fatal("every call issues a new token")
	}
	v.e.Advance(5*time.Minute - time.Second)
	if got := tokenState(t, v, t1); got != "0" {
		t.Fatalf("superseded token within grace: %s", got)
	}
	v.e.Advance(time.Second)
	if got := tokenState(t, v, t1); got != "40001" {
		t.Fatalf("superseded token after grace: %s, want 40001", got)
	}
	if got := tokenState(t, v, t2); got != "0" {
		t.Fatalf("current token: %s", got)
	}
	// Expiry after 7200 s.
	v.e.Advance(7200*time.Second - 5*time.Minute - time.Second)
	if got := tokenState(t, v, t2); got != "0" {
		t.Fatalf("token at 7199 s: %s", got)
	}
	v.e.Advance(time.Second)
	if got := tokenState(t, v, t2); got != "42001" {
		t.Fatalf("token at 7200 s: %s, want 42001", got)
	}
	for _, tc := range []struct{ tok, code string }{{"", "41001"}, {"never-issued", "40014"}} {
		if got := tokenState(t, v, tc.tok); got != tc.code {
			t.Fatalf("token %q: %s, want %s", tc.tok, got, tc.code)
		}
	}
	// A user access token is not an app token.
	web := v.app(wechat.AppTypeWebsite, "")
	ut, err := v.client(web).ExchangeCode(context.Background(), v.oauthCode(web, v.user()))
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenState(t, v, ut.AccessToken.Reveal()); got != "40014" {
		t.Fatalf("user token: %s, want 40014", got)
	}
}

func TestCgiBinTokenErrors(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	web := v.app(wechat.AppTypeWebsite, "")
	_ = v.app(wechat.AppTypeMobile, "") // mobile apps may fetch tokens (OpenSDK QR login): sdkqr_test.go
	for _, tc := range []struct {
		name string
		q    url.Values
		code string
	}{
		{"missing grant_type", url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}}, "40002"},
		{"wrong grant_type", url.Values{"grant_type": {"authorization_code"}, "appid": {mp.AppID}, "secret": {mp.Secret}}, "40002"},
		{"missing appid", url.Values{"grant_type": {"client_credential"}, "secret": {mp.Secret}}, "41002"},
		{"missing secret", url.Values{"grant_type": {"client_credential"}, "appid": {mp.AppID}}, "41004"},
		{"unknown appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wx00"}, "secret": {mp.Secret}}, "40013"},
		{"website app", url.Values{"grant_type": {"client_credential"}, "appid": {web.AppID}, "secret": {web.Secret}}, "40013"},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {mp.AppID}, "secret": {"0123456789"}}, "40125"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.get("/cgi-bin/token", tc.q), tc.code) })
	}
}

func TestCgiBinTokenDailyQuota(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{TokenDailyQuota: 3}))
	mp := v.app(wechat.AppTypeMiniProgram, "")
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	wc := v.client(mp)
	ctx := context.Background()
	// t0 is 12:00 in UTC+8: the day ends in 12 hours.
	for i := 0; i < 3; i++ {
		if _, err := wc.AccessToken(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, err := wc.AccessToken(ctx)
	wantWeChat(t, err, 45009)
	if _, err := v.client(oa).AccessToken(ctx); err != nil {
		t.Fatalf("the quota is per app: %v", err)
	}
	// stable_token is independent of this quota.
	if _, err := wc.StableAccessToken(ctx, false); err != nil {
		t.Fatal(err)
	}
	v.e.Advance(12*time.Hour - time.Second) // 23:59:59 in UTC+8
	_, err = wc.AccessToken(ctx)
	wantWeChat(t, err, 45009)
	v.e.Advance(time.Second) // midnight in UTC+8 (16:00 UTC)
	if _, err := wc.AccessToken(ctx); err != nil {
		t.Fatalf("new day: %v", err)
	}
}

func TestCgiBinTokenDefaultQuotaIs2000(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	q := url.Values{"grant_type": {"client_credential"}, "appid": {mp.AppID}, "secret": {mp.Secret}}
	for i := 0; i < 2000; i++ {
		resp, err := v.srv.Client().Get(v.srv.URL + "/cgi-bin/token?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	wantCode(t, v.get("/cgi-bin/token", q), "45009")
}

func TestStableToken(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	body := `{"grant_type":"client_credential","appid":"` + mp.AppID + `","secret":"` + mp.Secret + `"}`
	m := v.post("/cgi-bin/stable_token", nil, "application/json", body)
	wantNoErrcode(t, m)
	wantNumber(t, m, "expires_in", 7200)
	s1 := str(m, "access_token")
	// Same token while valid, with the remaining lifetime.
	v.e.Advance(100 * time.Second)
	m = v.post("/cgi-bin/stable_token", nil, "application/json", body)
	wantNumber(t, m, "expires_in", 7100)
	if str(m, "access_token") != s1 {
		t.Fatal("stable_token must return the same token while valid")
	}
	// Independent of cgi-bin/token: fetching classic tokens changes nothing.
	v.appToken(mp)
	v.appToken(mp)
	if got := tokenState(t, v, s1); got != "0" {
		t.Fatalf("stable token after classic fetches: %s", got)
	}
	if str(v.post("/cgi-bin/stable_token", nil, "application/json", body), "access_token") != s1 {
		t.Fatal("classic fetches must not rotate the stable token")
	}
	// Rotation in the last five minutes; the old token works until its own expiry.
	v.e.Advance(7200*time.Second - 100*time.Second - 5*time.Minute - time.Second)
	m = v.post("/cgi-bin/stable_token", nil, "application/json", body)
	if str(m, "access_token") != s1 {
		t.Fatal("rotated too early")
	}
	wantNumber(t, m, "expires_in", 301)
	v.e.Advance(time.Second)
	m = v.post("/cgi-bin/stable_token", nil, "application/json", body)
	s2 := str(m, "access_token")
	if s2 == s1 {
		t.Fatal("want a new token in the last five minutes")
	}
	wantNumber(t, m, "expires_in", 7200)
	v.e.Advance(5*time.Minute - time.Second)
	if got := tokenState(t, v, s1); got != "0" {
		t.Fatalf("old stable token before its expiry: %s", got)
	}
	v.e.Advance(time.Second)
	if got := tokenState(t, v, s1); got != "42001" {
		t.Fatalf("old stable token at its expiry: %s", got)
	}
	if got := tokenState(t, v, s2); got != "0" {
		t.Fatalf("new stable token: %s", got)
	}
}

func TestStableTokenForceRefresh(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{StableForceTooSoon: emulator.TooSoonError}))
	mp := v.app(wechat.AppTypeMiniProgram, "")
	wc := v.client(mp)
	ctx := context.Background()
	s1, err := wc.StableAccessToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := wc.StableAccessToken(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if s2.AccessToken.Equal(s1.AccessToken) {
		t.Fatal("force_refresh must issue a new token")
	}
	if got := tokenState(t, v, s1.AccessToken.Reveal()); got != "40001" {
		t.Fatalf("force-refreshed token: %s, want 40001 at once", got)
	}
	// 30 s apart: refused with an error under the strict option.
	v.e.Advance(29 * time.Second)
	_, err = wc.StableAccessToken(ctx, true)
	wantWeChat(t, err, 45011)
	v.e.Advance(time.Second)
	for i := 1; i < 20; i++ { // 19 more: 20 in the day
		if _, err := wc.StableAccessToken(ctx, true); err != nil {
			t.Fatalf("force #%d: %v", i+1, err)
		}
		v.e.Advance(30 * time.Second)
	}
	_, err = wc.StableAccessToken(ctx, true)
	wantWeChat(t, err, 45009)
	v.e.Advance(24 * time.Hour)
	if _, err := wc.StableAccessToken(ctx, true); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

// By default a force_refresh within 30 s of the previous one answers the
// current token, as WeChat's documentation says ("will not be refreshed").
func TestStableTokenTooSoonAnswersTheCurrentToken(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	wc := v.client(mp)
	ctx := context.Background()
	s1, err := wc.StableAccessToken(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	v.e.Advance(10 * time.Second)
	s2, err := wc.StableAccessToken(ctx, true)
	if err != nil || !s2.AccessToken.Equal(s1.AccessToken) || s2.ExpiresIn != 7190*time.Second {
		t.Fatalf("too soon: %+v %v, want the current token unchanged", s2, err)
	}
}

func TestStableTokenErrors(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	for _, tc := range []struct{ name, ct, body, code string }{
		{"form body", "application/x-www-form-urlencoded", "grant_type=client_credential&appid=" + mp.AppID + "&secret=" + mp.Secret, "41002"},
		{"empty body", "application/json", "", "41002"},
		{"wrong grant_type", "application/json", `{"grant_type":"x","appid":"` + mp.AppID + `","secret":"` + mp.Secret + `"}`, "40002"},
		{"missing appid", "application/json", `{"grant_type":"client_credential","secret":"` + mp.Secret + `"}`, "41002"},
		{"missing secret", "application/json", `{"grant_type":"client_credential","appid":"` + mp.AppID + `"}`, "41004"},
		{"wrong secret", "application/json", `{"grant_type":"client_credential","appid":"` + mp.AppID + `","secret":"nopenopenope"}`, "40125"},
		{"unknown appid", "application/json", `{"grant_type":"client_credential","appid":"wxx","secret":"nopenopenope"}`, "40013"},
		{"force_refresh not boolean", "application/json", `{"grant_type":"client_credential","appid":"` + mp.AppID + `","secret":"` + mp.Secret + `","force_refresh":"yes"}`, "47001"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.post("/cgi-bin/stable_token", nil, tc.ct, tc.body), tc.code) })
	}
}

func TestSecretReset(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	ctx := context.Background()
	old := v.client(mp)
	classic, err := old.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stable, err := old.StableAccessToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	v.e.Advance(time.Hour)
	secret, err := v.ctl.ResetSecret(ctx, mp.AppID)
	if err != nil || len(secret) != 32 || secret == mp.Secret {
		t.Fatalf("reset: %q %v", secret, err)
	}
	// The old secret is refused at once; issued tokens are untouched.
	_, err = old.AccessToken(ctx)
	wantWeChat(t, err, 40125)
	_, err = old.StableAccessToken(ctx, false)
	wantWeChat(t, err, 40125)
	c, _ := v.e.MiniProgramLogin(mp.AppID, v.user())
	_, err = old.Code2Session(ctx, c)
	wantWeChat(t, err, 40125)
	for _, tok := range []wechat.Token{classic.AccessToken, stable.AccessToken} {
		if got := tokenState(t, v, tok.Reveal()); got != "0" {
			t.Fatalf("token after reset: %s", got)
		}
	}
	// The first fetches with the new secret start the five-minute overlap.
	mp.Secret = secret
	fresh := v.client(mp)
	if _, err := fresh.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := fresh.StableAccessToken(ctx, false)
	if err != nil || s2.AccessToken.Equal(stable.AccessToken) {
		t.Fatalf("stable token after reset: %v", err)
	}
	v.e.Advance(5*time.Minute - time.Second)
	for _, tok := range []wechat.Token{classic.AccessToken, stable.AccessToken} {
		if got := tokenState(t, v, tok.Reveal()); got != "0" {
			t.Fatalf("old token within the overlap: %s", got)
		}
	}
	v.e.Advance(time.Second)
	for _, tok := range []wechat.Token{classic.AccessToken, stable.AccessToken} {
		if got := tokenState(t, v, tok.Reveal()); got != "40001" {
			t.Fatalf("old token after the overlap: %s, want 40001", got)
		}
	}
}

func TestSecretResetWithoutRefetchLetsTokensLiveOut(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	tok := v.appToken(mp).Reveal()
	if _, err := v.e.ResetSecret(mp.AppID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.ResetSecret("wxnope"); err == nil {
		t.Fatal("reset of an unknown app")
	}
	v.e.Advance(7200*time.Second - time.Second)
	if got := tokenState(t, v, tok); got != "0" {
		t.Fatalf("%s", got)
	}
	v.e.Advance(time.Second)
	if got := tokenState(t, v, tok); got != "42001" {
		t.Fatalf("%s, want 42001", got)
	}
}
