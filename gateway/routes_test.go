package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// Routes are Go 1.22 patterns; what no pattern serves is answered in JSON
// like every other error, and metrics label requests by pattern.
func TestRoutes(t *testing.T) {
	h := newHarness(t)
	r := h.do("DELETE", "/auth/me", nil)
	h.wantStatus(r, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || strings.Contains(allow, "POST") {
		t.Errorf("405 for /auth/me: Allow = %q, want the GET route's methods", allow)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("405 answered as %q, want JSON", ct)
	}
	r = h.do("POST", "/auth/miniprogram/loginx", nil)
	h.wantStatus(r, http.StatusNotFound, "not_found")
	h.wantStatus(h.do("HEAD", "/healthz", nil), http.StatusOK, "")
	// Any method reaches forward-auth: reverse proxies forward their own.
	if r := h.do("PUT", "/auth/verify", nil); r.status != http.StatusUnauthorized {
		t.Errorf("PUT /auth/verify without a session = %d, want 401", r.status)
	}

	h.do("GET", "/auth/avatars/nope", nil)
	h.do("GET", "/no/such/path/a1b2c3", nil)
	m := h.do("GET", "/metrics", nil)
	for _, want := range []string{`route="/auth/avatars/"`, `route="other"`, `route="/healthz"`} {
		if !strings.Contains(m.raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m.raw, "a1b2c3") || strings.Contains(m.raw, `route="/auth/avatars/nope"`) {
		t.Error("a request's own path became a metric label; labels must be the route patterns")
	}
}

func TestRouteLabel(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                       "other",
		"GET /auth/me":           "/auth/me",
		"/auth/verify":           "/auth/verify",
		"GET /auth/avatars/":     "/auth/avatars/",
		"POST /admin/users/{id}": "/admin/users/{id}",
	} {
		r, _ := http.NewRequest("GET", "/x", nil)
		r.Pattern = pattern
		if got := routeLabel(r); got != want {
			t.Errorf("routeLabel(pattern %q) = %q, want %q", pattern, got, want)
		}
	}
}
