package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/session"
)

// Several session cookies in one request are refused: one may have been
// planted by a sibling domain (cookie tossing), and which one a server
// reads first is up to the order the browser sends them in.
func TestDuplicateSessionCookiesAreRefused(t *testing.T) {
	h := newHarness(t)
	tok := h.mpLogin("mp", h.user("d")).str("token")
	other := h.mpLogin("mp", h.user("e")).str("token")
	h.wantStatus(h.do("GET", "/auth/me", nil, "Cookie", session.CookieName+"="+tok), 200, "")
	for _, c := range []string{
		session.CookieName + "=" + tok + "; " + session.CookieName + "=" + other,
		session.CookieName + "=" + other + "; " + session.CookieName + "=" + tok,
		session.CookieName + "=garbage; " + session.CookieName + "=" + tok,
	} {
		h.wantStatus(h.do("GET", "/auth/me", nil, "Cookie", c), 401, "duplicate_cookie")
		if a := h.do("GET", "/auth/verify", nil, "Cookie", c); a.status != 401 {
			t.Errorf("forward-auth with two cookies = %d", a.status)
		}
	}
	// A duplicate logout ends neither session.
	h.do("POST", "/auth/logout", nil, "Cookie", session.CookieName+"="+tok+"; "+session.CookieName+"="+other, "Origin", h.url)
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 200, "")
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(other)...), 200, "")
}

// On https the session cookie is __Host-wxgate_session, and a plain
// wxgate_session (which any sibling domain can set) is not read.
func TestHTTPSUsesTheHostPrefixedCookie(t *testing.T) {
	h := newHarness(t)
	tok := h.mpLogin("mp", h.user("h")).str("token")
	cfg := *h.cfg
	cfg.PublicURL = "https://login.example.com"
	kr, err := seal.Load(h.keysFile)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(Options{Config: &cfg, Store: h.store, KV: h.kv, Keyring: kr, LookupEnv: func(k string) (string, bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		v, ok := h.env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(cookie string) int {
		r := httptest.NewRequest("GET", "https://login.example.com/auth/me", nil)
		r.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w.Code
	}
	if c := get(session.CookieName + "=" + tok); c != 401 {
		t.Errorf("plain wxgate_session on https = %d, want 401", c)
	}
	if c := get(session.HostCookieName + "=" + tok); c != 200 {
		t.Errorf("__Host-wxgate_session on https = %d, want 200", c)
	}
	if c := get(session.HostCookieName + "=" + tok + "; " + session.HostCookieName + "=" + tok); c != 401 {
		t.Errorf("two __Host- cookies = %d, want 401", c)
	}
	r := httptest.NewRequest("POST", "https://login.example.com/auth/logout", nil)
	r.Header.Set("Cookie", session.HostCookieName+"="+tok)
	r.Header.Set("Origin", "https://login.example.com")
	w := httptest.NewRecorder()
	gw.ServeHTTP(w, r)
	sc := w.Header().Get("Set-Cookie")
	if w.Code != 204 || !strings.HasPrefix(sc, session.HostCookieName+"=;") || !strings.Contains(sc, "Secure") || strings.Contains(sc, "Domain") {
		t.Fatalf("https logout = %d, Set-Cookie %q", w.Code, sc)
	}
}
