package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// These methods are the narrow surface another component mounted on the
// gateway (the OpenID provider in package oidc) uses: the gateway's login
// flows are its login page, the gateway's sessions its single sign-on.
// Package oidc declares the interface; the gateway does not import it.

// Config returns the configuration the gateway was built from.
func (s *Server) Config() *config.Config { return s.cfg }

// KV returns the gateway's ephemeral store (shared by every instance).
func (s *Server) KV() storage.KV { return s.kv }

// Keyring returns the current at-rest keyring.
func (s *Server) Keyring() *seal.Keyring { return s.keyring() }

// Logger returns the gateway's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Now returns the gateway's clock.
func (s *Server) Now() time.Time { return s.now() }

// Handle serves pattern with h, behind the gateway's middleware (request
// ids, security headers, access log, metrics). Call it before serving.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// BrowserSession returns the live session of the browser's session
// cookie; ok is false when there is none (or it expired or was revoked).
// A Bearer token is not a browser session and is ignored.
func (s *Server) BrowserSession(r *http.Request) (sess storage.Session, ok bool, err error) {
	tok, fromCookie := session.FromRequest(r)
	if !fromCookie || tok == "" {
		return sess, false, nil
	}
	sess, err = s.sessions.Verify(r.Context(), tok)
	switch {
	case err == nil:
		return sess, true, nil
	case errors.Is(err, session.ErrMissing), errors.Is(err, session.ErrInvalid):
		return sess, false, nil
	}
	return sess, false, storageFailure(err)
}

// LoginMethod names how a session's login was made, for the OpenID amr
// claim: wechat_qr (website QR), wechat_oa (official-account web auth),
// wechat_miniprogram or wechat_app.
func (s *Server) LoginMethod(sess storage.Session) string {
	a, ok := s.apps.byName[sess.App]
	if !ok {
		return "wechat"
	}
	switch a.Type() {
	case wechat.AppTypeWebsite:
		return "wechat_qr"
	case wechat.AppTypeOfficialAccount:
		return "wechat_oa"
	case wechat.AppTypeMiniProgram:
		return "wechat_miniprogram"
	case wechat.AppTypeMobile:
		return "wechat_app"
	}
	return "wechat"
}

// AccountUser returns a user with the claims a relying party may be
// given: the profile, the phone number (opened; "" when the person never
// shared it), and the unionid (opened; "" when WeChat gave none). The
// caller decides what to release.
func (s *Server) AccountUser(ctx context.Context, userID string) (u storage.User, phone, unionID string, err error) {
	u, err = s.store.GetUser(ctx, userID)
	if err != nil {
		return u, "", "", storageFailure(err)
	}
	if len(u.Phone) > 0 {
		if phone, err = s.open(fieldPhone, []byte(u.ID), u.Phone); err != nil {
			return u, "", "", err
		}
	}
	ids, err := s.store.ListIdentities(ctx, userID)
	if err != nil {
		return u, "", "", storageFailure(err)
	}
	for _, id := range ids {
		if len(id.UnionID) > 0 {
			if unionID, err = s.open(fieldUnionID, id.UnionIDIndex, id.UnionID); err != nil {
				return u, "", "", err
			}
			break
		}
	}
	if strings.HasPrefix(u.AvatarURL, "/") {
		u.AvatarURL = strings.TrimRight(s.cfg.PublicURL, "/") + u.AvatarURL
	}
	return u, phone, unionID, nil
}

// BrowserLoginURL is where a browser without a session starts a WeChat
// login that ends on returnTo (a path on the gateway): the first website
// app's QR page, or inside WeChat's browser (where a QR code cannot be
// scanned) the first official account's web auth.
func (s *Server) BrowserLoginURL(r *http.Request, returnTo string) string {
	if inWeChat(r) {
		if oa := s.firstApp(wechat.AppTypeOfficialAccount); oa != nil {
			return "/auth/wechat/authorize?" + url.Values{"app": {oa.Name()}, "return_to": {returnTo}}.Encode()
		}
	}
	v := url.Values{"return_to": {returnTo}}
	if web := s.firstApp(wechat.AppTypeWebsite); web != nil {
		v.Set("app", web.Name())
	}
	return "/auth/wechat/login?" + v.Encode()
}

// EmbeddedLoginURL is the gateway's embeddable QR page (frameable by the
// gateway's own pages) for a login that ends on returnTo, or "" where it
// does not apply: inside WeChat's browser, or without a website app.
func (s *Server) EmbeddedLoginURL(r *http.Request, returnTo string) string {
	web := s.firstApp(wechat.AppTypeWebsite)
	if inWeChat(r) || web == nil {
		return ""
	}
	return "/auth/wechat/embed?" + url.Values{"app": {web.Name()}, "return_to": {returnTo}}.Encode()
}

// EndBrowserSession revokes the browser's session and clears its cookie.
func (s *Server) EndBrowserSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(session.CookieName); err == nil {
		s.sessions.Forget(c.Value)
	}
	s.endBrowserSession(r)
	s.clearSessionCookie(w)
}
