package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/wxgate/wxgate/storage"
)

// verifyForwarded checks, at forward-auth, the signature of the request a
// proxy asks about when the session's app has sign_requests. Without it a
// token captured from a signed app would work unsigned behind any proxy
// that asks /auth/verify. The proxy passes the original request's headers
// (the session token and the X-Wxgate-* signing headers) and names its
// method and URI in X-Forwarded-Method and X-Forwarded-Uri (Traefik,
// Caddy) or X-Original-Method and X-Original-URI (nginx, set in its
// configuration). Proxies do not pass the body to forward-auth, so the
// signature is checked over an empty body: requests with a body to such an
// app cannot pass here unless the app sets forward_auth_unsigned and the
// service behind checks signatures itself.
func (s *Server) verifyForwarded(r *http.Request, sess storage.Session) error {
	a, ok := s.apps.byName[sess.App]
	if !ok || !a.cfg.SignRequests || a.cfg.ForwardAuthUnsigned {
		return nil
	}
	method := firstHeader(r, "X-Forwarded-Method", "X-Original-Method")
	uri := firstHeader(r, "X-Forwarded-Uri", "X-Original-URI")
	if method == "" || uri == "" || !strings.HasPrefix(uri, "/") {
		return s.verifySigned(r, sess, nil) // fails: not the signed request
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return errBadSignature.New()
	}
	orig := r.Clone(r.Context())
	orig.Method = method
	orig.URL = u
	orig.RequestURI = uri
	return s.verifySigned(orig, sess, nil)
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}
