package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/session"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so each hop of a login can be checked.
type browser struct {
	h  *harness
	c  *http.Client
	ua string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a URL (relative ones on the gateway) and records the answer.
func (b *browser) get(u string) answer {
	b.h.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.h.url + u
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.h.mu.Lock()
	b.h.answers.Write(raw)
	for k, vs := range resp.Header {
		b.h.answers.WriteString("\n" + k + ": " + strings.Join(vs, ","))
	}
	b.h.mu.Unlock()
	return answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
}

// sessionCookie returns the browser's wxgate session token.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.h.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == session.CookieName {
			return c.Value
		}
	}
	return ""
}

func (b *browser) me() answer {
	return b.get("/auth/me")
}

// startQR opens /auth/wechat/login and WeChat's QR page; it returns the
// grant's uuid.
func (b *browser) startQR(query string) string {
	b.h.t.Helper()
	a := b.get("/auth/wechat/login?" + query)
	if a.status != 302 {
		b.h.t.Fatalf("login start = %d %s", a.status, a.raw)
	}
	loc := a.header.Get("Location")
	if !strings.HasPrefix(loc, b.h.emuURL+"/connect/qrconnect?") || !strings.HasSuffix(loc, "#wechat_redirect") {
		b.h.t.Fatalf("login start redirects to %s", loc)
	}
	qr := b.get(strings.TrimSuffix(loc, "#wechat_redirect"))
	uuid := qr.header.Get("X-Wxemu-Uuid")
	if qr.status != 200 || uuid == "" {
		b.h.t.Fatalf("WeChat's QR page = %d %s", qr.status, qr.raw)
	}
	return uuid
}

// scan is the person on the phone: scan and confirm; it returns the
// callback URL WeChat sends the browser to.
func (h *harness) scan(uuid, user string) string {
	h.t.Helper()
	if err := h.emu.Scan(uuid, user); err != nil {
		h.t.Fatal(err)
	}
	cb, err := h.emu.Confirm(uuid, user)
	if err != nil {
		h.t.Fatal(err)
	}
	if u, _ := url.Parse(cb); u != nil {
		h.noteCode(u.Query().Get("code"))
	}
	return cb
}

// qrLogin runs a whole website login and returns the callback's answer.
func (b *browser) qrLogin(user, query string) answer {
	b.h.t.Helper()
	return b.get(b.h.scan(b.startQR(query), user))
}

func TestWebsiteLogin(t *testing.T) {
	h := newHarness(t)
	u := h.user("Wang")
	b := h.browser()
	a := b.qrLogin(u, "app=web&return_to=/profile?tab=1")
	if a.status != 302 || a.header.Get("Location") != "/profile?tab=1" {
		t.Fatalf("callback = %d → %q %s", a.status, a.header.Get("Location"), a.raw)
	}
	if a.header.Get("Referrer-Policy") != "no-referrer" || a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("callback headers: %v", a.header)
	}
	var sc string
	for _, c := range a.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, session.CookieName+"=") {
			sc = c
		}
	}
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || !strings.Contains(sc, "Path=/") || strings.Contains(sc, "Secure") {
		t.Errorf("session cookie on plain-HTTP dev = %q", sc)
	}
	me := b.me()
	h.wantStatus(me, 200, "")
	var body map[string]any
	if err := jsonUnmarshal(me.raw, &body); err != nil || body["user"].(map[string]any)["nickname"] != "Wang" {
		t.Fatalf("me = %s", me.raw)
	}
	h.assertNoLeak(h.secretsSeen(u)...)
	h.mu.Lock()
	codes := append([]string(nil), h.codes...)
	h.mu.Unlock()
	// The callback URL carries the code; nothing the gateway answered does.
	h.mu.Lock()
	h.answers.Reset()
	h.mu.Unlock()
	b.get("/auth/me")
	h.assertNoLeak(codes...)
}

func TestWebLoginStartDefaultsAndErrors(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	// One website app: app= may be left out.
	a := b.get("/auth/wechat/login")
	if a.status != 302 {
		t.Fatalf("login without app = %d %s", a.status, a.raw)
	}
	loc, _ := url.Parse(a.header.Get("Location"))
	st := loc.Query().Get("state")
	if len(st) != 32 || strings.Trim(st, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("state %q is not 32 alphanumerics", st)
	}
	if loc.Query().Get("redirect_uri") != h.url+"/auth/wechat/callback" || loc.Query().Get("scope") != "snsapi_login" {
		t.Errorf("qrconnect query = %v", loc.Query())
	}
	var bc string
	for _, c := range a.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "wxgate_login=") {
			bc = c
		}
	}
	if !strings.Contains(bc, "HttpOnly") || !strings.Contains(bc, "SameSite=Lax") || !strings.Contains(bc, "Max-Age=600") {
		t.Errorf("binding cookie = %q", bc)
	}
	// Two logins in two tabs get different states and one binding.
	b2 := b.get("/auth/wechat/login?app=web")
	loc2, _ := url.Parse(b2.header.Get("Location"))
	if loc2.Query().Get("state") == st {
		t.Error("two logins got the same state")
	}
	for _, q := range []string{"app=nope", "app=mp", "app=oa"} {
		if a := b.get("/auth/wechat/login?" + q); a.status != 400 || a.header.Get("X-Wxgate-Error") == "" || !strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("login ?%s = %d %v", q, a.status, a.header)
		}
	}
}

func TestCallbackStateAttacks(t *testing.T) {
	h := newHarness(t)
	victim, attacker := h.user("Victim"), h.user("Attacker")
	alice := h.browser()

	// Login CSRF: the attacker starts a login in their own browser, lets
	// WeChat redirect, and sends the callback URL (their code and state)
	// to the victim.
	mallory := h.browser()
	evil := h.scan(mallory.startQR("app=web"), attacker)

	t.Run("victim has no login cookie", func(t *testing.T) {
		a := alice.get(evil)
		if a.status != 400 || a.header.Get("X-Wxgate-Error") != "state_cookie_missing" || alice.sessionCookie() != "" {
			t.Fatalf("callback = %d %s, session %q", a.status, a.header.Get("X-Wxgate-Error"), alice.sessionCookie())
		}
	})
	t.Run("victim started a login of their own", func(t *testing.T) {
		alice.startQR("app=web")
		a := alice.get(evil)
		if a.status != 403 || a.header.Get("X-Wxgate-Error") != "state_mismatch" || alice.sessionCookie() != "" {
			t.Fatalf("callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
		}
		if !strings.Contains(h.logs.String(), "possible login CSRF") {
			t.Error("the mismatch was not logged")
		}
	})
	t.Run("the attacker's own code was not spent on the victim", func(t *testing.T) {
		if n := h.emu.Stats().Calls["/sns/oauth2/access_token"]; n != 0 {
			t.Fatalf("a code was exchanged before the state check: %d calls", n)
		}
	})
	t.Run("state missing", func(t *testing.T) {
		u, _ := url.Parse(evil)
		q := u.Query()
		q.Del("state")
		a := alice.get("/auth/wechat/callback?" + q.Encode())
		if a.status != 400 || a.header.Get("X-Wxgate-Error") != "state_missing" {
			t.Fatalf("callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
		}
	})
	t.Run("state forged", func(t *testing.T) {
		for _, st := range []string{"abc", strings.Repeat("a", 32), strings.Repeat("a", 200), "a-b", "%00"} {
			a := alice.get("/auth/wechat/callback?code=x&state=" + url.QueryEscape(st))
			if a.status != 400 || alice.sessionCookie() != "" {
				t.Fatalf("state %q: callback = %d %s", st, a.status, a.header.Get("X-Wxgate-Error"))
			}
		}
	})
	t.Run("state expired", func(t *testing.T) {
		cb := h.scan(alice.startQR("app=web"), victim)
		u, _ := url.Parse(cb)
		h.kv.Delete(context.Background(), stateKey(u.Query().Get("state"))) // what ten minutes do
		a := alice.get(cb)
		if a.status != 400 || a.header.Get("X-Wxgate-Error") != "state_expired" || alice.sessionCookie() != "" {
			t.Fatalf("callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
		}
	})
	t.Run("state replayed from another browser", func(t *testing.T) {
		cb := h.scan(alice.startQR("app=web"), victim)
		if a := alice.get(cb); a.status != 302 {
			t.Fatalf("first callback = %d %s", a.status, a.raw)
		}
		eve := h.browser()
		eve.startQR("app=web") // has a binding of her own
		a := eve.get(cb)
		if a.status != 400 || a.header.Get("X-Wxgate-Error") != "state_expired" || eve.sessionCookie() != "" {
			t.Fatalf("replayed callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
		}
	})
	h.assertNoLeak(h.secretsSeen(victim, attacker)...)
}

func TestCallbackCodeReplayAndDoubleCallback(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	b := h.browser()
	cb := h.scan(b.startQR("app=web&return_to=/done"), u)

	// WeChat calls back twice at once: one exchange, both land logged in.
	var wg sync.WaitGroup
	answers := make([]answer, 4)
	for i := range answers {
		wg.Add(1)
		go func(i int) { defer wg.Done(); answers[i] = b.get(cb) }(i)
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != 302 || a.header.Get("Location") != "/done" {
			t.Fatalf("callback %d = %d %s %s", i, a.status, a.header.Get("X-Wxgate-Error"), a.raw)
		}
	}
	if n := h.emu.Stats().Calls["/sns/oauth2/access_token"]; n != 1 {
		t.Fatalf("the code was exchanged %d times", n)
	}
	h.wantStatus(b.me(), 200, "")

	// Code replay: a spent code under a fresh state logs in nobody.
	code, _ := url.Parse(cb)
	c2 := h.browser()
	cb2, _ := url.Parse(h.scan(c2.startQR("app=web"), u))
	q := cb2.Query()
	q.Set("code", code.Query().Get("code"))
	a := c2.get("/auth/wechat/callback?" + q.Encode())
	if a.status != 400 || a.header.Get("X-Wxgate-Error") != "invalid_code" || c2.sessionCookie() != "" {
		t.Fatalf("replayed code = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	// ...and its duplicate shows the same outcome, not a 40163 surprise.
	a = c2.get("/auth/wechat/callback?" + q.Encode())
	if a.header.Get("X-Wxgate-Error") != "invalid_code" {
		t.Fatalf("duplicate of a failed callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
}

func TestCallbackOpenRedirect(t *testing.T) {
	h := newHarness(t, withYAML("web:\n  allowed_origins: [\"https://shop.example.com\"]\n"))
	u := h.user("x")
	for rt, want := range map[string]string{
		"//evil.com":                        "/",
		"/\\evil.com":                       "/",
		"https://evil.com/":                 "/",
		"%2F%2Fevil.com":                    "/",
		"javascript:alert(document.cookie)": "/",
		"https://shop.example.com/cart":     "https://shop.example.com/cart",
		"/account":                          "/account",
	} {
		b := h.browser()
		a := b.qrLogin(u, "app=web&return_to="+url.QueryEscape(rt))
		if a.status != 302 || a.header.Get("Location") != want {
			t.Errorf("return_to %q → %d %q, want %q", rt, a.status, a.header.Get("Location"), want)
		}
	}
}

func TestLoginRotatesTheSession(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	b := h.browser()
	b.qrLogin(u, "app=web")
	first := b.sessionCookie()
	// Session fixation: whatever session the browser held (here its own;
	// it could be one an attacker planted) is ended by the next login.
	b.qrLogin(u, "app=web")
	second := b.sessionCookie()
	if first == "" || second == "" || first == second {
		t.Fatalf("sessions %q then %q", first, second)
	}
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(first)...), 401, "session_expired")
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(second)...), 200, "")
}

func TestCallbackRefusalAndWeChatErrors(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	b := h.browser()
	uuid := b.startQR("app=web")
	h.emu.Scan(uuid, u)
	cb, err := h.emu.Cancel(uuid, u) // the person taps "deny"
	if err != nil {
		t.Fatal(err)
	}
	a := b.get(cb)
	if a.status != 403 || a.header.Get("X-Wxgate-Error") != "login_declined" || b.sessionCookie() != "" {
		t.Fatalf("refused login = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	if !strings.Contains(a.raw, "/auth/wechat/login?") {
		t.Error("the refusal page offers no way to start again")
	}
	for _, f := range []struct {
		code   int
		status int
		err    string
	}{{-1, 503, "wechat_busy"}, {40029, 400, "invalid_code"}, {40125, 502, "wechat_misconfigured"}} {
		h.ctl.SetFault(context.Background(), emulator.Fault{Path: "/sns/oauth2/access_token", ErrCode: f.code})
		a := b.qrLogin(u, "app=web")
		if a.status != f.status || a.header.Get("X-Wxgate-Error") != f.err || b.sessionCookie() != "" {
			t.Errorf("errcode %d: callback = %d %s", f.code, a.status, a.header.Get("X-Wxgate-Error"))
		}
	}
}

func TestOfficialAccountWebAuth(t *testing.T) {
	h := newHarness(t)
	u := h.user("Zhang")
	ctx := context.Background()

	// snsapi_userinfo: consent on the phone, then the profile, and the
	// same user as the website login (shared unionid).
	b := h.browser()
	web := b.qrLogin(u, "app=web")
	h.wantStatus(b.me(), 200, "")
	webUser := b.me()
	a := b.get("/auth/wechat/authorize?app=oa&scope=snsapi_userinfo&return_to=/m")
	loc := a.header.Get("Location")
	if a.status != 302 || !strings.HasPrefix(loc, h.emuURL+"/connect/oauth2/authorize?appid="+h.apps["oa"].AppID+"&redirect_uri=") {
		t.Fatalf("authorize = %d %s", a.status, loc)
	}
	page := b.get(strings.TrimSuffix(loc, "#wechat_redirect"))
	uuid := page.header.Get("X-Wxemu-Uuid")
	cb, err := h.emu.Confirm(uuid, u)
	if err != nil {
		t.Fatalf("consent: %v (%d %s)", err, page.status, page.raw)
	}
	a = b.get(cb)
	if a.status != 302 || a.header.Get("Location") != "/m" {
		t.Fatalf("callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	me := b.me()
	if !strings.Contains(me.raw, `"nickname":"Zhang"`) || !strings.Contains(me.raw, `"app":"oa"`) || userID(webUser) != userID(me) {
		t.Errorf("official-account login: %s (website user %s)", me.raw, userID(webUser))
	}
	_ = web

	// snsapi_base inside WeChat: silent, straight back.
	c := h.browser()
	emu, _ := url.Parse(h.emuURL)
	c.c.Jar.SetCookies(emu, []*http.Cookie{{Name: "wxemu_user", Value: u}})
	a = c.get("/auth/wechat/authorize?app=oa&scope=snsapi_base")
	a = c.get(strings.TrimSuffix(a.header.Get("Location"), "#wechat_redirect"))
	if a.status != 302 {
		t.Fatalf("snsapi_base with the WeChat cookie = %d %s", a.status, a.raw)
	}
	a = c.get(a.header.Get("Location"))
	if a.status != 302 || c.sessionCookie() == "" {
		t.Fatalf("snsapi_base callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	h.wantStatus(c.me(), 200, "")
	_ = ctx

	// /auth/wechat/login from WeChat's browser goes to the official account.
	d := h.browser()
	d.ua = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 MicroMessenger/8.0.50"
	a = d.get("/auth/wechat/login?return_to=/x")
	if !strings.Contains(a.header.Get("Location"), "/connect/oauth2/authorize?appid="+h.apps["oa"].AppID) {
		t.Errorf("login inside WeChat → %s", a.header.Get("Location"))
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestEmbeddedQR(t *testing.T) {
	h := newHarness(t, withYAML("web:\n  allowed_origins: [\"https://shop.example.com\"]\n"))
	u := h.user("Li")
	for _, self := range []bool{false, true} {
		b := h.browser()
		q := "app=web&return_to=/after"
		if self {
			q += "&self_redirect=true"
		}
		page := b.get("/auth/wechat/embed?" + q)
		if page.status != 200 || !strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'self' https://shop.example.com") {
			t.Fatalf("embed page = %d %v", page.status, page.header)
		}
		i := strings.Index(page.raw, `src="`)
		if i < 0 {
			t.Fatalf("no iframe: %s", page.raw)
		}
		src := page.raw[i+5:]
		src = strings.ReplaceAll(src[:strings.IndexByte(src, '"')], "&amp;", "&")
		fu, _ := url.Parse(src)
		want := "false"
		if self {
			want = "true"
		}
		if fu.Query().Get("login_type") != "jssdk" || fu.Query().Get("self_redirect") != want {
			t.Fatalf("iframe src = %s", src)
		}
		frame := b.get(src)
		a := b.get(h.scan(frame.header.Get("X-Wxemu-Uuid"), u))
		if !self && (a.status != 302 || a.header.Get("Location") != "/after") {
			t.Errorf("embedded callback = %d %s", a.status, a.header.Get("Location"))
		}
		if self && (a.status != 200 || !strings.Contains(a.raw, `href="/after"`) || !strings.Contains(a.raw, "breakout.js")) {
			t.Errorf("self_redirect callback = %d %s", a.status, a.raw)
		}
		h.wantStatus(b.me(), 200, "")
	}
}

func userID(a answer) string {
	var body struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	jsonUnmarshal(a.raw, &body)
	return body.User.ID
}
