package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The demo site is also an OpenID relying party of its own gateway:
// "Log in with OIDC" goes through the standard authorization code flow
// with PKCE (github.com/coreos/go-oidc and golang.org/x/oauth2, as any Go
// app would), not through wxgate's own API.
const (
	oidcClientID  = "demo-site"
	oidcLoginURL  = "/oidc/login"
	oidcCallback  = "/oidc/callback"
	oidcRPCookie  = "demo_oidc_rp"
	oidcRPTimeout = 10 * time.Minute
)

// newClientSecret is the demo client's secret, new on every run.
func newClientSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("demo: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// relyingParty discovers the provider on first use (the site serves the
// discovery document itself, so it cannot be fetched before serving).
type relyingParty struct {
	issuer, secret string
	mu             sync.Mutex
	prov           *gooidc.Provider
}

func (rp *relyingParty) config(ctx context.Context) (*oauth2.Config, *gooidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.prov == nil {
		p, err := gooidc.NewProvider(ctx, rp.issuer)
		if err != nil {
			return nil, nil, err
		}
		rp.prov = p
	}
	return &oauth2.Config{ClientID: oidcClientID, ClientSecret: rp.secret, Endpoint: rp.prov.Endpoint(),
			RedirectURL: rp.issuer + oidcCallback, Scopes: []string{gooidc.ScopeOpenID, "profile"}},
		rp.prov.Verifier(&gooidc.Config{ClientID: oidcClientID}), nil
}

func (s *site) mountOIDC(mux *http.ServeMux, secret string) {
	s.rp = &relyingParty{issuer: s.urls.Site, secret: secret}
	mux.Handle("/oauth2/", s.gw)
	mux.Handle("GET /.well-known/openid-configuration", s.gw)
	mux.Handle("GET "+oidcLoginURL, s.page(http.HandlerFunc(s.handleOIDCLogin)))
	mux.Handle("GET "+oidcCallback, s.page(http.HandlerFunc(s.handleOIDCCallback)))
}

// handleOIDCLogin starts the flow: state, nonce and PKCE verifier kept
// in an HttpOnly cookie of this browser.
func (s *site) handleOIDCLogin(w http.ResponseWriter, r *http.Request) {
	oc, _, err := s.rp.config(r.Context())
	if err != nil {
		s.oidcFailed(w, "discovery", err)
		return
	}
	state, nonce, verifier := newClientSecret()[:32], newClientSecret()[:32], oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: oidcRPCookie, Value: state + "." + nonce + "." + verifier, Path: oidcCallback,
		MaxAge: int(oidcRPTimeout.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, oc.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// handleOIDCCallback checks the state, exchanges the code, verifies the
// id_token (signature, issuer, audience, expiry, nonce) and shows what
// the site learned.
func (s *site) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := r.Cookie(oidcRPCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcRPCookie, Value: "", Path: oidcCallback, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	if len(parts) != 3 || q.Get("state") != parts[0] {
		s.render(w, http.StatusBadRequest, "message", pageData{Title: "wxgate demo",
			Message: "登录链接无效 · This sign-in link is not valid",
			Detail:  "Its state does not match this browser's. Start again with \"Log in with OIDC\"."})
		return
	}
	if e := q.Get("error"); e != "" {
		s.render(w, http.StatusBadRequest, "message", pageData{Title: "wxgate demo",
			Message: "登录未完成 · The sign-in did not complete",
			Detail:  "The provider answered " + e + ": " + q.Get("error_description")})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	oc, verifier, err := s.rp.config(ctx)
	if err != nil {
		s.oidcFailed(w, "discovery", err)
		return
	}
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		s.oidcFailed(w, "the code exchange", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != parts[1] {
		s.oidcFailed(w, "the id_token check", fmt.Errorf("verify: %v, nonce match: %v", err, err == nil && idt.Nonce == parts[1]))
		return
	}
	var claims struct {
		Name string   `json:"name"`
		AMR  []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		s.oidcFailed(w, "reading the claims", err)
		return
	}
	s.render(w, http.StatusOK, "message", pageData{Title: "OpenID Connect · wxgate demo",
		Message: "你好，" + claims.Name + "！ Signed in with OpenID Connect",
		Detail: fmt.Sprintf("The site verified an id_token from wxgate with go-oidc: sub %s, amr %s, logged in at %s. It never saw an openid or a WeChat token.",
			idt.Subject, strings.Join(claims.AMR, " "), idt.IssuedAt.Format(time.RFC3339))})
}

func (s *site) oidcFailed(w http.ResponseWriter, step string, err error) {
	s.log.Warn("the demo's OpenID login failed", "step", step, "err", err)
	s.render(w, http.StatusBadGateway, "message", pageData{Title: "wxgate demo",
		Message: "OpenID 登录失败 · The OpenID sign-in failed",
		Detail:  "It failed at " + step + "; the demo's log says why. Go back and try again."})
}
