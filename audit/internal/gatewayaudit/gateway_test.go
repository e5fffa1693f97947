// Package gatewayaudit runs `wxgate audit` against wxgate's own gateway:
// the relying party done right must pass it with nothing to report. It is
// a package of its own so that the audit package's tests do not depend on
// the gateway.
package gatewayaudit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/audit/probe"
	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/wechat"
)

// gatewayTarget runs the gateway as `wxgate serve` builds it (configuration
// parsed from YAML, secrets from the environment; in-memory storage)
// against an emulator wrapped in the audit's witness, as `wxgate audit`
// runs it.
func gatewayTarget(t *testing.T, extraYAML string) (*probe.Witness, string) {
	t.Helper()
	e, err := emulator.New(emulator.Options{Behaviour: emulator.Behaviour{
		RequireState: emulator.SwitchOff, StrictStateCharset: emulator.SwitchOff, JSCodeRateScope: emulator.RateScopeOff,
	}})
	if err != nil {
		t.Fatal(err)
	}
	w := probe.NewWitness(e)
	es := httptest.NewServer(w)
	t.Cleanup(es.Close)
	gs := httptest.NewUnstartedServer(nil)
	t.Cleanup(gs.Close)
	host := gs.Listener.Addr().String()
	mp, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "mp", OpenAccount: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	web, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeWebsite, Name: "web", OpenAccount: "acme", CallbackDomain: host})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SECRET_MP": mp.Secret, "SECRET_WEB": web.Secret}
	y := fmt.Sprintf(`listen: 127.0.0.1:0
public_url: http://%s
wechat:
  api_base: %s
  open_base: %s
  timeout: 5s
database: memory
cache: memory
keys_file: %s/keys
apps:
  - name: mp
    type: miniprogram
    appid: %s
    secret_env: SECRET_MP
  - name: web
    type: website
    appid: %s
    secret_env: SECRET_WEB
%s`, host, es.URL, es.URL, t.TempDir(), mp.AppID, web.AppID, extraYAML)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Parse([]byte(y), lookup)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	store, kv := memory.New(), memory.NewKV()
	t.Cleanup(func() { kv.Close(); store.Close() })
	gw, err := gateway.New(gateway.Options{Config: cfg, Store: store, KV: kv, Keyring: kr, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	gs.Config.Handler = gw
	gs.Start()
	return w, gs.URL
}

// noLoginLimit lifts the gateway's per-IP login rate limit, as docs/audit.md
// asks: the audit makes about fifty logins in a row from one address.
const noLoginLimit = "security:\n  rate_limits:\n    login_ip: {limit: -1}\n    login_failed_ip: {limit: -1}\n"

// TestGatewayPassesTheAudit: no leak, and no attack succeeds, whether the
// audit tells a login by a check path or by the callback's cookie.
func TestGatewayPassesTheAudit(t *testing.T) {
	for _, check := range []string{"/auth/me", ""} {
		t.Run("check="+check, func(t *testing.T) {
			w, target := gatewayTarget(t, noLoginLimit)
			rep, err := probe.Run(context.Background(), probe.Options{
				Target: target, Witness: w,
				MiniProgram: &probe.MiniProgramLogin{Path: "/auth/miniprogram/login", Body: map[string]any{"app": "mp"}},
				Web:         &probe.WebLogin{Start: "/auth/wechat/login?app=web", Check: check},
			})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			_ = audit.WriteText(&out, rep.Findings)
			if len(rep.Findings) > 0 {
				t.Errorf("the gateway has findings:\n%s", out.String())
			}
			for _, c := range rep.Checks {
				t.Log(c)
			}
			if len(rep.Checks) != 7 || !strings.Contains(rep.Checks[5], "(36 logins)") {
				t.Errorf("checks = %q, want every step, and every open-redirect probe", rep.Checks)
			}
			// The audit did have secrets to look for, or it proves nothing.
			seen := w.Seen()
			for _, k := range []audit.Kind{audit.KindAppSecret, audit.KindSessionKey, audit.KindAccessToken} {
				if seen[k] == 0 {
					t.Errorf("the witness saw no %s", k)
				}
			}
		})
	}
}

// tightLoginLimit is a per-IP login limit well below the audit's logins (the
// default, 600 a minute, lets a whole audit through).
const tightLoginLimit = "security:\n  rate_limits:\n    login_ip: {limit: 10}\n"

// TestGatewayRateLimitStopsTheAudit: with a login rate limit tighter than the
// audit needs, the audit cannot complete its logins, and says so instead of
// reporting a clean result.
func TestGatewayRateLimitStopsTheAudit(t *testing.T) {
	w, target := gatewayTarget(t, tightLoginLimit)
	_, err := probe.Run(context.Background(), probe.Options{
		Target: target, Witness: w,
		MiniProgram: &probe.MiniProgramLogin{Path: "/auth/miniprogram/login", Body: map[string]any{"app": "mp"}},
		Web:         &probe.WebLogin{Start: "/auth/wechat/login?app=web", Check: "/auth/me"},
	})
	if !errors.Is(err, probe.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
}
