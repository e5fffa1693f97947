package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage"
)

func TestLogoutRevokesOnlyThatSession(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	phone := h.mpLogin("mp", u).str("token")
	tablet := h.mpLogin("mp", u).str("token")
	h.wantStatus(h.do("POST", "/auth/logout", nil, bearer(phone)...), 204, "")
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(phone)...), 401, "session_expired")
	if v := h.do("GET", "/auth/verify", nil, bearer(phone)...); v.status != 401 || v.header.Get("X-Wxgate-User-Id") != "" {
		t.Errorf("verify after logout = %d %v", v.status, v.header)
	}
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tablet)...), 200, "")
	// Idempotent.
	h.wantStatus(h.do("POST", "/auth/logout", nil, bearer(phone)...), 204, "")
	h.wantStatus(h.do("POST", "/auth/logout", nil), 204, "")
}

func TestSessionTimeouts(t *testing.T) {
	h := newHarness(t, withYAML("sessions:\n  idle_timeout: 1h\n  absolute_timeout: 3h\n"))
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")

	// Activity within the idle timeout keeps the session alive...
	for range 2 {
		h.clock.advance(50 * time.Minute)
		h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 200, "")
	}
	// ...but not past the absolute timeout.
	h.clock.advance(50 * time.Minute)
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 200, "")
	h.clock.advance(50 * time.Minute)
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 401, "session_expired")

	// Idle past the idle timeout.
	tok = h.mpLogin("mp", u).str("token")
	h.clock.advance(61 * time.Minute)
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 401, "session_expired")
	// The expired session was removed from storage.
	if _, err := h.store.GetSessionByTokenHash(context.Background(), session.HashToken(tok)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired session still stored: %v", err)
	}
}

func TestAuthenticationInputs(t *testing.T) {
	h := newHarness(t)
	tok := h.mpLogin("mp", h.user("x")).str("token")
	tests := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"none", nil, 401, "unauthenticated"},
		{"basic scheme", []string{"Authorization", "Basic dXNlcjpwYXNz"}, 401, "unauthenticated"},
		{"garbage token", []string{"Authorization", "Bearer garbage"}, 401, "session_expired"},
		{"right shape, unknown", []string{"Authorization", "Bearer " + session.NewToken()}, 401, "session_expired"},
		{"truncated", []string{"Authorization", "Bearer " + tok[:len(tok)-1]}, 401, "session_expired"},
		{"huge", []string{"Authorization", "Bearer " + strings.Repeat("a", 8000)}, 401, "session_expired"},
		{"lowercase scheme", []string{"Authorization", "bearer " + tok}, 200, ""},
		{"cookie", []string{"Cookie", session.CookieName + "=" + tok}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do("GET", "/auth/me", nil, tt.headers...)
			h.wantStatus(a, tt.status, tt.code)
			if tt.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestCookieLogoutRefusesCrossSiteRequests(t *testing.T) {
	h := newHarness(t)
	tok := h.mpLogin("mp", h.user("x")).str("token")
	cookie := session.CookieName + "=" + tok
	h.wantStatus(h.do("POST", "/auth/logout", nil, "Cookie", cookie, "Origin", "https://evil.example"), 403, "cross_origin")
	h.wantStatus(h.do("POST", "/auth/logout", nil, "Cookie", cookie, "Sec-Fetch-Site", "cross-site"), 403, "cross_origin")
	h.wantStatus(h.do("POST", "/auth/logout", nil, "Cookie", cookie, "Origin", "null"), 403, "cross_origin")
	h.wantStatus(h.do("POST", "/auth/logout", nil, "Cookie", cookie, "Origin", "null", "Sec-Fetch-Site", "cross-site"), 403, "cross_origin")
	h.wantStatus(h.do("GET", "/auth/me", nil, "Cookie", cookie), 200, "")
	// A form on a no-referrer page sends Origin: null; Sec-Fetch-Site vouches.
	h.wantStatus(h.do("POST", "/auth/logout", nil, "Cookie", h.mpCookie(), "Origin", "null", "Sec-Fetch-Site", "same-origin"), 204, "")
	a := h.do("POST", "/auth/logout", nil, "Cookie", cookie, "Origin", h.url)
	h.wantStatus(a, 204, "")
	if c := a.header.Get("Set-Cookie"); !strings.Contains(c, session.CookieName+"=;") || !strings.Contains(c, "Max-Age=0") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("logout Set-Cookie = %q", c)
	}
	h.wantStatus(h.do("GET", "/auth/me", nil, "Cookie", cookie), 401, "session_expired")
}

func TestVerifyAcceptsAnyMethod(t *testing.T) {
	h := newHarness(t)
	tok := h.mpLogin("mp", h.user("x")).str("token")
	for _, m := range []string{"GET", "HEAD", "POST", "DELETE"} {
		if a := h.do(m, "/auth/verify", nil, bearer(tok)...); a.status != 204 || a.header.Get("X-Wxgate-User-Id") == "" {
			t.Errorf("%s /auth/verify = %d", m, a.status)
		}
		if a := h.do(m, "/auth/verify", nil); a.status != 401 {
			t.Errorf("%s /auth/verify without a session = %d", m, a.status)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	h.wantStatus(h.do("GET", "/healthz", nil), 200, "")
	r := h.do("GET", "/readyz", nil)
	h.wantStatus(r, 200, "")
	if r.body["ready"] != true {
		t.Errorf("readyz = %s", r.raw)
	}
	h.wantStatus(h.do("GET", "/nope", nil), 404, "not_found")
	h.wantStatus(h.do("DELETE", "/healthz", nil), 405, "method_not_allowed")

	// A database that stops answering makes the gateway unready, and
	// requests that need it fail fast with 503.
	h.gw.store = downStore{h.store}
	r = h.do("GET", "/readyz", nil)
	if r.status != http.StatusServiceUnavailable || r.body["ready"] != false {
		t.Errorf("readyz with the database down = %d %s", r.status, r.raw)
	}
	if strings.Contains(r.raw, "connection refused") {
		t.Error("readyz shows backend error text to the public")
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", h.user("y"))}), 503, "storage_unavailable")
}

// downStore is a Store whose backend is unreachable.
type downStore struct{ storage.Store }

var errDown = errors.Join(storage.ErrUnavailable, errors.New("dial tcp: connection refused"))

func (downStore) Ping(context.Context) error { return errDown }
func (downStore) LinkIdentity(context.Context, storage.LinkRequest) (storage.LinkResult, error) {
	return storage.LinkResult{}, errDown
}

func TestMobileLogin(t *testing.T) {
	h := newHarness(t)
	u := h.user("Mo")
	ctx := context.Background()
	mc, err := h.ctl.MobileAuthorize(ctx, h.apps["ios"].AppID, u, "state1")
	if err != nil {
		t.Fatal(err)
	}
	a := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code})
	h.wantStatus(a, 200, "")
	if a.obj("user")["nickname"] != "Mo" || !session.WellFormed(a.str("token")) {
		t.Errorf("mobile login = %s", a.raw)
	}
	// The code is single-use, and is refused by other apps.
	h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}), 400, "invalid_code")
	h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "mp", "code": mc.Code}), 400, "wrong_app_type")
	// The user's WeChat tokens were kept, sealed.
	idents, _ := h.store.ScanIdentities(ctx, "", 10)
	if len(idents) != 1 || len(idents[0].AccessToken) == 0 || len(idents[0].RefreshToken) == 0 || idents[0].Scope != "snsapi_userinfo" {
		t.Errorf("identity = %+v", idents)
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

// mpCookie logs a new user in and returns their session as a Cookie header.
func (h *harness) mpCookie() string {
	return session.CookieName + "=" + h.mpLogin("mp", h.user("c")).str("token")
}
