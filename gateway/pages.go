package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/wxgate/wxgate/web"
)

// htmlHeaders sets the security headers of every HTML page: a CSP that
// allows only the gateway's own scripts and styles (and, for the embed
// page, WeChat's QR frame), who may frame the page, no sniffing, no
// referrer.
func (s *Server) htmlHeaders(w http.ResponseWriter, frameAncestors string) {
	h := w.Header()
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-src " +
		s.openOrigin() + "; frame-ancestors " + frameAncestors
	h.Set("Content-Security-Policy", csp)
	if frameAncestors == "'none'" {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// openOrigin is the origin of WeChat's browser pages (the emulator's in
// development).
func (s *Server) openOrigin() string {
	base := s.cfg.WeChat.OpenBase
	if base == "" {
		return "https://open.weixin.qq.com"
	}
	if i := indexPathStart(base); i > 0 {
		return base[:i]
	}
	return base
}

func indexPathStart(u string) int {
	for i, n := 0, 0; i < len(u); i++ {
		if u[i] == '/' {
			n++
			if n == 3 {
				return i
			}
		}
	}
	return -1
}

// page renders an HTML page.
func (s *Server) page(w http.ResponseWriter, status int, name string, data any, frameAncestors string) {
	var buf bytes.Buffer
	if err := web.Render(&buf, name, data); err != nil {
		s.log.Error("rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.htmlHeaders(w, frameAncestors)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// callbackError shows a browser why its login did not complete. The code
// is also in the X-Wxgate-Error header, for scripts and tests.
func (s *Server) callbackError(w http.ResponseWriter, r *http.Request, code, title, msg, retry string) {
	status := http.StatusBadRequest
	switch code {
	case "state_mismatch", "login_declined", "login_blocked":
		status = http.StatusForbidden
	case "wechat_busy", "wechat_rate_limited", "storage_unavailable":
		status = http.StatusServiceUnavailable
	case "wechat_unavailable", "wechat_misconfigured", "wechat_error":
		status = http.StatusBadGateway
	case "wechat_timeout":
		status = http.StatusGatewayTimeout
	case "internal_error":
		status = http.StatusInternalServerError
	}
	if strings.HasPrefix(code, "state_") {
		s.metrics.stateFailures.WithLabelValues(code).Inc()
		s.event(r.Context(), r, EventStateFailed, "", "", map[string]string{"reason": code})
	}
	w.Header().Set("X-Wxgate-Error", code)
	s.page(w, status, "error", web.ErrorPage{Title: title, Message: msg, Code: code, Retry: retry}, "'none'")
}

// pageError shows an *apiError (or an internal failure) as a page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("request failed", "request_id", requestID(r), "path", r.URL.Path, "cause", err)
		ae = &apiError{Status: http.StatusInternalServerError, Code: "internal_error", Message: "wxgate failed to handle the request (request id " + requestID(r) + ")"}
	} else if ae.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(r), "path", r.URL.Path, "error", ae.Code, "cause", errString(ae.cause))
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(ae.RetryAfter))
	}
	w.Header().Set("X-Wxgate-Error", ae.Code)
	s.page(w, ae.Status, "error", web.ErrorPage{Title: "Login unavailable", Message: ae.Message, Code: ae.Code}, "'none'")
}
