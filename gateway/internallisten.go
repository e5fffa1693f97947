package gateway

import (
	"context"
	"net/http"
	"path"
	"strings"
)

// With internal.listen set, /internal/ and /metrics are served only by the
// internal listener (InternalHandler), never by the public one: the
// internal API hands out app access tokens (behind its key) and the
// metrics show the traffic, and neither belongs on the internet. Without
// it they are on the public listener, as before, to be kept off the
// internet at the proxy.

type internalListenerKey struct{}

// isInternalPath reports whether p belongs on the internal listener.
func isInternalPath(p string) bool {
	p = path.Clean("/" + p)
	return p == "/metrics" || p == "/internal" || strings.HasPrefix(p, "/internal/")
}

// publicOnly answers 404 on the public listener for the internal paths
// when they have a listener of their own.
func (s *Server) publicOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Internal.Listen != "" && isInternalPath(r.URL.Path) && r.Context().Value(internalListenerKey{}) == nil {
			s.writeError(w, r, errNotFound.Msg("no such endpoint: %s (served on internal.listen only)", truncate(r.URL.Path, 128)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// InternalHandler serves the internal listener (internal.listen):
// /internal/, /metrics, /healthz and /readyz; anything else is 404.
func (s *Server) InternalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		if !isInternalPath(p) && p != "/healthz" && p != "/readyz" {
			s.writeError(w, r, errNotFound.Msg("no such endpoint on the internal listener: %s (it serves /internal/, /metrics, /healthz and /readyz only)", truncate(p, 128)))
			return
		}
		s.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), internalListenerKey{}, true)))
	})
}
