package oidc_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// authParams are a valid request's parameters for client site.
func authParams(extra ...string) []string {
	return append([]string{"client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid profile",
		"state", "st", "code_challenge", pkceChallenge(), "code_challenge_method", "S256"}, extra...)
}

func TestPromptLoginAndMaxAge(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	b, _, _ := s.login(alice, "site", siteCallback)
	// With a session: immediate.
	if q := s.callback(b.authorize(s.authURL(authParams()...), ""), siteCallback); q.Get("code") == "" {
		t.Fatalf("SSO: %v", q)
	}
	// prompt=login: a new WeChat login even with a session.
	a := b.follow(s.authURL(authParams("prompt", "login")...))
	if a.header.Get("X-Wxemu-Uuid") == "" {
		t.Fatalf("prompt=login did not ask for a WeChat login: %d %s", a.status, a.location())
	}
	if q := s.callback(b.authorize(s.authURL(authParams("prompt", "login")...), alice), siteCallback); q.Get("code") == "" {
		t.Fatalf("prompt=login after the login: %v", q)
	}
	// max_age: a recent enough login passes, an older one asks again.
	if q := s.callback(b.authorize(s.authURL(authParams("max_age", "3600")...), ""), siteCallback); q.Get("code") == "" {
		t.Fatalf("max_age=3600: %v", q)
	}
	s.clock.advance(5 * time.Second)
	a = b.follow(s.authURL(authParams("max_age", "1")...))
	if a.header.Get("X-Wxemu-Uuid") == "" {
		t.Fatalf("max_age=1 after more than a second did not ask for a login: %d %s", a.status, a.location())
	}
	// prompt=none with max_age exceeded: login_required.
	q := s.callback(b.follow(s.authURL(authParams("max_age", "0", "prompt", "none")...)), siteCallback)
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none max_age=0: %v", q)
	}
	// prompt=none combined with another value is invalid.
	q = s.callback(b.follow(s.authURL(authParams("prompt", "none login")...)), siteCallback)
	if q.Get("error") != "invalid_request" {
		t.Errorf("prompt=none login: %v", q)
	}
}

func TestAuthTimeIsTheWeChatLogin(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	before := s.clock.now().Add(-time.Second)
	b, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	v := prov.Verifier(&gooidc.Config{ClientID: "site"})
	first, err := v.Verify(ctx, str(body, "id_token"))
	if err != nil {
		t.Fatal(err)
	}
	var c1 struct {
		AuthTime int64 `json:"auth_time"`
	}
	_ = first.Claims(&c1)
	if at := time.Unix(c1.AuthTime, 0); at.Before(before.Truncate(time.Second)) || at.After(s.clock.now()) {
		t.Errorf("auth_time %v, login at %v", at, before)
	}
	s.clock.advance(5 * time.Second) // a new auth_time would differ
	// SSO keeps the original auth_time.
	_, code, _ = b, "", ""
	verifier2, challenge := pkce()
	q := s.callback(b.authorize(s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
		"state", "x", "code_challenge", challenge, "code_challenge_method", "S256"), ""), siteCallback)
	_, body = s.exchange(q.Get("code"), verifier2, siteCallback, "site", siteSecret)
	second, err := v.Verify(ctx, str(body, "id_token"))
	if err != nil {
		t.Fatal(err)
	}
	var c2 struct {
		AuthTime int64 `json:"auth_time"`
	}
	_ = second.Claims(&c2)
	if c2.AuthTime != c1.AuthTime {
		t.Errorf("SSO changed auth_time from %d to %d", c1.AuthTime, c2.AuthTime)
	}
}

func TestPairwiseSubjectAndUnionID(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	b, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := prov.Verifier(&gooidc.Config{ClientID: "site"}).Verify(ctx, str(body, "id_token"))
	if err != nil {
		t.Fatal(err)
	}
	verifier2, challenge := pkce()
	q := s.callback(b.authorize(s.authURL("client_id", "pairwise", "redirect_uri", otherCallback, "response_type", "code", "scope", "openid",
		"state", "x", "code_challenge", challenge, "code_challenge_method", "S256"), ""), otherCallback)
	_, body = s.exchange(q.Get("code"), verifier2, otherCallback, "pairwise", pairwiseSecret)
	pw, err := prov.Verifier(&gooidc.Config{ClientID: "pairwise"}).Verify(ctx, str(body, "id_token"))
	if err != nil {
		t.Fatal(err)
	}
	if pw.Subject == pub.Subject || !strings.HasPrefix(pw.Subject, "pw_") || strings.Contains(pw.Subject, pub.Subject) {
		t.Errorf("pairwise sub %q, public sub %q", pw.Subject, pub.Subject)
	}
	var c struct {
		Union string `json:"wechat_unionid"`
	}
	_ = pw.Claims(&c)
	id := s.identity(alice, "web")
	if id.UnionID == "" || c.Union != id.UnionID {
		t.Errorf("release_unionid: claim %q, unionid %q", c.Union, id.UnionID)
	}
	// The same person and client get the same pairwise sub again.
	verifier3, challenge := pkce()
	q = s.callback(b.authorize(s.authURL("client_id", "pairwise", "redirect_uri", otherCallback, "response_type", "code", "scope", "openid",
		"state", "y", "code_challenge", challenge, "code_challenge_method", "S256"), ""), otherCallback)
	_, body = s.exchange(q.Get("code"), verifier3, otherCallback, "pairwise", pairwiseSecret)
	again, err := prov.Verifier(&gooidc.Config{ClientID: "pairwise"}).Verify(ctx, str(body, "id_token"))
	if err != nil || again.Subject != pw.Subject {
		t.Errorf("pairwise sub changed: %q then %q (%v)", pw.Subject, again.Subject, err)
	}
	// Userinfo of the pairwise client answers for the pairwise sub.
	st, ui, _ := s.postBearer("/oauth2/userinfo", str(body, "access_token"))
	if st != 200 || str(ui, "sub") != pw.Subject || str(ui, "wechat_unionid") != id.UnionID {
		t.Errorf("pairwise userinfo: %d %v", st, ui)
	}
	// The clients without release_unionid never get it (nor openids).
	s.assertNoLeakExcept(id.UnionID, s.wechatSecrets(alice)...)
}

func TestBrowserBinding(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	victim, _, _ := s.login(alice, "site", siteCallback)
	// The attacker starts a request in their browser and sends the victim
	// the login hand-off link: the victim's browser refuses to finish it.
	attacker := s.browser()
	a := attacker.get(s.authURL(authParams()...))
	login := a.location()
	if !strings.Contains(login, "/oauth2/login?id=") {
		t.Fatalf("authorize: %d %s", a.status, login)
	}
	if a := victim.get(login); a.status != 403 {
		t.Errorf("the victim's browser finished the attacker's request: %d %s", a.status, a.location())
	}
	u, _ := url.Parse(login)
	if a := victim.get("/oauth2/authorize/callback?id=" + url.QueryEscape(u.Query().Get("id"))); a.status != 403 {
		t.Errorf("callback in another browser: %d %s", a.status, a.location())
	}
}

func TestInsideWeChatUsesOfficialAccount(t *testing.T) {
	s := newStack(t)
	b := s.browser()
	b.ua = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"
	a := b.get(s.authURL(authParams()...))
	a = b.get(a.location())
	if loc := a.location(); a.status != 302 || !strings.HasPrefix(loc, "/auth/wechat/authorize?app=oa&") {
		t.Fatalf("inside WeChat, the hand-off goes to %d %s", a.status, loc)
	}
	a = b.get(a.location())
	if loc := a.location(); !strings.HasPrefix(loc, s.emuURL+"/connect/oauth2/authorize?") {
		t.Errorf("official-account web auth: %s", loc)
	}
}

// TestEmbeddedLoginPage: with oidc.login_page: embedded the browser gets
// wxgate's own sign-in page, naming the client, with the QR embedded.
func TestEmbeddedLoginPage(t *testing.T) {
	s := newStack(t, withOIDC("oidc:\n  login_page: embedded\n"))
	alice := s.user("Alice")
	b := s.browser()
	page := b.follow(s.authURL(authParams()...))
	if page.status != 200 || !strings.Contains(page.raw, "Sign in to Site with WeChat") || !strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("sign-in page: %d %s", page.status, page.raw)
	}
	frame := html.UnescapeString(between(page.raw, `<iframe id="wechat-qr" title="WeChat QR code" src="`, `"`))
	if !strings.HasPrefix(frame, "/auth/wechat/embed?app=web&return_to=%2Foauth2%2Flogin%3Fid%3D") {
		t.Fatalf("iframe src %q", frame)
	}
	embed := b.get(frame)
	qr := html.UnescapeString(between(embed.raw, `src="`, `"`))
	if embed.status != 200 || !strings.HasPrefix(qr, s.emuURL) {
		t.Fatalf("embed page: %d, frame %q", embed.status, qr)
	}
	wx := b.get(qr)
	uuid := wx.header.Get("X-Wxemu-Uuid")
	if uuid == "" {
		t.Fatalf("WeChat's embedded QR: %d", wx.status)
	}
	if err := s.emu.Scan(uuid, alice); err != nil {
		t.Fatal(err)
	}
	cb, err := s.emu.Confirm(uuid, alice)
	if err != nil {
		t.Fatal(err)
	}
	if q := s.callback(b.follow(cb), siteCallback); q.Get("code") == "" || q.Get("state") != "st" {
		t.Fatalf("after the embedded login: %v", q)
	}
	// Inside WeChat's browser the page is not used: official-account web auth.
	wb := s.browser()
	wb.ua = "MicroMessenger/8.0"
	a := wb.get(s.authURL(authParams()...))
	if a = wb.get(a.location()); !strings.HasPrefix(a.location(), "/auth/wechat/authorize?app=oa&") {
		t.Errorf("inside WeChat: %d %s", a.status, a.location())
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}
