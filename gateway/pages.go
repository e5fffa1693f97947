package gateway

import (
	"bytes"
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
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-src " +
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

// callbackError shows a browser why its login did not complete, with the
// catalogue's status for kind. The code is also in the X-Wxgate-Error
// header, for scripts and tests.
func (s *Server) callbackError(w http.ResponseWriter, r *http.Request, kind *errorKind, title, msg, retry string) {
	if strings.HasPrefix(kind.Code, "state_") {
		s.metrics.stateFailures.WithLabelValues(kind.Code).Inc()
		s.event(r.Context(), r, EventStateFailed, "", "", map[string]string{"reason": kind.Code})
	}
	w.Header().Set("X-Wxgate-Error", kind.Code)
	s.page(w, kind.Status, "error", web.ErrorPage{Title: title, Message: msg, Code: kind.Code, Retry: retry}, "'none'")
}

// pageText is the title and text of a browser-login error page.
type pageText struct{ title, msg string }

// callbackPages are the pages of the browser-login states' errors (one
// page each: a spent, expired or replayed state all show state_expired's).
var callbackPages = map[*errorKind]pageText{
	errStateMissing: {"The login link is missing its state", "This page is only reached from WeChat's login page. Start the login again."},
	errStateInvalid: {"The login link is not valid", "Its state was not issued by this site. Start the login again."},
	errStateCookieMissing: {"This login was started in another browser",
		"The login must end in the browser where it started, with cookies enabled. Start the login again here."},
	errStateExpired: {"This login link has expired or was already used", "Login links work once and for ten minutes. Start the login again."},
	errStateMismatch: {"This login was started in another browser",
		"Someone may have sent you a login link of their own. Nobody was logged in. Start the login again yourself."},
	errAppNotConfigured: {"This login cannot be completed", "The app it was started for is no longer configured."},
	errLoginDeclined:    {"Login declined", "WeChat says the login was not authorized. Nobody was logged in."},
}

// callbackPage shows the page of a browser-login state's error.
func (s *Server) callbackPage(w http.ResponseWriter, r *http.Request, kind *errorKind, retry string) {
	p := callbackPages[kind]
	s.callbackError(w, r, kind, p.title, p.msg, retry)
}

// kindOf is the catalogue entry of err; errInternal for anything else.
func kindOf(err error) *errorKind {
	if k, ok := catalogue[outcomeLabel(err)]; ok {
		return k
	}
	return errInternal
}

// pageError shows an *apiError (or an internal failure) as a page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	ae, ok := asAPIError(err)
	if !ok {
		s.log.Error("request failed", "request_id", requestID(r), "path", r.URL.Path, "cause", err)
		ae = errInternal.Msg("wxgate failed to handle the request (request id %s)", requestID(r))
	} else if ae.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(r), "path", r.URL.Path, "error", ae.Code, "cause", errString(ae.cause))
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(ae.RetryAfter))
	}
	w.Header().Set("X-Wxgate-Error", ae.Code)
	s.page(w, ae.Status, "error", web.ErrorPage{Title: "Login unavailable", Message: ae.Message, Code: ae.Code}, "'none'")
}
