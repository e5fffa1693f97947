package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/web"
	"github.com/wxgate/wxgate/wechat"
)

// Browser logins (website QR, embedded QR, official-account web auth)
// follow RFC 6749 §10.12 and RFC 9700 §4.7: a one-time state bound to the
// browser that started the login, checked before anything else.
//
// The state is 32 characters of [A-Za-z0-9] (190 bits), within WeChat's
// 128-byte limit. The browser binding is a separate random value in a
// cookie (__Host-wxgate_login on HTTPS); the state record in the cache
// holds its SHA-256. Several logins in several tabs share the binding, so
// they do not invalidate each other.
const (
	stateLen      = 32
	stateTTL      = 10 * time.Minute
	bindingCookie = "wxgate_login"
	// callbackTTL is how long a completed callback is remembered, so that
	// WeChat calling back twice does not show the person an error.
	callbackTTL = 2 * time.Minute
)

// Login flows a state record can belong to.
const (
	flowQR        = "qr"         // full-page website QR
	flowEmbed     = "embed"      // embedded QR; the top window gets the callback
	flowEmbedSelf = "embed_self" // embedded QR; the iframe gets it (self_redirect)
	flowAuthorize = "authorize"  // official-account web auth
)

// loginState is what the cache remembers of a login in progress.
type loginState struct {
	App      string `json:"a"`
	ReturnTo string `json:"r"`
	Binding  []byte `json:"b"` // SHA-256 of the browser's binding value
	Flow     string `json:"f"`
}

func stateKey(state string) string { return "wxgate:state:" + state }

// callbackKey names what the cache remembers of a callback in progress or
// done, by the state's hash (the state itself is spent).
func callbackKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return "wxgate:callback:" + hex.EncodeToString(h[:])
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newState returns a state of stateLen characters from crypto/rand, with
// no modulo bias.
func newState() string {
	out := make([]byte, 0, stateLen)
	buf := make([]byte, 64)
	for len(out) < stateLen {
		if _, err := rand.Read(buf); err != nil {
			panic("gateway: crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if b < 248 && len(out) < stateLen { // 248 = 4*62
				out = append(out, alnum[b%62])
			}
		}
	}
	return string(out)
}

// bindingCookieName is __Host-wxgate_login on HTTPS. Plain-HTTP development
// drops only what HTTP forbids: the __Host- prefix and Secure.
func (s *Server) bindingCookieName() string {
	if s.secureCookies() {
		return "__Host-" + bindingCookie
	}
	return bindingCookie
}

// browserBinding returns the browser's binding value, setting a new one if
// it has none (or a malformed one).
func (s *Server) browserBinding(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.bindingCookieName()); err == nil && len(c.Value) == 43 {
		if _, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			s.setBindingCookie(w, c.Value)
			return c.Value
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	s.setBindingCookie(w, v)
	return v
}

func (s *Server) setBindingCookie(w http.ResponseWriter, v string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.bindingCookieName(), Value: v, Path: "/", MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}

func hashBinding(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// callbackURL is the redirect_uri WeChat sends browsers back to.
func (s *Server) callbackURL() string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/auth/wechat/callback"
}

// startLogin remembers a login bound to this browser and returns its state.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, a *app, flow, returnTo string) (string, error) {
	if err := s.limitIP(r, ratelimit.LoginIP, a.Name()); err != nil {
		return "", err
	}
	binding := s.browserBinding(w, r)
	rec, err := json.Marshal(loginState{App: a.Name(), ReturnTo: returnTo, Binding: hashBinding(binding), Flow: flow})
	if err != nil {
		return "", err
	}
	state := newState()
	if err := s.kv.Set(r.Context(), stateKey(state), rec, stateTTL); err != nil {
		return "", storageFailure(err)
	}
	return state, nil
}

// returnTo validates the return_to parameter (see safeReturnTo).
func (s *Server) returnTo(r *http.Request) string {
	def := s.cfg.Web.DefaultReturnTo
	if def == "" {
		def = "/"
	}
	return safeReturnTo(r.URL.Query().Get("return_to"), def, s.publicOrigin(), s.cfg.Web.AllowedOrigins)
}

// webApp resolves the app parameter of a browser flow; when it is empty
// and exactly one app of the wanted type is configured, that one.
func (s *Server) webApp(r *http.Request, t wechat.AppType) (*app, error) {
	name := r.URL.Query().Get("app")
	if name == "" {
		var only *app
		for _, a := range s.apps.order {
			if a.Type() == t {
				if only != nil {
					return nil, errMissingApp.Msg("several %s apps are configured: name one with ?app=", t)
				}
				only = a
			}
		}
		if only == nil {
			return nil, errNoApp.Msg("no %s app is configured", t)
		}
		return only, nil
	}
	return s.apps.lookup(name, t)
}

// inWeChat reports whether the request comes from WeChat's own browser,
// where a QR code cannot be scanned.
func inWeChat(r *http.Request) bool {
	return strings.Contains(r.UserAgent(), "MicroMessenger")
}

// handleWebLogin is GET /auth/wechat/login?app=&return_to=: it starts a
// website QR login and redirects to WeChat's QR page. Inside WeChat's
// browser it uses the official account's web auth instead, when one is
// configured.
func (s *Server) handleWebLogin(w http.ResponseWriter, r *http.Request) {
	if inWeChat(r) && r.URL.Query().Get("app") == "" {
		if oa := s.firstApp(wechat.AppTypeOfficialAccount); oa != nil {
			s.authorize(w, r, oa, s.oaScope(oa, ""))
			return
		}
	}
	a, err := s.webApp(r, wechat.AppTypeWebsite)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	state, err := s.startLogin(w, r, a, flowQR, s.returnTo(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	noStore(w)
	http.Redirect(w, r, a.Client().QRConnectURL(s.callbackURL(), state), http.StatusFound)
}

// handleWebAuthorize is GET /auth/wechat/authorize?app=&scope=&return_to=:
// official-account web auth (snsapi_base: silent, openid only;
// snsapi_userinfo: with consent, profile too).
func (s *Server) handleWebAuthorize(w http.ResponseWriter, r *http.Request) {
	a, err := s.webApp(r, wechat.AppTypeOfficialAccount)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	scope := r.URL.Query().Get("scope")
	if scope != "" && scope != string(wechat.ScopeBase) && scope != string(wechat.ScopeUserInfo) {
		s.pageError(w, r, errInvalidScope.New())
		return
	}
	s.authorize(w, r, a, s.oaScope(a, wechat.Scope(scope)))
}

func (s *Server) oaScope(a *app, asked wechat.Scope) wechat.Scope {
	switch {
	case asked != "":
		return asked
	case a.cfg.Scope != "":
		return a.cfg.Scope
	}
	return wechat.ScopeUserInfo
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, a *app, scope wechat.Scope) {
	state, err := s.startLogin(w, r, a, flowAuthorize, s.returnTo(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	noStore(w)
	http.Redirect(w, r, a.Client().AuthorizeURL(s.callbackURL(), scope, state, false), http.StatusFound)
}

func (s *Server) firstApp(t wechat.AppType) *app {
	for _, a := range s.apps.order {
		if a.Type() == t {
			return a
		}
	}
	return nil
}

// handleEmbed is GET /auth/wechat/embed?app=&return_to=&self_redirect=: a
// page holding WeChat's QR in an iframe, as wxLogin.js builds it, for
// embedding in the site's own pages. After the scan, the top window goes
// to the callback (or, with self_redirect=true, the iframe does, and the
// gateway then sends the top window on).
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	a, err := s.webApp(r, wechat.AppTypeWebsite)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	self := r.URL.Query().Get("self_redirect") == "true"
	flow := flowEmbed
	if self {
		flow = flowEmbedSelf
	}
	state, err := s.startLogin(w, r, a, flow, s.returnTo(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	src := a.Client().EmbeddedQRConnectURL(s.callbackURL(), state, wechat.EmbedOptions{SelfRedirect: &self})
	s.page(w, http.StatusOK, "embed", web.EmbedPage{Title: "Log in with WeChat", FrameURL: src}, s.embedAncestors())
}

// embedAncestors is the frame-ancestors of the embed page: the gateway and
// the allowed origins.
func (s *Server) embedAncestors() string {
	return strings.TrimSpace("'self' " + strings.Join(s.cfg.Web.AllowedOrigins, " "))
}

// handleCallback is GET /auth/wechat/callback?code=&state=, where WeChat
// sends the browser back. Order matters: the state is checked against this
// browser's binding before the code is touched; the code is exchanged
// exactly once; a duplicate callback (WeChat sometimes calls back twice)
// gets the first one's outcome instead of a 40163 error; the browser ends
// on return_to, never on a URL that still carries the code. The state
// machine is callbackFlow (browserlogin.go).
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL holds the code
	noStore(w)
	ctx := r.Context()
	q := r.URL.Query()
	state, code := q.Get("state"), q.Get("code")
	switch {
	case state == "":
		s.callbackPage(w, r, errStateMissing, "")
		return
	case len(state) != stateLen || !wechat.ValidState(state):
		s.callbackPage(w, r, errStateInvalid, "")
		return
	}
	c, err := r.Cookie(s.bindingCookieName())
	if err != nil || c.Value == "" {
		s.callbackPage(w, r, errStateCookieMissing, "")
		return
	}
	flow := s.newCallbackFlow(state, c.Value, code)
	first, err := flow.claim(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !first {
		s.duplicateCallback(w, r, flow)
		return
	}
	rec, err := flow.take(ctx)
	if err != nil {
		if kindOf(err) == errStateMismatch {
			s.log.Warn("login state used from another browser: possible login CSRF", "app", rec.App, "ip", s.clientIP(r))
		}
		s.callbackFailed(w, r, err, "")
		return
	}
	a, ok := s.apps.byName[rec.App]
	if !ok {
		s.callbackPage(w, r, errAppNotConfigured, "")
		return
	}
	if err := s.limitIP(r, ratelimit.LoginIP, a.Name()); err != nil {
		s.pageError(w, r, err)
		return
	}
	retry := s.retryURL(rec)
	if code == "" {
		flow.fail(ctx, errLoginDeclined)
		s.callbackPage(w, r, errLoginDeclined, retry)
		return
	}
	ans, err := s.oauthLogin(r, a, code)
	s.countLogin(r, a, ans.User.ID, err)
	if err != nil {
		flow.fail(ctx, kindOf(err))
		s.log.Warn("browser login failed", "app", a.Name(), "error", outcomeLabel(err), "cause", errString(err))
		s.callbackError(w, r, kindOf(err), "Login failed", callbackMessage(err), retry)
		return
	}
	// Session fixation: whatever session this browser held before is
	// ended; the login starts a new one.
	s.endBrowserSession(r)
	exp := s.now().Add(time.Duration(ans.ExpiresIn) * time.Second)
	if err := flow.succeed(ctx, ans.Token, exp, rec); err != nil {
		s.log.Warn("remembering a callback's outcome failed", "err", err)
	}
	s.completeBrowserLogin(w, r, ans.Token, exp, rec.ReturnTo, rec.Flow)
}

// duplicateCallback answers a second callback for a state: the same
// browser with the same code gets the first callback's outcome (waiting a
// little if it is still running); anything else logs in nobody.
func (s *Server) duplicateCallback(w http.ResponseWriter, r *http.Request, flow *callbackFlow) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	d, err := flow.await(ctx)
	switch {
	case errors.Is(err, errReplayed):
		s.log.Warn("a spent login state was replayed", "ip", s.clientIP(r))
		s.callbackPage(w, r, errStateExpired, "")
	case err != nil:
		s.callbackFailed(w, r, err, "")
	case d.Failed != nil:
		s.callbackError(w, r, d.Failed, "Login failed", "The login did not complete. Start it again.", "")
	default:
		s.log.Info("duplicate callback answered with the first one's session")
		s.completeBrowserLogin(w, r, d.Token, d.Expires, d.ReturnTo, d.Flow)
	}
}

// callbackFailed shows the page of a callback's error: a page of its own
// for the browser-login states, else the error page.
func (s *Server) callbackFailed(w http.ResponseWriter, r *http.Request, err error, retry string) {
	if k := kindOf(err); callbackPages[k] != (pageText{}) {
		s.callbackPage(w, r, k, retry)
		return
	}
	s.pageError(w, r, err)
}

// completeBrowserLogin gives the browser its session and sends it on.
func (s *Server) completeBrowserLogin(w http.ResponseWriter, r *http.Request, token string, exp time.Time, returnTo, flow string) {
	s.setSessionCookie(w, token, exp)
	if flow == flowEmbedSelf {
		// The callback ran inside the QR iframe: send the top window on.
		s.page(w, http.StatusOK, "breakout", web.BreakoutPage{Target: returnTo}, "'self'")
		return
	}
	http.Redirect(w, r, returnTo, http.StatusFound)
}

// endBrowserSession revokes the session the browser presents, if any.
func (s *Server) endBrowserSession(r *http.Request) {
	tok, fromCookie, _ := s.sessionToken(r)
	if !fromCookie || !session.WellFormed(tok) {
		return
	}
	ctx := r.Context()
	old, err := s.store.GetSessionByTokenHash(ctx, session.HashToken(tok))
	if err != nil {
		return
	}
	if err := s.store.DeleteSession(ctx, old.ID); err != nil {
		s.log.Warn("ending the previous session at login failed", "session", old.ID, "err", err)
	}
}

// retryURL starts the same login again.
func (s *Server) retryURL(rec loginState) string {
	v := url.Values{"app": {rec.App}, "return_to": {rec.ReturnTo}}
	switch rec.Flow {
	case flowAuthorize:
		return "/auth/wechat/authorize?" + v.Encode()
	case flowEmbed, flowEmbedSelf:
		return "" // the embedding page restarts it
	}
	return "/auth/wechat/login?" + v.Encode()
}

func callbackMessage(err error) string {
	if ae, ok := asAPIError(err); ok {
		if ae.Code == errInvalidCode.Code {
			return "WeChat did not accept the login (it may have expired or been used already). Start the login again."
		}
		return ae.Message
	}
	return "The login could not be completed. Start it again."
}

func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// clientIP is the client's address for logs and events (see clientAddr).
func (s *Server) clientIP(r *http.Request) string {
	if a := s.clientAddr(r); a.IsValid() {
		return a.String()
	}
	return ""
}
