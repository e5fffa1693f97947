package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wxgate/wxgate/config"
)

// The provider's paths, under the issuer.
const (
	DiscoveryPath   = "/.well-known/openid-configuration"
	authorizePath   = "/oauth2/authorize"
	callbackPath    = "/oauth2/authorize/callback"
	tokenPath       = "/oauth2/token"
	userinfoPath    = "/oauth2/userinfo"
	revokePath      = "/oauth2/revoke"
	introspectPath  = "/oauth2/introspect"
	logoutPath      = "/oauth2/logout"
	jwksPath        = "/oauth2/jwks"
	loginPath       = "/oauth2/login"
	loggedOutPath   = "/oauth2/logged-out"
	bindingCookie   = "wxgate_oidc"
	maxQuery        = 8 << 10
	maxBody         = 64 << 10
	maxLoginAttempt = 3
)

// Provider is the OpenID provider, an http.Handler for the discovery
// document and /oauth2/*.
type Provider struct {
	host        Host
	cfg         *config.OIDC
	issuer      string
	secure      bool // https issuer: cookies get Secure and __Host-
	clients     map[string]*client
	op          *op.Provider
	store       *store
	keys        *keyManager
	log         *slog.Logger
	maxTokenTTL time.Duration
	mux         *http.ServeMux
}

// Mount builds the provider when the configuration lists clients and
// mounts it on the gateway; it returns nil, nil when there are none.
func Mount(h Host) (*Provider, error) {
	if !h.Config().OIDC.Enabled() {
		return nil, nil
	}
	p, err := New(h)
	if err != nil {
		return nil, err
	}
	h.Handle(DiscoveryPath, p)
	h.Handle("/oauth2/", p)
	return p, nil
}

// New builds the provider on a gateway.
func New(h Host) (*Provider, error) {
	cfg := &h.Config().OIDC
	p := &Provider{
		host:    h,
		cfg:     cfg,
		issuer:  strings.TrimRight(cfg.Issuer, "/"),
		clients: map[string]*client{},
		log:     h.Logger().With("component", "oidc"),
	}
	p.secure = strings.HasPrefix(p.issuer, "https://")
	var jwtTTL time.Duration
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		p.clients[c.ID] = newClient(c, p.issuer, cfg.AccessTokenFormat == config.OIDCTokensJWT)
		for _, d := range []config.Duration{c.AccessTokenTTL, c.IDTokenTTL, c.RefreshTokenTTL} {
			p.maxTokenTTL = max(p.maxTokenTTL, time.Duration(d))
		}
		jwtTTL = max(jwtTTL, time.Duration(c.IDTokenTTL), time.Duration(c.AccessTokenTTL))
	}
	p.keys = &keyManager{host: h, alg: jose.SignatureAlgorithm(cfg.SigningAlg), retire: jwtTTL + time.Hour}
	p.store = &store{p: p}
	var cryptoKey [32]byte
	copy(cryptoKey[:], h.Keyring().Index("oidc_access_token_key", p.issuer))
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint(strings.TrimPrefix(authorizePath, "/"))),
		op.WithCustomTokenEndpoint(op.NewEndpoint(strings.TrimPrefix(tokenPath, "/"))),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(strings.TrimPrefix(userinfoPath, "/"))),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(strings.TrimPrefix(revokePath, "/"))),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(strings.TrimPrefix(introspectPath, "/"))),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint(strings.TrimPrefix(logoutPath, "/"))),
		op.WithCustomKeysEndpoint(op.NewEndpoint(strings.TrimPrefix(jwksPath, "/"))),
	}
	if !p.secure {
		opts = append(opts, op.WithAllowInsecure())
	}
	var err error
	p.op, err = op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		CryptoKeyId:              "wxgate1",
		DefaultLogoutRedirectURI: p.issuer + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          config.OIDCScopes,
		SupportedClaims: []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
			"at_hash", "c_hash", "name", "picture", "updated_at", "phone_number", "phone_number_verified", "wechat_unionid"},
	}, p.store, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("GET "+authorizePath, p.handleAuthorize)
	p.mux.HandleFunc("POST "+authorizePath, p.handleAuthorize)
	p.mux.HandleFunc("GET "+callbackPath, p.handleCallback)
	p.mux.HandleFunc("GET "+loginPath, p.handleLogin)
	p.mux.HandleFunc("GET "+logoutPath, p.handleLogout)
	p.mux.HandleFunc("POST "+logoutPath, p.handleLogout)
	p.mux.HandleFunc("GET "+loggedOutPath, p.handleLoggedOut)
	for _, path := range []string{DiscoveryPath, tokenPath, userinfoPath, revokePath, introspectPath, jwksPath} {
		p.mux.Handle(path, p.op)
	}
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeOAuthError(w, http.StatusNotFound, "not_found", "no such OpenID endpoint; the discovery document at "+DiscoveryPath+" lists them")
	})
	return p, nil
}

// Issuer returns the issuer identifier.
func (p *Provider) Issuer() string { return p.issuer }

// Warm makes (or loads) the signing key now, so the first login does not
// wait for an RSA key to be generated.
func (p *Provider) Warm(ctx context.Context) error { return p.keys.refresh(ctx, true) }

// ServeHTTP serves the provider's endpoints, refusing oversized requests
// before anything parses them.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQuery {
		writeOAuthError(w, http.StatusRequestURITooLong, "invalid_request", fmt.Sprintf("the query is longer than %d bytes", maxQuery))
		return
	}
	if r.ContentLength > maxBody {
		writeOAuthError(w, http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("the body is larger than %d bytes", maxBody))
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	w.Header().Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"error_description":%q}`, code, desc)
}

// bindingCookieName is __Host-wxgate_oidc on an https issuer.
func (p *Provider) bindingCookieName() string {
	if p.secure {
		return "__Host-" + bindingCookie
	}
	return bindingCookie
}

// binding returns the browser's binding value (setting one if needed):
// an authorization request resumes only in the browser that started it.
func (p *Provider) binding(w http.ResponseWriter, r *http.Request) string {
	v := p.cookieBinding(r)
	if v == "" {
		v = randomToken(32)
	}
	http.SetCookie(w, &http.Cookie{Name: p.bindingCookieName(), Value: v, Path: "/", MaxAge: int(authRequestTTL.Seconds()),
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
	return v
}

func (p *Provider) cookieBinding(r *http.Request) string {
	c, err := r.Cookie(p.bindingCookieName())
	if err != nil || len(c.Value) != 43 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

func hashBinding(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// bound reports whether the request comes from the browser that started ar.
func (p *Provider) bound(r *http.Request, ar *authRequest) bool {
	v := p.cookieBinding(r)
	return v != "" && string(hashBinding(v)) == string(ar.Binding)
}

func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	v := p.binding(w, r)
	ctx := context.WithValue(r.Context(), bindingCtxKey, hashBinding(v))
	p.op.ServeHTTP(w, r.WithContext(ctx))
}

// handleCallback lets the library issue the code, only in the browser
// that started the request.
func (p *Provider) handleCallback(w http.ResponseWriter, r *http.Request) {
	ar, err := p.store.authRequest(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		p.page(w, http.StatusBadRequest, "This sign-in link has expired", "It was already used, or took longer than ten minutes. Go back to the application and sign in again.")
		return
	}
	if !p.bound(r, ar) {
		p.page(w, http.StatusForbidden, "This sign-in was started in another browser", "For your safety it can only finish where it began. Go back to the application and sign in again from this browser.")
		return
	}
	p.op.ServeHTTP(w, r)
}

// handleLogin is the hand-off between an authorization request and the
// gateway's WeChat login: without a (fresh enough) session it sends the
// browser to the gateway's login, which returns here; with one it
// completes the request.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	ar, err := p.store.authRequest(ctx, id)
	if err != nil {
		var nf notFound
		if errors.As(err, &nf) {
			p.page(w, http.StatusBadRequest, "This sign-in link has expired", "It was already used, or took longer than ten minutes. Go back to the application and sign in again.")
			return
		}
		p.log.Error("reading an authorization request failed", "err", err)
		p.page(w, http.StatusServiceUnavailable, "Sign-in is unavailable for a moment", "wxgate cannot reach its storage. Wait a few seconds and reload this page.")
		return
	}
	if !p.bound(r, ar) {
		p.page(w, http.StatusForbidden, "This sign-in was started in another browser", "For your safety it can only finish where it began. Go back to the application and sign in again from this browser.")
		return
	}
	if ar.IsDone {
		http.Redirect(w, r, p.issuer+callbackPath+"?id="+url.QueryEscape(ar.ID), http.StatusFound)
		return
	}
	c := p.clients[ar.ClientID]
	sess, ok, err := p.host.BrowserSession(r)
	if err != nil {
		p.log.Error("reading the browser's session failed", "err", err)
		p.page(w, http.StatusServiceUnavailable, "Sign-in is unavailable for a moment", "wxgate cannot reach its storage. Wait a few seconds and reload this page.")
		return
	}
	now := p.host.Now()
	// A session made after the request is a login made for it.
	fresh := ok && !sess.CreatedAt.Before(ar.CreatedAt.Truncate(time.Microsecond))
	needLogin := !ok
	if ok && !fresh {
		if slices.Contains(ar.Prompt, oidc.PromptLogin) {
			needLogin = true
		}
		if ar.MaxAge != nil && now.Sub(sess.CreatedAt) > time.Duration(*ar.MaxAge)*time.Second {
			needLogin = true
		}
		if ar.HintSubject != "" && p.subject(c, sess.UserID) != ar.HintSubject {
			needLogin = true
		}
	}
	if needLogin {
		if slices.Contains(ar.Prompt, oidc.PromptNone) {
			p.refuse(w, r, ar, oidc.ErrLoginRequired().WithDescription("nobody is signed in to wxgate in this browser"))
			return
		}
		if ar.LoginAttempts >= maxLoginAttempt {
			p.refuse(w, r, ar, oidc.ErrAccessDenied().WithDescription("the WeChat login did not complete"))
			return
		}
		ar.LoginAttempts++
		if err := p.saveAuthRequest(ctx, ar); err != nil {
			p.page(w, http.StatusServiceUnavailable, "Sign-in is unavailable for a moment", "wxgate cannot reach its storage. Wait a few seconds and reload this page.")
			return
		}
		returnTo := loginPath + "?id=" + url.QueryEscape(ar.ID)
		w.Header().Set("Referrer-Policy", "no-referrer")
		if p.cfg.LoginPage == config.OIDCLoginEmbedded {
			if frame := p.host.EmbeddedLoginURL(r, returnTo); frame != "" {
				p.loginPage(w, c, frame, p.host.BrowserLoginURL(r, returnTo))
				return
			}
		}
		http.Redirect(w, r, p.host.BrowserLoginURL(r, returnTo), http.StatusFound)
		return
	}
	ar.IsDone = true
	ar.UserID = sess.UserID
	ar.Subject = p.subject(c, sess.UserID)
	ar.AuthTime = sess.CreatedAt
	ar.AMR = []string{p.host.LoginMethod(sess)}
	if err := p.saveAuthRequest(ctx, ar); err != nil {
		p.page(w, http.StatusServiceUnavailable, "Sign-in is unavailable for a moment", "wxgate cannot reach its storage. Wait a few seconds and reload this page.")
		return
	}
	http.Redirect(w, r, p.issuer+callbackPath+"?id="+url.QueryEscape(ar.ID), http.StatusFound)
}

// saveAuthRequest writes ar back for the rest of its lifetime.
func (p *Provider) saveAuthRequest(ctx context.Context, ar *authRequest) error {
	ttl := authRequestTTL - p.host.Now().Sub(ar.CreatedAt)
	if ttl <= 0 {
		return errors.New("oidc: the authorization request expired")
	}
	return p.store.setJSON(ctx, arKey(ar.ID), ar, ttl)
}

// refuse ends an authorization request with an error sent to the
// client's (registered, already checked) redirect_uri.
func (p *Provider) refuse(w http.ResponseWriter, r *http.Request, ar *authRequest, e *oidc.Error) {
	if err := p.store.DeleteAuthRequest(r.Context(), ar.ID); err != nil {
		p.log.Warn("deleting a refused authorization request failed", "err", err)
	}
	op.AuthRequestError(w, r, ar, e, p.op)
}

// handleLogout is RP-initiated logout: the library validates the request
// (id_token_hint, client_id, post_logout_redirect_uri matched exactly);
// when it accepts it, the browser's wxgate session ends too.
func (p *Provider) handleLogout(w http.ResponseWriter, r *http.Request) {
	lw := &logoutWriter{ResponseWriter: w, end: func() { p.host.EndBrowserSession(w, r) }}
	p.op.ServeHTTP(lw, r)
}

type logoutWriter struct {
	http.ResponseWriter
	end         func()
	wroteHeader bool
}

func (l *logoutWriter) WriteHeader(code int) {
	if !l.wroteHeader {
		l.wroteHeader = true
		if code >= 300 && code < 400 {
			l.end()
		}
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logoutWriter) Write(b []byte) (int, error) {
	if !l.wroteHeader {
		l.WriteHeader(http.StatusOK)
	}
	return l.ResponseWriter.Write(b)
}

func (p *Provider) handleLoggedOut(w http.ResponseWriter, r *http.Request) {
	p.page(w, http.StatusOK, "You are signed out", "Your wxgate sign-in in this browser has ended. You can close this page.")
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to {{.Client}} with WeChat</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222;text-align:center}
h1{font-size:1.4rem}iframe{border:0;width:340px;height:420px;max-width:100%}</style>
</head><body><h1>Sign in to {{.Client}} with WeChat</h1>
<p>Scan the code with WeChat on your phone, then confirm on the phone. 用微信扫码登录。</p>
<iframe id="wechat-qr" title="WeChat QR code" src="{{.Frame}}"></iframe>
<p><a id="full-page" href="{{.FullPage}}">Open WeChat's own QR page instead</a></p>
</body></html>
`))

// loginPage is wxgate's sign-in page (oidc.login_page: embedded): it names
// the client and embeds the gateway's QR page.
func (p *Provider) loginPage(w http.ResponseWriter, c *client, frame, fullPage string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'")
	name := c.cfg.ID
	if c.cfg.Name != "" {
		name = c.cfg.Name
	}
	if err := loginTmpl.Execute(w, struct{ Client, Frame, FullPage string }{name, frame, fullPage}); err != nil {
		p.log.Warn("rendering the sign-in page failed", "err", err)
	}
}

func (p *Provider) page(w http.ResponseWriter, status int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, struct{ Title, Message string }{title, msg}); err != nil {
		p.log.Warn("rendering a page failed", "err", err)
	}
}

// subject is the sub a client sees for a user: the wxgate user id, or
// for pairwise clients a keyed hash of (client, user) that no other
// client can link.
func (p *Provider) subject(c *client, userID string) string {
	if c == nil || c.cfg.SubjectType != config.OIDCSubjectPairwise {
		return userID
	}
	return "pw_" + base64.RawURLEncoding.EncodeToString(p.host.Keyring().Index("oidc_pairwise_sub", c.cfg.ID, userID)[:24])
}

// claims fills the claims the scopes release about a user.
func (p *Provider) claims(ctx context.Context, ui *oidc.UserInfo, userID, subject, clientID string, scopes []string) error {
	ui.Subject = subject
	c := p.clients[clientID]
	profile := slices.Contains(scopes, oidc.ScopeProfile)
	phone := slices.Contains(scopes, oidc.ScopePhone)
	union := c != nil && c.cfg.ReleaseUnionID
	if !profile && !phone && !union {
		return nil
	}
	u, ph, unionID, err := p.host.AccountUser(ctx, userID)
	if err != nil {
		return oidc.ErrServerError().WithDescription("the user's profile cannot be read right now").WithParent(err)
	}
	if profile {
		ui.Name = u.Nickname
		ui.Picture = u.AvatarURL
		ui.UpdatedAt = oidc.FromTime(u.UpdatedAt)
	}
	if phone && ph != "" {
		ui.PhoneNumber = ph
		ui.PhoneNumberVerified = true
	}
	if union && unionID != "" {
		ui.AppendClaims("wechat_unionid", unionID)
	}
	return nil
}
