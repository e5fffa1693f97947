package gateway

import (
	"context"
	"strings"
	"testing"
	"time"
)

const internalKeyYAML = "internal:\n  api_key_env: INTERNAL_KEY\n"

func TestInternalAccessToken(t *testing.T) {
	h := newHarness(t, withYAML(internalKeyYAML))
	key := h.env["INTERNAL_KEY"]
	a := h.do("GET", "/internal/wechat/access_token?app=mp", nil, "Authorization", "Bearer "+key)
	h.wantStatus(a, 200, "")
	tok, left, err := h.gw.Credentials().Token(context.Background(), h.apps["mp"].AppID)
	if err != nil || a.str("access_token") != tok.Reveal() {
		t.Fatalf("served token differs from central control's: %v", err)
	}
	if exp, _ := a.body["expires_in"].(float64); exp <= 0 || exp > left.Seconds()+1 {
		t.Errorf("expires_in = %v", a.body["expires_in"])
	}
	// Served from the cache: one fetch for any number of callers.
	for range 5 {
		h.do("GET", "/internal/wechat/access_token?app=oa", nil, "Authorization", "Bearer "+key)
	}
	if n := h.emu.Stats().Calls["/cgi-bin/stable_token"]; n != 2 {
		t.Errorf("stable_token calls = %d, want 2 (one per app)", n)
	}
	for _, tc := range []struct {
		name   string
		query  string
		header []string
		status int
		code   string
	}{
		{"no key", "?app=mp", nil, 401, "unauthorized"},
		{"wrong key", "?app=mp", []string{"Authorization", "Bearer " + key + "x"}, 401, "unauthorized"},
		{"key prefix", "?app=mp", []string{"Authorization", "Bearer " + key[:10]}, 401, "unauthorized"},
		{"basic", "?app=mp", []string{"Authorization", "Basic " + key}, 401, "unauthorized"},
		{"unknown app", "?app=nope", []string{"Authorization", "Bearer " + key}, 400, "unknown_app"},
		{"website apps have no app token", "?app=web", []string{"Authorization", "Bearer " + key}, 400, "wrong_app_type"},
		{"no app", "", []string{"Authorization", "Bearer " + key}, 400, "missing_app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.wantStatus(h.do("GET", "/internal/wechat/access_token"+tc.query, nil, tc.header...), tc.status, tc.code)
		})
	}
	if strings.Contains(h.logs.String(), key) {
		t.Error("the internal key is in the log")
	}
}

func TestInternalAPIOffWithoutAKey(t *testing.T) {
	h := newHarness(t)
	h.wantStatus(h.do("GET", "/internal/wechat/access_token?app=mp", nil, "Authorization", "Bearer anything"), 404, "not_found")
}

// TestAppSecretRotation follows seed 000: the operator resets the
// AppSecret in the WeChat console (the old one is refused at once) and
// updates the gateway's secret; the gateway picks it up on 40125, without
// a restart, and tokens issued before keep working meanwhile.
func TestAppSecretRotation(t *testing.T) {
	h := newHarness(t, withYAML(internalKeyYAML))
	ctx := context.Background()
	u := h.user("x")
	before, _, err := h.gw.Credentials().Token(ctx, h.apps["mp"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := h.emu.ResetSecret(h.apps["mp"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	// Before the operator updates the gateway: logins fail clearly.
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}), 502, "wechat_misconfigured")
	// The token fetched with the old secret still works (seed 000: it
	// lives out its two hours).
	if now, _, _ := h.gw.Credentials().Token(ctx, h.apps["mp"].AppID); !now.Equal(before) {
		t.Error("the cached token changed without a fetch")
	}
	// The operator puts the new secret where the gateway reads it. The next
	// 40125 makes the gateway re-read it; the failed login is not retried.
	h.setEnv("SECRET_MP", fresh)
	h.clock.advance(2 * time.Second) // past the first refusal's re-read
	a := h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)})
	if a.status != 502 || !strings.Contains(a.str("message"), "just been changed") {
		t.Fatalf("login that met the old secret = %d %s", a.status, a.raw)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}), 200, "")
	if !strings.Contains(h.logs.String(), "a new one was read") {
		t.Error("the re-read secret was not logged")
	}
	h.assertNoLeak(fresh, h.apps["mp"].Secret)
}

func TestSecretRotationOnTokenFetch(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	fresh, err := h.emu.ResetSecret(h.apps["oa"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	h.setEnv("SECRET_OA", fresh)
	// Central control meets 40125, re-reads the secret and fetches again,
	// in the same call.
	if _, _, err := h.gw.Credentials().Token(ctx, h.apps["oa"].AppID); err != nil {
		t.Fatalf("Token after the secret changed: %v", err)
	}
	if n := h.emu.Stats().Calls["/cgi-bin/stable_token"]; n != 2 {
		t.Errorf("stable_token calls = %d, want 2 (refused, then with the new secret)", n)
	}
	// SIGHUP does the same for every app.
	fresh2, _ := h.emu.ResetSecret(h.apps["mp"].AppID)
	h.setEnv("SECRET_MP", fresh2)
	if err := h.gw.ReloadSecrets(); err != nil {
		t.Fatal(err)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", h.user("y"))}), 200, "")
}
