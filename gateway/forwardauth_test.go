package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/signing"
)

func signedApps() harnessOption {
	return withApps(append(append([]appDef{}, defaultApps...),
		appDef{name: "mps", typ: "miniprogram", openAccount: "acme", extra: "    sign_requests: true\n"},
		appDef{name: "mpp", typ: "miniprogram", openAccount: "acme", extra: "    sign_requests: true\n    forward_auth_unsigned: true\n"}))
}

// signedHeaders signs a request of method and uri (no body) and returns
// its signing headers as key, value pairs.
func signedHeaders(t *testing.T, key []byte, method, uri, nonce string, at time.Time) []string {
	t.Helper()
	r, err := http.NewRequest(method, "http://x"+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.Sign(r, nil, key, at, nonce); err != nil {
		t.Fatal(err)
	}
	return []string{signing.HeaderTimestamp, r.Header.Get(signing.HeaderTimestamp),
		signing.HeaderNonce, r.Header.Get(signing.HeaderNonce),
		signing.HeaderSignature, r.Header.Get(signing.HeaderSignature)}
}

// A session of an app with sign_requests does not pass forward-auth
// unsigned; the signature of the request the proxy names does.
func TestSignedAppAtForwardAuth(t *testing.T) {
	h := newHarness(t, signedApps())
	u := h.user("f")
	a := h.mpLogin("mps", u)
	tok := a.str("token")
	key, err := signing.ParseKey(a.str("signing_key"))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.do("GET", "/auth/verify", nil, bearer(tok)...); got.status != 401 {
		t.Fatalf("unsigned forward-auth of a signed app's session = %d, want 401", got.status)
	}
	fwd := []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/orders?page=2"}
	sig := signedHeaders(t, key, "GET", "/orders?page=2", "fwd-nonce-000000001", h.clock.now())
	hdr := append(append(bearer(tok), fwd...), sig...)
	if got := h.do("GET", "/auth/verify", nil, hdr...); got.status != 204 || got.header.Get("X-Wxgate-User-Id") == "" {
		t.Fatalf("signed forward-auth = %d %v", got.status, got.header)
	}
	if got := h.do("GET", "/auth/verify", nil, hdr...); got.status != 401 {
		t.Fatalf("replayed forward-auth = %d, want 401", got.status)
	}
	// The signature is over the original request: another URI fails.
	sig = signedHeaders(t, key, "GET", "/orders?page=3", "fwd-nonce-000000002", h.clock.now())
	if got := h.do("GET", "/auth/verify", nil, append(append(bearer(tok), fwd...), sig...)...); got.status != 401 {
		t.Fatalf("forward-auth signed for another URI = %d, want 401", got.status)
	}
	// nginx's names work too.
	sig = signedHeaders(t, key, "DELETE", "/orders/7", "fwd-nonce-000000003", h.clock.now())
	nginx := append(append(bearer(tok), "X-Original-Method", "DELETE", "X-Original-URI", "/orders/7"), sig...)
	if got := h.do("GET", "/auth/verify", nil, nginx...); got.status != 204 {
		t.Fatalf("signed forward-auth with nginx's headers = %d", got.status)
	}
	// The documented opt-out: the service behind checks signatures.
	if got := h.do("GET", "/auth/verify", nil, bearer(h.mpLogin("mpp", u).str("token"))...); got.status != 204 {
		t.Fatalf("forward_auth_unsigned app = %d, want 204", got.status)
	}
	// Apps without sign_requests are as before.
	if got := h.do("GET", "/auth/verify", nil, bearer(h.mpLogin("mp", u).str("token"))...); got.status != 204 {
		t.Fatalf("unsigned app = %d, want 204", got.status)
	}
}

// session.Verifier, used by services behind the gateway, refuses sessions
// of signed apps unless told that signatures are checked in front.
func TestSessionVerifierRefusesSignedApps(t *testing.T) {
	h := newHarness(t, signedApps())
	u := h.user("v")
	signed := h.mpLogin("mps", u).str("token")
	plain := h.mpLogin("mp", u).str("token")
	ctx := context.Background()
	for _, ttl := range []time.Duration{0, time.Minute} {
		v := session.NewVerifier(session.Options{Store: h.store, CacheTTL: ttl})
		for range 2 { // the second time from the cache, when there is one
			if _, err := v.Verify(ctx, signed); !errors.Is(err, session.ErrSigned) {
				t.Fatalf("ttl %v: Verify(signed app's token) = %v, want ErrSigned", ttl, err)
			}
			if _, err := v.Verify(ctx, plain); err != nil {
				t.Fatalf("ttl %v: Verify(plain token) = %v", ttl, err)
			}
		}
		v = session.NewVerifier(session.Options{Store: h.store, CacheTTL: ttl, AcceptSignedApps: true})
		if _, err := v.Verify(ctx, signed); err != nil {
			t.Fatalf("AcceptSignedApps: %v", err)
		}
	}
	// Require answers such a request 401 bad_signature.
	v := session.NewVerifier(session.Options{Store: h.store})
	rec := h.serve(&Server{handler: v.Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the handler ran for a signed app's unsigned request")
	}))}, "GET", "/orders", "", signed)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"bad_signature"`) {
		t.Fatalf("Require = %d %s", rec.Code, rec.Body.String())
	}
}

// A logout with a missing or wrong signature answers 401 bad_signature
// and leaves the session working.
func TestSignedLogoutFailureKeepsTheSession(t *testing.T) {
	h := newHarness(t, signedApps())
	u := h.user("l")
	a := h.mpLogin("mps", u)
	tok := a.str("token")
	key, _ := signing.ParseKey(a.str("signing_key"))
	h.wantStatus(h.do("POST", "/auth/logout", nil, bearer(tok)...), 401, "bad_signature")
	stale := signedHeaders(t, key, "POST", "/auth/logout", "logout-nonce-00000001", h.clock.now().Add(-time.Hour))
	h.wantStatus(h.do("POST", "/auth/logout", nil, append(bearer(tok), stale...)...), 401, "bad_signature")
	me := signedHeaders(t, key, "GET", "/auth/me", "logout-nonce-00000002", h.clock.now())
	h.wantStatus(h.do("GET", "/auth/me", nil, append(bearer(tok), me...)...), 200, "")
	good := signedHeaders(t, key, "POST", "/auth/logout", "logout-nonce-00000003", h.clock.now())
	if got := h.do("POST", "/auth/logout", nil, append(bearer(tok), good...)...); got.status != 204 {
		t.Fatalf("signed logout = %d %s", got.status, got.raw)
	}
	me = signedHeaders(t, key, "GET", "/auth/me", "logout-nonce-00000004", h.clock.now())
	h.wantStatus(h.do("GET", "/auth/me", nil, append(bearer(tok), me...)...), 401, "session_expired")
}
