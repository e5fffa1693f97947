package emulator

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// Error-page codes: those of wechat-api.md §3 where one fits, and two of
// the emulator's own (see docs/emulator.md).
const (
	pageErrResponseType = 10001 // emulator's own: response_type missing or not "code"
	pageErrRedirectURI  = 10003 // redirect_uri not on the callback domain, or a port rule broken
	pageErrScope        = 10005 // wrong scope for the app, or wrong app type
	pageErrScopeEmpty   = 10010
	pageErrRedirectNone = 10011
	pageErrAppIDEmpty   = 10012
	pageErrState        = 10013 // state empty, over 128 bytes, or outside [A-Za-z0-9]
	pageErrAppID        = 40013 // emulator's own: no app has this appid
)

var pageErrText = map[int]string{
	pageErrResponseType: "response_type 参数错误",
	pageErrRedirectURI:  "redirect_uri 参数错误",
	pageErrScope:        "Scope 参数错误或没有 Scope 权限",
	pageErrScopeEmpty:   "Scope 参数错误或没有 Scope 权限",
	pageErrRedirectNone: "redirect_uri 参数错误",
	pageErrAppIDEmpty:   "appid 参数错误",
	pageErrState:        "state 参数错误",
	pageErrAppID:        "appid 参数错误",
}

const userCookie = "wxemu_user"

// authRequest is a validated qrconnect or authorize request.
type authRequest struct {
	app         *app
	redirectURI string
	scope       wechat.Scope
	state       string
}

// checkAuth validates the parameters shared by qrconnect and authorize.
// allowed says which app type and scopes the page serves. It returns a
// page error code, or 0.
func (e *Emulator) checkAuth(q url.Values, typ wechat.AppType, scopes ...wechat.Scope) (authRequest, int) {
	var ar authRequest
	appid := q.Get("appid")
	if appid == "" {
		return ar, pageErrAppIDEmpty
	}
	if ar.app = e.app(appid); ar.app == nil {
		return ar, pageErrAppID
	}
	ar.redirectURI = q.Get("redirect_uri")
	if ar.redirectURI == "" {
		return ar, pageErrRedirectNone
	}
	ar.scope = wechat.Scope(q.Get("scope"))
	if ar.scope == "" {
		return ar, pageErrScopeEmpty
	}
	okScope := false
	for _, s := range scopes {
		okScope = okScope || s == ar.scope
	}
	if ar.app.typ != typ || !okScope {
		return ar, pageErrScope
	}
	if !ar.app.cb.allows(ar.redirectURI) {
		return ar, pageErrRedirectURI
	}
	// response_type must be "code". wxLogin.js leaves it out of the
	// embedded QR's URL, so there (login_type=jssdk) it may be absent.
	if rt, ok := q["response_type"]; ok && (len(rt) != 1 || rt[0] != "code") || !ok && q.Get("login_type") != "jssdk" {
		return ar, pageErrResponseType
	}
	ar.state = q.Get("state")
	if !e.validState(ar.state) {
		return ar, pageErrState
	}
	return ar, 0
}

// validState applies the state rules: at most 128 bytes; by default not
// empty and only [A-Za-z0-9].
func (e *Emulator) validState(s string) bool {
	if len(s) > wechat.MaxStateLen || (s == "" && e.rules.requireState) {
		return false
	}
	if !e.rules.strictStateCharset {
		return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// handleQRConnect serves website QR login, full page or embedded
// (login_type=jssdk, as wxLogin.js frames it).
func (e *Emulator) handleQRConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ar, perr := e.checkAuth(q, wechat.AppTypeWebsite, wechat.ScopeLogin)
	if perr != 0 {
		e.errorPage(w, perr)
		return
	}
	g := &grant{kind: GrantQRConnect, app: ar.app, redirectURI: ar.redirectURI, state: ar.state, scope: ar.scope}
	g.embedded = q.Get("login_type") == "jssdk"
	switch g.selfRedirect = q.Get("self_redirect"); g.selfRedirect {
	case "true", "false":
	default:
		g.selfRedirect = "default"
	}
	g = e.newGrant(g)
	target := "self"
	if g.embedded && g.selfRedirect != "true" {
		target = "top"
	}
	w.Header().Set("X-Wxemu-Uuid", g.uuid)
	e.render(w, http.StatusOK, "qrconnect", g.embedded, e.grantPage(r, g, target))
}

// handleAuthorize serves official-account web authorization.
func (e *Emulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query() // connect_redirect, forcePopup and forceSnapShot are accepted and ignored
	ar, perr := e.checkAuth(q, wechat.AppTypeOfficialAccount, wechat.ScopeBase, wechat.ScopeUserInfo)
	if perr != 0 {
		e.errorPage(w, perr)
		return
	}
	userID := e.cookieUser(r)
	if ar.scope == wechat.ScopeBase && userID != "" {
		// Inside WeChat, snsapi_base is silent: straight back with a code.
		now := e.clock.now()
		c := e.codes.issue(now, &code{kind: codeOAuth, b: e.bind(ar.app, userID), scope: ar.scope, expires: now.Add(codeTTL * time.Second)})
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", withCode(ar.redirectURI, c, ar.state))
		w.WriteHeader(http.StatusFound)
		return
	}
	g := e.newGrant(&grant{kind: GrantAuthorize, app: ar.app, redirectURI: ar.redirectURI, state: ar.state, scope: ar.scope})
	w.Header().Set("X-Wxemu-Uuid", g.uuid)
	data := e.grantPage(r, g, "self")
	if ar.scope == wechat.ScopeBase {
		e.render(w, http.StatusOK, "open", false, data)
		return
	}
	if userID != "" {
		if u, err := e.GetUser(userID); err == nil {
			data.Nickname = u.Nickname
		}
	}
	e.render(w, http.StatusOK, "consent", false, data)
}

// handleConsent is the consent page's 允许/拒绝 form: it confirms or refuses
// the grant as the user in the wxemu_user cookie, then redirects.
func (e *Emulator) handleConsent(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		e.messagePage(w, http.StatusForbidden, "请求来源错误", "cross-origin form posts are refused", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
	uuid := r.PathValue("uuid")
	userID := e.cookieUser(r)
	if userID == "" {
		e.messagePage(w, http.StatusUnauthorized, "请先选择微信用户", "Choose a user in the phone simulator first; it remembers them in the wxemu_user cookie.", "/_emulator/phone?uuid="+url.QueryEscape(uuid))
		return
	}
	var (
		to  string
		err error
	)
	switch r.PostFormValue("action") {
	case "allow":
		to, err = e.Confirm(uuid, userID)
	case "deny":
		to, err = e.Cancel(uuid, userID)
	default:
		e.messagePage(w, http.StatusBadRequest, "参数错误", "action must be allow or deny", "")
		return
	}
	if err != nil {
		ce := asError(err)
		e.messagePage(w, ce.Status, "授权失败", ce.Message, "")
		return
	}
	if to == "" {
		e.messagePage(w, http.StatusOK, "您已拒绝授权", "", "")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// cookieUser is the existing user named by the wxemu_user cookie, or "".
func (e *Emulator) cookieUser(r *http.Request) string {
	c, err := r.Cookie(userCookie)
	if err != nil || !e.userExists(c.Value) {
		return ""
	}
	return c.Value
}

// sameOrigin refuses browser requests sent from another origin (or from an
// opaque one). Requests without either header (curl, SDKs) pass.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// pageData is what the page templates show.
type pageData struct {
	Title      string
	AppName    string
	UUID       string
	Scope      string
	Target     string // "self" or "top": the window navigated on success
	Prefix     string // redirect = Prefix + code + Suffix
	Suffix     string
	Deny       string // where refusal navigates; "" for nowhere
	PhoneURL   string
	Nickname   string
	Style      string
	ErrCode    int
	Message    string
	Detail     string
	Link       string
	LinkText   string
	Expires    int64
	Embedded   bool
	IsUserInfo bool
	// WXACode is the mini-program code the phone simulator focuses.
	WXACode string
	// QRTicket is the parametric QR code the phone simulator focuses.
	QRTicket string
}

func (e *Emulator) grantPage(r *http.Request, g *grant, target string) pageData {
	prefix, suffix := redirectParts(g.redirectURI, g.state)
	style := r.URL.Query().Get("style")
	if style != "white" {
		style = "black"
	}
	return pageData{
		Title: "微信登录", AppName: g.app.name, UUID: g.uuid, Scope: string(g.scope), Target: target,
		Prefix: prefix, Suffix: suffix, Deny: e.denyURL(g),
		PhoneURL: baseURL(r) + "/_emulator/phone?uuid=" + g.uuid,
		Style:    style, Embedded: g.embedded, IsUserInfo: g.scope == wechat.ScopeUserInfo,
		Expires: g.expires.Unix(),
	}
}

// errorPage is WeChat's error page: HTTP 200 (an assumption), HTML, never a
// redirect, with X-Wxemu-Error naming the reason for tests.
func (e *Emulator) errorPage(w http.ResponseWriter, code int) {
	w.Header().Set("X-Wxemu-Error", strconv.Itoa(code))
	e.render(w, http.StatusOK, "error", false, pageData{Title: "微信登录", ErrCode: code, Message: pageErrText[code]})
}

func (e *Emulator) messagePage(w http.ResponseWriter, status int, msg, detail, link string) {
	e.render(w, status, "message", false, pageData{Title: "微信", Message: msg, Detail: detail, Link: link})
}

// render writes a page template with the emulator's security headers.
func (e *Emulator) render(w http.ResponseWriter, status int, name string, frameable bool, data pageData) {
	var buf bytes.Buffer
	if err := e.pages.ExecuteTemplate(&buf, name, data); err != nil {
		e.log.Error("render page", "page", name, "err", err)
		http.Error(w, "emulator: cannot render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	ancestors := "'self'"
	if frameable {
		ancestors = "*"
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:; connect-src 'self'; base-uri 'none'; frame-ancestors "+ancestors)
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
