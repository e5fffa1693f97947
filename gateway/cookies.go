package gateway

import (
	"net/http"

	"github.com/wxgate/wxgate/session"
	"net/url"
	"strings"
	"time"
)

// secureCookies reports whether cookies get the Secure attribute: always,
// unless the gateway's public URL is plain HTTP (development), where
// browsers would drop them.
func (s *Server) secureCookies() bool {
	return strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// sessionCookieName is __Host-wxgate_session on HTTPS, where browsers
// refuse such a cookie from any other host, and wxgate_session on plain
// HTTP (development), where they refuse the prefix.
func (s *Server) sessionCookieName() string {
	if s.secureCookies() {
		return session.HostCookieName
	}
	return session.CookieName
}

// sessionToken returns the request's session token as the gateway reads
// it: a Bearer token, else its own session cookie (on HTTPS only the
// __Host- one: a plain wxgate_session there may come from a sibling
// domain). dup reports several cookies of that name, which is refused.
func (s *Server) sessionToken(r *http.Request) (tok string, fromCookie, dup bool) {
	if r.Header.Get("Authorization") != "" {
		tok, _ = session.FromRequest(r)
		return tok, false, false
	}
	vs := session.CookieValues(r, s.sessionCookieName())
	switch len(vs) {
	case 0:
		return "", false, false
	case 1:
		return vs[0], true, false
	}
	return "", true, true
}

// setSessionCookie gives a browser its session: HttpOnly so scripts cannot
// read it, SameSite=Lax so cross-site POSTs do not carry it, Secure on
// HTTPS, and host-only.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.sessionCookieName(),
		Value:    token,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(time.Until(expires).Seconds()),
		HttpOnly: true,
		Secure:   s.secureCookies(),
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}

// publicOrigin is scheme://host[:port] of the gateway's public URL.
func (s *Server) publicOrigin() string {
	u, err := url.Parse(s.cfg.PublicURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// sameOrigin guards cookie-authenticated state changes against cross-site
// requests: a browser's Origin (or Sec-Fetch-Site) must say the request
// came from the gateway's own pages. Browsers send "Origin: null" for a
// form POST from a page with Referrer-Policy: no-referrer; Sec-Fetch-Site
// decides then. Non-browser clients send neither and carry no ambient
// cookie, so they pass.
func (s *Server) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o == s.publicOrigin()
	}
	if r.Header.Get("Origin") == "null" && r.Header.Get("Sec-Fetch-Site") == "" {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}
