package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMiniProgramPage checks the mini-program page's plumbing without a
// browser: the scripts it loads, the emulator calls it makes through the
// site, and refusals of bad input that change nothing.
func TestMiniProgramPage(t *testing.T) {
	d := startDemo(t, t.TempDir())
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(d.Site + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		res, err := http.Post(d.Site+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}

	status, page, h := get("/miniprogram")
	if status != http.StatusOK || !strings.Contains(page, `id="mp-login"`) || !strings.Contains(h.Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Fatalf("/miniprogram: %d, CSP %q", status, h.Get("Content-Security-Policy"))
	}
	for path, global := range map[string]string{"/miniprogram/wxgate-miniprogram.js": "window.wxgateMiniprogram", "/miniprogram/wx-shim.js": "window.wxShim"} {
		status, js, h := get(path)
		if status != http.StatusOK || !strings.Contains(js, global+" = module.exports") || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: %d %q", path, status, h.Get("Content-Type"))
		}
	}

	const base = "/miniprogram/wechat/_emulator/miniprogram/"
	if status, m := post(base+"login", `{"appid":"ignored","user_id":"alice"}`); status != http.StatusOK || len(m["code"].(string)) == 0 {
		t.Fatalf("login: %d %v", status, m)
	}
	if status, m := post(base+"userinfo", `{"user_id":"alice"}`); status != http.StatusOK || m["encryptedData"] == "" {
		t.Fatalf("userinfo: %d %v", status, m)
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"not JSON", base + "login", `{"user_id":`, http.StatusBadRequest},
		{"no user", base + "login", `{}`, http.StatusBadRequest},
		{"hostile user id", base + "login", `{"user_id":"../../apps"}`, http.StatusBadRequest},
		{"oversized", base + "login", `{"user_id":"` + strings.Repeat("a", 8<<10) + `"}`, http.StatusBadRequest},
		{"unknown user", base + "login", `{"user_id":"nobody"}`, http.StatusBadGateway},
		{"unknown action", base + "reset_secret", `{"user_id":"alice"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, m := post(tc.path, tc.body)
			if status != tc.status || m["message"] == "" {
				t.Fatalf("%d %v, want %d with a message", status, m, tc.status)
			}
			if s, _ := m["message"].(string); strings.Contains(s, "secret") {
				t.Fatalf("the message mentions a secret: %q", s)
			}
		})
	}
}
