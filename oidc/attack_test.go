package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// login runs a confidential-client authorization for user in a fresh
// browser and returns the browser and the code.
func (s *stack) login(user, client, redirect string, extra ...string) (*browser, string, string) {
	s.t.Helper()
	verifier, challenge := pkce()
	b := s.browser()
	params := append([]string{"client_id", client, "redirect_uri", redirect, "response_type", "code", "scope", "openid profile offline_access",
		"state", "st", "nonce", "nn", "code_challenge", challenge, "code_challenge_method", "S256"}, extra...)
	q := s.callback(b.authorize(s.authURL(params...), user), redirect)
	return b, q.Get("code"), verifier
}

func (s *stack) exchange(code, verifier, redirect, id, secret string) (int, map[string]any) {
	s.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	if secret == "" {
		form.Set("client_id", id)
		id = ""
	}
	st, body, _ := s.post("/oauth2/token", form, id, secret)
	return st, body
}

func (s *stack) userinfo(tok string) int {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	st, _, _ := s.send(req)
	return st
}

func (s *stack) refresh(rt, id, secret string) (int, map[string]any) {
	s.t.Helper()
	st, body, _ := s.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, secret)
	return st, body
}

func TestRedirectURIVariantsRefused(t *testing.T) {
	s := newStack(t)
	_, challenge := pkce()
	variants := []string{
		"http://127.0.0.1:9/site/callbackx",      // prefix
		"http://127.0.0.1:9/site/callback/extra", // extra path
		"http://127.0.0.1:9/SITE/callback",       // case
		"http://127.0.0.1:10/site/callback",      // port
		"http://127.0.0.1/site/callback",         // no port
		"http://127.0.0.1:9/site/callback/",      // trailing slash
		"http://evil@127.0.0.1:9/site/callback",  // userinfo
		"http://127.0.0.1:9@evil.example/site/callback",
		"http://127.0.0.1:9/site/%63allback",    // encoded
		"http://127.0.0.1:9/site/callback?x=1",  // query
		"http://127.0.0.1:9/site/callback#frag", // fragment
		"https://127.0.0.1:9/site/callback",     // scheme
		"http://evil.example/site/callback",     // host
		"//evil.example/site/callback",          // scheme-relative
		"javascript:alert(1)",
		"",
	}
	for _, v := range variants {
		b := s.browser()
		a := b.get(s.authURL("client_id", "site", "redirect_uri", v, "response_type", "code", "scope", "openid",
			"state", "st", "code_challenge", challenge, "code_challenge_method", "S256"))
		if a.status >= 300 && a.status < 400 {
			t.Errorf("redirect_uri %q: redirected to %q", v, a.location())
		}
		if a.status != http.StatusBadRequest {
			t.Errorf("redirect_uri %q: status %d, want 400", v, a.status)
		}
	}
	// An unknown client never redirects either.
	a := s.browser().get(s.authURL("client_id", "nobody", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid"))
	if a.status != http.StatusBadRequest {
		t.Errorf("unknown client: %d %s", a.status, a.location())
	}
	if n := s.kvCount(t); n != 0 {
		t.Errorf("refused requests stored %d auth requests", n)
	}
}

func TestAuthorizeErrorsRedirectPerRFC(t *testing.T) {
	s := newStack(t)
	_, challenge := pkce()
	cases := []struct {
		name   string
		params []string
		want   string
	}{
		{"pkce plain", []string{"client_id", "spa", "redirect_uri", spaCallback, "code_challenge", challenge, "code_challenge_method", "plain"}, "invalid_request"},
		{"pkce missing for a public client", []string{"client_id", "spa", "redirect_uri", spaCallback}, "invalid_request"},
		{"pkce method without challenge", []string{"client_id", "site", "redirect_uri", siteCallback, "code_challenge_method", "S256"}, "invalid_request"},
		{"bad challenge", []string{"client_id", "spa", "redirect_uri", spaCallback, "code_challenge", "short", "code_challenge_method", "S256"}, "invalid_request"},
		{"implicit", []string{"client_id", "site", "redirect_uri", siteCallback, "response_type", "id_token token"}, "unauthorized_client"},
		{"no openid", []string{"client_id", "site", "redirect_uri", siteCallback, "scope", "profile"}, "invalid_scope"},
		{"prompt none without session", []string{"client_id", "site", "redirect_uri", siteCallback, "prompt", "none"}, "login_required"},
	}
	for _, c := range cases {
		p := map[string]string{"response_type": "code", "scope": "openid", "state": "s-" + c.name}
		for i := 0; i+1 < len(c.params); i += 2 {
			p[c.params[i]] = c.params[i+1]
		}
		var params []string
		for k, v := range p {
			params = append(params, k, v)
		}
		redirect := p["redirect_uri"]
		a := s.browser().follow(s.authURL(params...))
		if c.name == "implicit" {
			// Errors for a fragment response type go in the fragment.
			if loc := a.location(); a.status != 302 || !strings.HasPrefix(loc, redirect+"#error="+c.want+"&") || !strings.Contains(loc, "state=s-implicit") {
				t.Errorf("implicit: %d %q", a.status, loc)
			}
			continue
		}
		q := s.callback(a, redirect)
		if q.Get("error") != c.want || q.Get("state") != "s-"+c.name || q.Get("code") != "" {
			t.Errorf("%s: got %v, want error=%s with the state", c.name, q, c.want)
		}
	}
	// Only the prompt=none request was valid (and so stored, then deleted
	// when it was answered): the refused ones stored nothing.
	if n := s.kvCount(t); n != 1 {
		t.Errorf("%d auth requests were stored, want 1", n)
	}
}

func TestPKCEAtTheTokenEndpoint(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	// Wrong verifier, then no verifier: both refused, and the code is spent.
	_, code, verifier := s.login(alice, "site", siteCallback)
	if st, body := s.exchange(code, verifier+"x", siteCallback, "site", siteSecret); st != 400 || str(body, "error") != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v", st, body)
	}
	_, code, _ = s.login(alice, "site", siteCallback)
	if st, body := s.exchange(code, "", siteCallback, "site", siteSecret); st != 400 || (str(body, "error") != "invalid_grant" && str(body, "error") != "invalid_request") {
		t.Errorf("missing verifier: %d %v", st, body)
	}
	// The public client with its verifier and no secret succeeds.
	_, code, verifier = s.login(alice, "spa", spaCallback)
	if st, body := s.exchange(code, verifier, spaCallback, "spa", ""); st != 200 || str(body, "access_token") == "" {
		t.Errorf("public client: %d %v", st, body)
	}
	s.assertLogsClean()
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	_, code, verifier := s.login(alice, "site", siteCallback)
	st, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	if st != 200 {
		t.Fatalf("exchange: %d %v", st, body)
	}
	at, rt := str(body, "access_token"), str(body, "refresh_token")
	if s.userinfo(at) != 200 {
		t.Fatal("userinfo refused a fresh token")
	}
	if st, body := s.exchange(code, verifier, siteCallback, "site", siteSecret); st != 400 || str(body, "error") != "invalid_grant" {
		t.Errorf("replayed code: %d %v", st, body)
	}
	if st := s.userinfo(at); st != 401 && st != 403 {
		t.Errorf("the access token issued with a replayed code still works: %d", st)
	}
	if st, _ := s.refresh(rt, "site", siteSecret); st != 400 {
		t.Errorf("the refresh token issued with a replayed code still works: %d", st)
	}
	s.assertLogsClean()
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	_, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	rt1 := str(body, "refresh_token")
	st, body := s.refresh(rt1, "site", siteSecret)
	if st != 200 {
		t.Fatalf("refresh: %d %v", st, body)
	}
	rt2, at2 := str(body, "refresh_token"), str(body, "access_token")
	if rt2 == rt1 || !strings.HasPrefix(rt2, "wxrt_") {
		t.Fatalf("refresh token not rotated: %q", rt2)
	}
	// The spent token again: refused, and the whole family with it.
	if st, body := s.refresh(rt1, "site", siteSecret); st != 400 || str(body, "error") != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v", st, body)
	}
	if st, _ := s.refresh(rt2, "site", siteSecret); st != 400 {
		t.Errorf("the newest refresh token survived a reuse: %d", st)
	}
	if st := s.userinfo(at2); st == 200 {
		t.Error("the newest access token survived a reuse")
	}
	s.assertLogsClean()
}

func TestCrossClientAndClientAuth(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	// A code of client site used by client other.
	_, code, verifier := s.login(alice, "site", siteCallback)
	if st, body := s.exchange(code, verifier, siteCallback, "other", otherSecret); st != 400 || str(body, "error") != "invalid_grant" {
		t.Errorf("code of another client: %d %v", st, body)
	}
	// Wrong, missing and another client's secret.
	for _, c := range []struct{ id, secret string }{{"site", "wrong"}, {"site", otherSecret}, {"site", ""}, {"nobody", "x"}} {
		_, code, verifier := s.login(alice, "site", siteCallback)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {siteCallback}, "code_verifier": {verifier}}
		id := c.id
		if c.secret == "" {
			form.Set("client_id", c.id)
			id = ""
		}
		st, body, _ := s.post("/oauth2/token", form, id, c.secret)
		if st != 401 && st != 400 || str(body, "access_token") != "" {
			t.Errorf("client auth %q/%q: %d %v", c.id, c.secret, st, body)
		}
	}
	// client_secret_post works as well as basic.
	_, code, verifier = s.login(alice, "site", siteCallback)
	st, body, _ := s.post("/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {siteCallback},
		"code_verifier": {verifier}, "client_id": {"site"}, "client_secret": {siteSecret}}, "", "")
	if st != 200 {
		t.Fatalf("client_secret_post: %d %v", st, body)
	}
	at, rt := str(body, "access_token"), str(body, "refresh_token")
	// Client other cannot refresh, introspect or revoke site's tokens.
	if st, _ := s.refresh(rt, "other", otherSecret); st != 400 {
		t.Errorf("refresh with another client: %d", st)
	}
	st, body, _ = s.post("/oauth2/introspect", url.Values{"token": {at}}, "other", otherSecret)
	if st != 200 || body["active"] != false {
		t.Errorf("introspection by another client: %d %v", st, body)
	}
	st, body, _ = s.post("/oauth2/introspect", url.Values{"token": {at}}, "site", siteSecret)
	if st != 200 || body["active"] != true || str(body, "client_id") != "site" {
		t.Errorf("introspection by the client: %d %v", st, body)
	}
	if st, _, _ := s.post("/oauth2/introspect", url.Values{"token": {at}}, "site", "wrong"); st != 401 {
		t.Errorf("introspection with a wrong secret: %d", st)
	}
	s.post("/oauth2/revoke", url.Values{"token": {rt}}, "other", otherSecret)
	if st, _ := s.refresh(rt, "site", siteSecret); st != 200 {
		t.Errorf("another client revoked site's refresh token: %d", st)
	}
	s.assertLogsClean()
}

func TestRevocation(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	_, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	at, rt := str(body, "access_token"), str(body, "refresh_token")
	if st, _, _ := s.post("/oauth2/revoke", url.Values{"token": {at}, "token_type_hint": {"access_token"}}, "site", siteSecret); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if s.userinfo(at) == 200 {
		t.Error("a revoked access token still works")
	}
	if st, _, _ := s.post("/oauth2/revoke", url.Values{"token": {rt}}, "site", siteSecret); st != 200 {
		t.Fatalf("revoke refresh: %d", st)
	}
	if st, _ := s.refresh(rt, "site", siteSecret); st != 400 {
		t.Error("a revoked refresh token still works")
	}
	// Revoking garbage is not an error (RFC 7009 §2.2).
	if st, _, _ := s.post("/oauth2/revoke", url.Values{"token": {"garbage"}}, "site", siteSecret); st != 200 {
		t.Errorf("revoking garbage: %d", st)
	}
}

func TestMalformedAndOversized(t *testing.T) {
	s := newStack(t)
	big := strings.Repeat("a", 70<<10)
	st, body, _ := s.post("/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {big}}, "site", siteSecret)
	if st != 413 && st != 400 || str(body, "error") == "" {
		t.Errorf("oversized token request: %d %v", st, body)
	}
	a := s.browser().get("/oauth2/authorize?client_id=site&state=" + strings.Repeat("x", 9000))
	if a.status != 414 {
		t.Errorf("oversized authorize: %d", a.status)
	}
	for _, form := range []url.Values{
		{},
		{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}},
		{"grant_type": {"client_credentials"}},
		{"grant_type": {"authorization_code"}},
		{"grant_type": {"authorization_code"}, "code": {"\x00\xff"}, "redirect_uri": {siteCallback}},
		{"grant_type": {"refresh_token"}, "refresh_token": {"wxrt_nope"}},
		{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"x"}},
	} {
		st, body, _ := s.post("/oauth2/token", form, "site", siteSecret)
		if st < 400 || st >= 500 || str(body, "error") == "" {
			t.Errorf("token %v: %d %v", form, st, body)
		}
	}
	req, _ := http.NewRequest("POST", s.url+"/oauth2/token", strings.NewReader("%zz=%%"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("site", siteSecret)
	if st, _, _ := s.send(req); st != 400 {
		t.Errorf("unparsable form: %d", st)
	}
	for _, tok := range []string{"", "garbage", strings.Repeat("A", 5000), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		if st := s.userinfo(tok); st < 400 || st >= 500 {
			t.Errorf("userinfo with %.10q: %d", tok, st)
		}
	}
	if a := s.browser().get("/oauth2/login?id=ar_nope"); a.status != 400 {
		t.Errorf("unknown login id: %d", a.status)
	}
	if a := s.browser().get("/oauth2/nothing"); a.status != 404 {
		t.Errorf("unknown path: %d", a.status)
	}
}

func TestPostLogoutRedirect(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	b, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	idt := str(body, "id_token")
	for _, evil := range []string{"https://evil.example/", siteLoggedOut + "x", siteLoggedOut + "/", "//evil.example", "http://127.0.0.1:9/site/bye?x=1"} {
		a := b.get("/oauth2/logout?" + url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {evil}}.Encode())
		if loc := a.location(); strings.Contains(loc, "evil") || strings.HasPrefix(loc, evil) {
			t.Errorf("post_logout_redirect_uri %q: redirected to %q", evil, loc)
		}
	}
	// The registered one: the browser's wxgate session ends and it goes there.
	b2, code, verifier := s.login(alice, "site", siteCallback)
	_, body = s.exchange(code, verifier, siteCallback, "site", siteSecret)
	a := b2.get("/oauth2/logout?" + url.Values{"id_token_hint": {str(body, "id_token")}, "post_logout_redirect_uri": {siteLoggedOut}, "state": {"bye"}}.Encode())
	if a.status != 302 || a.location() != siteLoggedOut+"?state=bye" {
		t.Fatalf("logout: %d %q", a.status, a.location())
	}
	// Next authorization needs a WeChat login again.
	_, challenge := pkce()
	a = b2.follow(s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
		"code_challenge", challenge, "code_challenge_method", "S256", "prompt", "none", "state", "z"))
	if q := s.callback(a, siteCallback); q.Get("error") != "login_required" {
		t.Errorf("after logout, prompt=none gave %v", q)
	}
}
