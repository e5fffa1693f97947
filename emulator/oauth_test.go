package emulator_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func authorizeQuery(a emulator.App, redirect string, scope wechat.Scope, state string) url.Values {
	return url.Values{"appid": {a.AppID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {string(scope)}, "state": {state}}
}

// wantErrorPage asserts WeChat's error page: 200, HTML, no redirect, the
// reason in X-Wxemu-Error.
func wantErrorPage(t *testing.T, resp *http.Response, body, code, text string) {
	t.Helper()
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || resp.Header.Get("X-Wxemu-Uuid") != "" {
		t.Fatalf("status %d, Location %q: want a 200 page that does not redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := resp.Header.Get("X-Wxemu-Error"); got != code {
		t.Fatalf("X-Wxemu-Error = %q, want %s", got, code)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, text) {
		t.Fatalf("page does not say %q: %s", text, body)
	}
}

func TestAuthorizationPageErrors(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	mp := v.app(wechat.AppTypeMiniProgram, "")
	ported, _ := v.e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeWebsite, CallbackDomain: "example.com:8443"})
	const redirectErr, scopeErr = "redirect_uri 参数错误", "Scope 参数错误或没有 Scope 权限"
	long := strings.Repeat("a", 129)
	type tc struct {
		name, path string
		q          url.Values
		code, text string
	}
	qr := func(a emulator.App, redirect, scope, state string) url.Values {
		return url.Values{"appid": {a.AppID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope}, "state": {state}}
	}
	cases := []tc{
		{"qr: wrong domain", "/connect/qrconnect", qr(web, "https://evil.com/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: suffix is not a subdomain", "/connect/qrconnect", qr(web, "https://badexample.com/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: user info trick", "/connect/qrconnect", qr(web, "https://example.com@evil.com/", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: port without a registered port", "/connect/qrconnect", qr(web, "https://example.com:8443/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: other port", "/connect/qrconnect", qr(ported, "https://example.com:8444/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: registered port missing", "/connect/qrconnect", qr(ported, "https://example.com/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: not http", "/connect/qrconnect", qr(web, "javascript://example.com/%0aalert(1)", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: relative", "/connect/qrconnect", qr(web, "/cb", "snsapi_login", "s"), "10003", redirectErr},
		{"qr: wrong scope", "/connect/qrconnect", qr(web, "https://example.com/", "snsapi_userinfo", "s"), "10005", scopeErr},
		{"qr: official account appid", "/connect/qrconnect", qr(oa, "https://example.com/", "snsapi_login", "s"), "10005", scopeErr},
		{"qr: mini-program appid", "/connect/qrconnect", qr(mp, "https://example.com/", "snsapi_login", "s"), "10005", scopeErr},
		{"qr: empty scope", "/connect/qrconnect", qr(web, "https://example.com/", "", "s"), "10010", scopeErr},
		{"qr: empty redirect_uri", "/connect/qrconnect", qr(web, "", "snsapi_login", "s"), "10011", redirectErr},
		{"qr: empty appid", "/connect/qrconnect", url.Values{"redirect_uri": {"https://example.com/"}, "scope": {"snsapi_login"}}, "10012", "appid"},
		{"qr: unknown appid", "/connect/qrconnect", qr(emulator.App{AppID: "wx0000000000000000"}, "https://example.com/", "snsapi_login", "s"), "40013", "appid"},
		{"qr: state over 128 bytes", "/connect/qrconnect", qr(web, "https://example.com/", "snsapi_login", long), "10013", "state"},
		{"qr: state charset", "/connect/qrconnect", qr(web, "https://example.com/", "snsapi_login", "a-b"), "10013", "state"},
		{"qr: empty state", "/connect/qrconnect", qr(web, "https://example.com/", "snsapi_login", ""), "10013", "state"},
		{"oa: website appid", "/connect/oauth2/authorize", qr(web, "https://example.com/", "snsapi_base", "s"), "10005", scopeErr},
		{"oa: login scope", "/connect/oauth2/authorize", qr(oa, "https://example.com/", "snsapi_login", "s"), "10005", scopeErr},
		{"oa: two scopes", "/connect/oauth2/authorize", qr(oa, "https://example.com/", "snsapi_base,snsapi_userinfo", "s"), "10005", scopeErr},
		{"oa: wrong domain", "/connect/oauth2/authorize", qr(oa, "http://example.org/", "snsapi_base", "s"), "10003", redirectErr},
		{"oa: port", "/connect/oauth2/authorize", qr(oa, "http://example.com:80/", "snsapi_base", "s"), "10003", redirectErr},
		{"oa: long state", "/connect/oauth2/authorize", qr(oa, "http://example.com/", "snsapi_userinfo", long), "10013", "state"},
		{"oa: empty scope", "/connect/oauth2/authorize", qr(oa, "http://example.com/", "", "s"), "10010", scopeErr},
	}
	noType := qr(web, "https://example.com/", "snsapi_login", "s")
	noType.Del("response_type")
	cases = append(cases, tc{"qr: no response_type", "/connect/qrconnect", noType, "10001", "response_type"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := v.page(c.path, c.q, "u1")
			wantErrorPage(t, resp, body, c.code, c.text)
		})
	}
	if gs, _ := v.e.Grants(""); len(gs) != 0 {
		t.Fatalf("error pages created grants: %v", gs)
	}
}

func TestRedirectURIAccepted(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	ported, _ := v.e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeWebsite, CallbackDomain: "LOCALHOST:8080"})
	ip, _ := v.e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeWebsite, CallbackDomain: "127.0.0.1:9000"})
	uid := v.user()
	for _, tc := range []struct {
		app             emulator.App
		redirect, state string
		want            string
	}{
		{web, "https://example.com/cb", "abc", "https://example.com/cb?code=CODE&state=abc"},
		{web, "http://login.Example.com/cb", "abc", "http://login.Example.com/cb?code=CODE&state=abc"},
		{web, "https://a.b.example.com/cb?next=%2Fhome&x=1", "S1", "https://a.b.example.com/cb?next=%2Fhome&x=1&code=CODE&state=S1"},
		{web, "https://example.com/app#/login?y=2", "S2", "https://example.com/app?code=CODE&state=S2#/login?y=2"},
		{web, "https://example.com/p?q=1#frag", "S3", "https://example.com/p?q=1&code=CODE&state=S3#frag"},
		{web, "https://example.com/p?", "S4", "https://example.com/p?code=CODE&state=S4"},
		{ported, "http://localhost:8080/cb", "S5", "http://localhost:8080/cb?code=CODE&state=S5"},
		{ported, "http://dev.localhost:8080/cb", "S6", "http://dev.localhost:8080/cb?code=CODE&state=S6"},
		{ip, "http://127.0.0.1:9000/cb", "S7", "http://127.0.0.1:9000/cb?code=CODE&state=S7"},
	} {
		uuid := v.qrGrant(tc.app, tc.redirect, tc.state)
		to, err := v.e.Confirm(uuid, uid)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(to)
		if err != nil {
			t.Fatal(err)
		}
		code := u.Query().Get("code")
		if len(code) != 32 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("code %q is not 32 alphanumerics", code)
		}
		if got := strings.Replace(to, code, "CODE", 1); got != tc.want {
			t.Errorf("redirect = %q, want %q", got, tc.want)
		}
	}
}

func TestStateEchoedUnchanged(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{StrictStateCharset: emulator.SwitchOff, RequireState: emulator.SwitchOff}))
	web := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	for _, state := range []string{"", "a b&c=d/é", strings.Repeat("x", 128)} {
		to, err := v.e.Confirm(v.qrGrant(web, "https://example.com/cb", state), uid)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(to)
		if got := u.Query().Get("state"); got != state || !u.Query().Has("state") {
			t.Fatalf("state %q came back as %q", state, got)
		}
	}
	resp, body := v.page("/connect/qrconnect", url.Values{"appid": {web.AppID}, "redirect_uri": {"https://example.com/"}, "response_type": {"code"}, "scope": {"snsapi_login"}, "state": {strings.Repeat("x", 129)}}, "")
	wantErrorPage(t, resp, body, "10013", "state")
}

func TestSnsapiBaseWithCookieRedirectsAtOnce(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	uid := v.user()
	q := authorizeQuery(oa, "https://m.example.com/cb?from=menu", wechat.ScopeBase, "xyz")
	q.Set("connect_redirect", "1")
	q.Set("forcePopup", "true")
	q.Set("forceSnapShot", "false")
	resp, _ := v.page("/connect/oauth2/authorize", q, uid)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "m.example.com" || loc.Query().Get("from") != "menu" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("Location %s", loc)
	}
	tok, err := v.client(oa).ExchangeCode(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := v.e.Identity(uid, oa.AppID)
	if tok.OpenID != id.OpenID || tok.Scope != "snsapi_base" || tok.UnionID != "" {
		t.Fatalf("token %+v", tok)
	}
}

func TestSnsapiBaseWithoutCookie(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	uid := v.user()
	for _, cookie := range []string{"", "no-such-user"} {
		resp, body := v.page("/connect/oauth2/authorize", authorizeQuery(oa, "https://example.com/cb", wechat.ScopeBase, "s"), cookie)
		uuid := resp.Header.Get("X-Wxemu-Uuid")
		if resp.StatusCode != 200 || uuid == "" || !strings.Contains(body, "请在微信客户端打开链接") {
			t.Fatalf("status %d uuid %q body %s", resp.StatusCode, uuid, body)
		}
		to, err := v.ctl.Confirm(context.Background(), uuid, uid)
		if err != nil || !strings.HasPrefix(to, "https://example.com/cb?code=") {
			t.Fatalf("confirm: %q %v", to, err)
		}
	}
}

func TestConsentPageFlow(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "acme")
	uid := v.user()
	open := func() string {
		resp, body := v.page("/connect/oauth2/authorize", authorizeQuery(oa, "https://example.com/cb#/home", wechat.ScopeUserInfo, "st"), uid)
		uuid := resp.Header.Get("X-Wxemu-Uuid")
		if resp.StatusCode != 200 || uuid == "" || !strings.Contains(body, "允许") || !strings.Contains(body, "拒绝") || !strings.Contains(body, "Alice") {
			t.Fatalf("consent page: %d %s", resp.StatusCode, body)
		}
		return uuid
	}
	post := func(uuid, action, cookie, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, v.srv.URL+"/_emulator/consent/"+uuid, strings.NewReader("action="+action))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "wxemu_user", Value: cookie})
		}
		resp, err := v.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	uuid := open()
	if resp := post(uuid, "allow", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no cookie: %d", resp.StatusCode)
	}
	for _, origin := range []string{"http://evil.example", "null"} {
		if resp := post(uuid, "allow", uid, origin); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %s: %d", origin, resp.StatusCode)
		}
	}
	resp := post(uuid, "allow", uid, v.srv.URL)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Fragment != "/home" || loc.Query().Get("state") != "st" {
		t.Fatalf("allow: %d %s", resp.StatusCode, loc)
	}
	tok, err := v.client(oa).ExchangeCode(context.Background(), loc.Query().Get("code"))
	if err != nil || tok.Scope != "snsapi_userinfo" || tok.UnionID == "" {
		t.Fatalf("exchange: %+v %v", tok, err)
	}
	if resp := post(uuid, "allow", uid, ""); resp.StatusCode != http.StatusConflict {
		t.Fatalf("second allow: %d", resp.StatusCode)
	}
	// Refusal: redirect_uri?state=STATE, no code (default).
	resp = post(open(), "deny", uid, "")
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "https://example.com/cb?state=st#/home" {
		t.Fatalf("deny: %d %q", resp.StatusCode, got)
	}
}

func TestDenyRedirectNone(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{DenyRedirect: emulator.DenyRedirectNone}))
	web := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	to, err := v.ctl.Cancel(context.Background(), v.qrGrant(web, "https://example.com/", "s"), uid)
	if err != nil || to != "" {
		t.Fatalf("cancel: %q %v", to, err)
	}
	_, body := v.page("/connect/qrconnect", url.Values{"appid": {web.AppID}, "redirect_uri": {"https://example.com/"}, "response_type": {"code"}, "scope": {"snsapi_login"}, "state": {"s"}}, "")
	if !strings.Contains(body, `data-deny=""`) {
		t.Fatal("page must not navigate on refusal")
	}
}

func TestQRConnectPages(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	wc := v.client(web)
	self, no := true, false
	for _, tc := range []struct {
		name      string
		url       string
		target    string
		frameable bool
	}{
		{"full page", wc.QRConnectURL("https://example.com/cb", "s1"), "self", false},
		{"embedded, default", wc.EmbeddedQRConnectURL("https://example.com/cb", "s1", wechat.EmbedOptions{Style: "white", Href: "https://example.com/x.css", StyleLite: true, DisableFastLogin: true}), "top", true},
		{"embedded, self_redirect=true", wc.EmbeddedQRConnectURL("https://example.com/cb", "s1", wechat.EmbedOptions{SelfRedirect: &self}), "self", true},
		{"embedded, self_redirect=false", wc.EmbeddedQRConnectURL("https://example.com/cb", "s1", wechat.EmbedOptions{SelfRedirect: &no}), "top", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := v.hc.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(resp)
			uuid := resp.Header.Get("X-Wxemu-Uuid")
			if resp.StatusCode != 200 || uuid == "" {
				t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("X-Wxemu-Error"))
			}
			for _, want := range []string{`src="/connect/qrcode/` + uuid + `"`, `data-target="` + tc.target + `"`, `data-prefix="https://example.com/cb?code="`, `data-suffix="&amp;state=s1"`, "/_emulator/assets/poll.js"} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if strings.Contains(csp, "frame-ancestors *") != tc.frameable {
				t.Errorf("CSP %q", csp)
			}
		})
	}
}
