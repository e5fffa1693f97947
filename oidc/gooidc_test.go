package oidc_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestGoOIDCRelyingParty runs the whole flow with coreos/go-oidc v3 and
// golang.org/x/oauth2 as a relying party would: discovery, a WeChat QR
// login through the gateway, the code exchange with PKCE, id_token
// verification with the nonce, userinfo, refresh and single sign-on.
func TestGoOIDCRelyingParty(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var meta struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		ResponseTypes        []string `json:"response_types_supported"`
		Introspection        string   `json:"introspection_endpoint"`
		Revocation           string   `json:"revocation_endpoint"`
		EndSession           string   `json:"end_session_endpoint"`
		JWKS                 string   `json:"jwks_uri"`
		Algs                 []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := prov.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(meta.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v, want only S256", meta.CodeChallengeMethods)
	}
	if meta.JWKS != s.url+"/oauth2/jwks" || meta.Introspection != s.url+"/oauth2/introspect" ||
		meta.Revocation != s.url+"/oauth2/revoke" || meta.EndSession != s.url+"/oauth2/logout" {
		t.Errorf("endpoints: %+v", meta)
	}
	if !slices.Equal(meta.Algs, []string{"RS256"}) {
		t.Errorf("signing algs = %v", meta.Algs)
	}
	oc := &oauth2.Config{ClientID: "site", ClientSecret: siteSecret, Endpoint: prov.Endpoint(), RedirectURL: siteCallback,
		Scopes: []string{gooidc.ScopeOpenID, "profile", "phone", gooidc.ScopeOfflineAccess}}
	verifier := prov.Verifier(&gooidc.Config{ClientID: "site"})

	alice := s.user("Alice")
	b := s.browser()
	pv := oauth2.GenerateVerifier()
	a := b.authorize(oc.AuthCodeURL("st-1", gooidc.Nonce("n-1"), oauth2.S256ChallengeOption(pv)), alice)
	q := s.callback(a, siteCallback)
	if q.Get("state") != "st-1" {
		t.Fatalf("state = %q", q.Get("state"))
	}
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pv))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	s.note(tok.AccessToken)
	s.note(tok.RefreshToken)
	raw, _ := tok.Extra("id_token").(string)
	s.note(raw)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	if idt.Nonce != "n-1" {
		t.Errorf("nonce = %q", idt.Nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Sub      string   `json:"sub"`
		Name     string   `json:"name"`
		AMR      []string `json:"amr"`
		ACR      string   `json:"acr"`
		AuthTime int64    `json:"auth_time"`
		Phone    string   `json:"phone_number"`
		Union    string   `json:"wechat_unionid"`
		OpenID   string   `json:"openid"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(claims.Sub, "usr_") || claims.Name != "Alice" || !slices.Equal(claims.AMR, []string{"wechat_qr"}) || claims.ACR == "" {
		t.Errorf("id_token claims = %+v", claims)
	}
	if d := time.Since(time.Unix(claims.AuthTime, 0)); d < 0 || d > time.Minute {
		t.Errorf("auth_time is %v ago", d)
	}
	if claims.Union != "" || claims.OpenID != "" {
		t.Errorf("the id_token releases WeChat identifiers: %+v", claims)
	}
	ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != claims.Sub {
		t.Errorf("userinfo sub = %q, id_token sub = %q", ui.Subject, claims.Sub)
	}
	var uc map[string]any
	if err := ui.Claims(&uc); err != nil {
		t.Fatal(err)
	}
	if uc["name"] != "Alice" {
		t.Errorf("userinfo = %v", uc)
	}

	// Refresh: a new access token and a new refresh token; the old
	// refresh token is spent.
	old := tok.RefreshToken
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	tok2, err := oc.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	s.note(tok2.AccessToken)
	s.note(tok2.RefreshToken)
	if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == old || tok2.RefreshToken == "" {
		t.Fatal("refresh did not rotate the tokens")
	}
	if raw2, _ := tok2.Extra("id_token").(string); raw2 != "" {
		s.note(raw2)
		if _, err := verifier.Verify(ctx, raw2); err != nil {
			t.Errorf("refreshed id_token: %v", err)
		}
	}
	if _, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok2)); err != nil {
		t.Errorf("userinfo with the refreshed token: %v", err)
	}

	// Single sign-on: another client, same browser, no second WeChat login.
	oc2 := &oauth2.Config{ClientID: "other", ClientSecret: otherSecret, Endpoint: prov.Endpoint(), RedirectURL: otherCallback, Scopes: []string{gooidc.ScopeOpenID}}
	a = b.authorize(oc2.AuthCodeURL("st-2", gooidc.Nonce("n-2")), "")
	q = s.callback(a, otherCallback)
	tok3, err := oc2.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatalf("second client exchange: %v", err)
	}
	s.note(tok3.AccessToken)
	raw3, _ := tok3.Extra("id_token").(string)
	idt3, err := prov.Verifier(&gooidc.Config{ClientID: "other"}).Verify(ctx, raw3)
	if err != nil {
		t.Fatal(err)
	}
	if idt3.Subject != claims.Sub || idt3.Nonce != "n-2" {
		t.Errorf("SSO: sub %q nonce %q", idt3.Subject, idt3.Nonce)
	}
	// The first client's verifier refuses the second client's id_token.
	if _, err := verifier.Verify(ctx, raw3); err == nil {
		t.Error("an id_token for another client verified")
	}
	s.assertNoLeak(s.wechatSecrets(alice)...)
	s.assertLogsClean()
	_ = url.Values{}
}
