package demo

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so each step of a login can be checked.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, u string, header http.Header) answer {
	b.t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(u string) answer { b.t.Helper(); return b.do(http.MethodGet, u, nil) }

var (
	userIDPattern = regexp.MustCompile(`id="user-id">(usr_[0-9a-f]+)<`)
	avatarPattern = regexp.MustCompile(`id="avatar" src="([^"]+)"`)
)

// avatar checks that the profile page's avatar is on the site's origin
// (the gateway keeps a copy of WeChat's) and loads as an image.
func (b *browser) avatar(d *running) {
	b.t.Helper()
	page := b.get(d.Site + "/profile").body
	m := avatarPattern.FindStringSubmatch(page)
	if m == nil || !strings.HasPrefix(m[1], d.Site+"/") {
		b.t.Fatalf("profile avatar %v, want one on %s", m, d.Site)
	}
	if a := b.get(m[1]); a.status != http.StatusOK || a.header.Get("Content-Type") != "image/png" {
		b.t.Errorf("avatar %s: %d %s", m[1], a.status, a.header.Get("Content-Type"))
	}
}

// login logs b in through the full-page QR as the emulator's user, the
// way the browser test does, and returns the profile page's wxgate user id.
func (b *browser) login(d *running, user string) string {
	b.t.Helper()
	ctx := context.Background()
	start := b.get(d.Site + loginURL)
	qr := start.header.Get("Location")
	if start.status != http.StatusFound || !strings.HasPrefix(qr, d.Emulator+"/connect/qrconnect?") {
		b.t.Fatalf("login button: %d to %q, want 302 to the emulator's qrconnect", start.status, qr)
	}
	page := b.get(qr)
	uuid := page.header.Get("X-Wxemu-Uuid")
	if page.status != http.StatusOK || uuid == "" {
		b.t.Fatalf("qrconnect: %d, uuid %q, error %q", page.status, uuid, page.header.Get("X-Wxemu-Error"))
	}
	emu := emulator.NewClient(d.Emulator, nil)
	if err := emu.Scan(ctx, uuid, user); err != nil {
		b.t.Fatal(err)
	}
	callback, err := emu.Confirm(ctx, uuid, user)
	if err != nil {
		b.t.Fatal(err)
	}
	done := b.get(callback)
	if done.status != http.StatusFound || done.header.Get("Location") != "/profile" {
		b.t.Fatalf("callback: %d to %q (%s), want 302 to /profile", done.status, done.header.Get("Location"), done.header.Get("X-Wxgate-Error"))
	}
	prof := b.get(d.Site + "/profile")
	m := userIDPattern.FindStringSubmatch(prof.body)
	if prof.status != http.StatusOK || m == nil {
		b.t.Fatalf("profile after login: %d\n%s", prof.status, prof.body)
	}
	return m[1]
}

func TestFixtureAndDataPersistAcrossRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()

	d1 := startDemo(t, dir)
	emu1 := emulator.NewClient(d1.Emulator, nil)
	apps1, err := emu1.Apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	types := map[wechat.AppType]emulator.App{}
	for _, a := range apps1 {
		types[a.Type] = a
		if a.OpenAccount != openAccount {
			t.Errorf("app %s: open account %q, want %q", a.Name, a.OpenAccount, openAccount)
		}
	}
	for _, typ := range []wechat.AppType{wechat.AppTypeWebsite, wechat.AppTypeOfficialAccount, wechat.AppTypeMiniProgram, wechat.AppTypeMobile} {
		if _, ok := types[typ]; !ok {
			t.Errorf("no %s app in the emulator: %+v", typ, apps1)
		}
	}
	web := types[wechat.AppTypeWebsite]
	if want := strings.TrimPrefix(d1.Site, "http://"); web.CallbackDomain != want || types[wechat.AppTypeOfficialAccount].CallbackDomain != want {
		t.Errorf("callback domains %q, %q, want the site's %q", web.CallbackDomain, types[wechat.AppTypeOfficialAccount].CallbackDomain, want)
	}
	users, err := emu1.Users(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("users: %+v, %v", users, err)
	}
	id1, err := emu1.Identity(ctx, "xiaoming", web.AppID)
	if err != nil {
		t.Fatal(err)
	}
	user1 := newBrowser(t).login(d1, "xiaoming")
	if err := d1.stop(); err != nil {
		t.Fatal(err)
	}

	for name, mode := range map[string]os.FileMode{"": 0o700, fixtureName: 0o600, keysFile: 0o600, databaseFile: 0} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("data folder: %v", err)
			continue
		}
		if mode != 0 && fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Join(dir, name), fi.Mode().Perm(), mode)
		}
	}

	// A second run on the same folder (on other ports) has the same apps,
	// the same openids, and the same wxgate user for the same person.
	d2 := startDemo(t, dir)
	emu2 := emulator.NewClient(d2.Emulator, nil)
	apps2, err := emu2.Apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps2) != len(apps1) {
		t.Fatalf("second run: %d apps, want %d", len(apps2), len(apps1))
	}
	for _, a := range apps2 {
		was := types[a.Type]
		if a.AppID != was.AppID || a.Secret != was.Secret {
			t.Errorf("%s app changed across runs: %s -> %s (or its secret did)", a.Type, was.AppID, a.AppID)
		}
		if a.Type == wechat.AppTypeWebsite && a.CallbackDomain != strings.TrimPrefix(d2.Site, "http://") {
			t.Errorf("second run: website callback domain %q, want the new site address %s", a.CallbackDomain, d2.Site)
		}
	}
	id2, err := emu2.Identity(ctx, "xiaoming", web.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if id2.OpenID != id1.OpenID || id2.UnionID != id1.UnionID || id1.UnionID == "" {
		t.Errorf("identity changed across runs: %+v -> %+v", id1, id2)
	}
	if user2 := newBrowser(t).login(d2, "xiaoming"); user2 != user1 {
		t.Errorf("the same person is wxgate user %s, then %s", user1, user2)
	}
	// The avatars follow the site's new address.
	fx, err := emulator.LoadFixture(filepath.Join(dir, fixtureName))
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Users[0].HeadImgURL; got != d2.Site+avatarPath+"xiaoming.png" {
		t.Errorf("second run: avatar %q, want it on the site's new address %s", got, d2.Site)
	}
	prof := newBrowser(t)
	prof.login(d2, "xiaoming")
	prof.avatar(d2)
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().String()
	for _, tc := range []struct {
		name, flag string
		opt        Options
	}{
		{"site", "--addr", Options{Addr: taken, EmulatorAddr: "127.0.0.1:0"}},
		{"emulator", "--emulator-addr", Options{Addr: "127.0.0.1:0", EmulatorAddr: taken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.DataDir = filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := Run(ctx, tc.opt)
			if err == nil {
				t.Fatal("Run succeeded on a taken port")
			}
			msg := err.Error()
			for _, want := range []string{taken, "already in use", tc.flag} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if _, err := os.Stat(tc.opt.DataDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the data folder was created before the ports were checked (%v)", err)
			}
		})
	}
}

func TestBannerAndNoSecrets(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, dir)
	want := "wxgate demo is running.\n" +
		"  1. Open the site:            " + d.Site + "\n" +
		"  2. \"Scan\" with the phone:    " + d.Emulator + "/_emulator/phone\n" +
		"Data is kept in " + dir + " (delete it to start over). Ctrl+C stops.\n"
	if got := d.stdout.String(); got != want {
		t.Errorf("banner:\n%s\nwant:\n%s", got, want)
	}
	if d.Phone != d.Emulator+"/_emulator/phone" || !strings.HasPrefix(d.Site, "http://127.0.0.1:") {
		t.Errorf("URLs: %+v", d.URLs)
	}
	b := newBrowser(t)
	b.login(d, "alice")
	b.avatar(d)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	// A run and a login are quiet at the CLI's default level (warn).
	for _, line := range strings.Split(d.logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("unexpected log line: %s", line)
		}
	}
	fx, err := emulator.LoadFixture(filepath.Join(dir, fixtureName))
	if err != nil {
		t.Fatal(err)
	}
	out := d.stdout.String() + d.logs.String()
	for _, a := range fx.Apps {
		if strings.Contains(out, a.Secret) {
			t.Errorf("the %s app's secret was printed or logged", a.Type)
		}
	}
	if strings.Contains(out, fx.IdentitySalt) {
		t.Error("the identity salt was printed or logged")
	}
}

func TestSitePages(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	for _, tc := range []struct {
		path, ctype string
		status      int
		contains    []string
	}{
		{"/", "text/html", 200, []string{`id="login"`, `href="/auth/wechat/login?app=web&amp;return_to=%2Fprofile"`, `href="/embedded"`, d.Phone}},
		{"/embedded", "text/html", 200, []string{`<iframe id="qr" src="/auth/wechat/embed?app=web&amp;return_to=%2Fprofile"`, `width="300" height="400"`, `allow="local-network-access"`}},
		{"/nothing-here", "text/html", 404, []string{"Page not found"}},
		{"/static/demo.css", "text/css", 200, []string{"--accent"}},
		{"/static/avatars/xiaoming.png", "image/png", 200, []string{"PNG"}},
		{"/healthz", "application/json", 200, []string{`"ok"`}},
		{"/readyz", "application/json", 200, []string{`"ready":true`}},
	} {
		a := b.get(d.Site + tc.path)
		if a.status != tc.status || !strings.HasPrefix(a.header.Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, a.status, a.header.Get("Content-Type"), tc.status, tc.ctype)
		}
		for _, s := range tc.contains {
			if !strings.Contains(a.body, s) {
				t.Errorf("GET %s lacks %q", tc.path, s)
			}
		}
		if tc.ctype != "text/html" {
			continue
		}
		csp := a.header.Get("Content-Security-Policy")
		for _, s := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, s) {
				t.Errorf("GET %s: CSP %q lacks %s", tc.path, csp, s)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP %q allows unsafe sources", tc.path, csp)
		}
		if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", tc.path, a.header)
		}
		if strings.Contains(a.body, "<script") || strings.Contains(a.body, " style=") || strings.Contains(a.body, "://fonts.") {
			t.Errorf("GET %s has inline script or style, or an external asset", tc.path)
		}
	}

	// The gateway's embed page, framed by /embedded, may be framed by the site.
	if a := b.get(d.Site + embedURL); a.status != 200 || !strings.Contains(a.header.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Errorf("gateway embed page: %d, CSP %q", a.status, a.header.Get("Content-Security-Policy"))
	}

	// Another loopback name for the site is sent to the site's own URL,
	// where the login's cookies and WeChat's callback live.
	other := strings.Replace(d.Site, "127.0.0.1", "localhost", 1)
	if a := b.get(other + "/embedded?x=1"); a.status != http.StatusFound || a.header.Get("Location") != d.Site+"/embedded?x=1" {
		t.Errorf("GET via localhost: %d to %q, want 302 to %s/embedded?x=1", a.status, a.header.Get("Location"), d.Site)
	}
}

func TestProfileNeedsASession(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	if a := b.get(d.Site + "/profile"); a.status != http.StatusFound || a.header.Get("Location") != "/" {
		t.Errorf("/profile logged out: %d to %q, want 302 to /", a.status, a.header.Get("Location"))
	}
	u, _ := url.Parse(d.Site)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "wxgate_session", Value: "wxgs_" + strings.Repeat("A", 43)}})
	if a := b.get(d.Site + "/profile"); a.status != http.StatusFound || a.header.Get("Location") != "/" {
		t.Errorf("/profile with an unknown session: %d to %q, want 302 to /", a.status, a.header.Get("Location"))
	}
	if a := b.get(d.Site + "/"); !strings.Contains(a.body, `id="login"`) {
		t.Error("the home page of a logged-out browser has no login button")
	}
}

func TestLoginAndLogout(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	b.login(d, "bob")
	home := b.get(d.Site + "/")
	if !strings.Contains(home.body, "你好，Bob") || strings.Contains(home.body, `id="login"`) {
		t.Errorf("home page logged in:\n%s", home.body)
	}
	prof := b.get(d.Site + "/profile")
	for _, s := range []string{`id="nickname">Bob<`, "Beijing", "网站应用 · Website"} {
		if !strings.Contains(prof.body, s) {
			t.Errorf("profile lacks %q", s)
		}
	}
	b.avatar(d)

	// A logout from another site is refused by the gateway, and changes nothing.
	if a := b.do(http.MethodPost, d.Site+"/logout", http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}); a.status != http.StatusForbidden {
		t.Errorf("cross-site logout: %d, want 403", a.status)
	}
	if a := b.get(d.Site + "/profile"); a.status != http.StatusOK {
		t.Fatalf("after a refused logout, /profile: %d", a.status)
	}

	// The site's own logout button: the gateway clears the session, the
	// browser goes home.
	a := b.do(http.MethodPost, d.Site+"/logout", http.Header{"Origin": {d.Site}, "Sec-Fetch-Site": {"same-origin"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
		t.Fatalf("logout: %d to %q, want 303 to /", a.status, a.header.Get("Location"))
	}
	if !strings.Contains(strings.Join(a.header.Values("Set-Cookie"), "\n"), "wxgate_session=;") {
		t.Errorf("logout did not clear the session cookie: %v", a.header.Values("Set-Cookie"))
	}
	if a := b.get(d.Site + "/profile"); a.status != http.StatusFound {
		t.Errorf("/profile after logout: %d, want 302", a.status)
	}
	if a := b.get(d.Site + "/logout"); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d, want 405", a.status)
	}
}

func TestLoadFixtureRepairs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, fixtureName)
	// A person's edit: one app left, with another callback domain, and a user of their own.
	os.WriteFile(path, []byte("identity_salt: a-salt-of-sixteen-chars\napps:\n  - {appid: wx0123456789abcdef, secret: 0123456789abcdef0123456789abcdef, type: website, name: Mine, callback_domain: example.com}\nusers:\n  - {user_id: me, nickname: Me}\n"), 0o600)
	fx, err := loadFixture(path, "127.0.0.1:8080", "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if fx.IdentitySalt != "a-salt-of-sixteen-chars" || len(fx.Users) != 1 || fx.Users[0].UserID != "me" {
		t.Errorf("the person's salt or users were changed: %+v", fx)
	}
	if len(fx.Apps) != 4 || fx.Apps[0].AppID != "wx0123456789abcdef" || fx.Apps[0].CallbackDomain != "127.0.0.1:8080" {
		t.Errorf("apps: %+v", fx.Apps)
	}
	again, err := loadFixture(path, "127.0.0.1:8080", "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Apps {
		if again.Apps[i] != fx.Apps[i] {
			t.Errorf("the repaired fixture was not saved: %+v, then %+v", fx.Apps[i], again.Apps[i])
		}
	}

	os.WriteFile(path, []byte("apps: [oops\n"), 0o600)
	if _, err := loadFixture(path, "127.0.0.1:8080", "http://127.0.0.1:8080"); err == nil || !strings.Contains(err.Error(), "delete the data folder") {
		t.Errorf("a broken fixture: %v, want advice to delete the data folder", err)
	}
}

// The profile's "log in through the official account too" link: the same
// person through another app of the open account is the same wxgate user,
// now with two linked accounts.
func TestLinkOfficialAccount(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	user := b.login(d, "xiaoming")
	start := b.get(d.Site + linkOAURL)
	auth := start.header.Get("Location")
	if start.status != http.StatusFound || !strings.HasPrefix(auth, d.Emulator+"/connect/oauth2/authorize?") {
		t.Fatalf("official-account link: %d to %q", start.status, auth)
	}
	page := b.get(auth)
	uuid := page.header.Get("X-Wxemu-Uuid")
	if uuid == "" {
		t.Fatalf("authorize page: %d, error %q", page.status, page.header.Get("X-Wxemu-Error"))
	}
	callback, err := emulator.NewClient(d.Emulator, nil).Confirm(context.Background(), uuid, "xiaoming")
	if err != nil {
		t.Fatal(err)
	}
	if a := b.get(callback); a.status != http.StatusFound || a.header.Get("Location") != "/profile" {
		t.Fatalf("callback: %d to %q (%s)", a.status, a.header.Get("Location"), a.header.Get("X-Wxgate-Error"))
	}
	prof := b.get(d.Site + "/profile").body
	if m := userIDPattern.FindStringSubmatch(prof); m == nil || m[1] != user {
		t.Errorf("after the official-account login the profile is of %v, want %s", m, user)
	}
	for _, s := range []string{"网站应用 · Website", "公众号 · Official account", "via 演示公众号"} {
		if !strings.Contains(prof, s) {
			t.Errorf("profile lacks %q", s)
		}
	}
}

func TestScanLoginPages(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	home := b.get(d.Site + "/")
	if !strings.Contains(home.body, `id="scan-mp"`) || !strings.Contains(home.body, strings.ReplaceAll(scanMPURL, "&", "&amp;")) {
		t.Errorf("the home page does not offer the mini-program code login")
	}
	page := b.get(d.Site + scanMPURL)
	if page.status != http.StatusOK || !strings.Contains(page.body, "data:image/png;base64,") {
		t.Fatalf("scan page: %d\n%.500s", page.status, page.body)
	}
	mp := b.get(d.Site + miniProgramPagePath)
	if mp.status != http.StatusOK || !strings.Contains(mp.body, "/static/mpscan.js") {
		t.Fatalf("mini-program stand-in page: %d", mp.status)
	}
	if csp := mp.header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("the stand-in page cannot fetch the gateway: CSP %q", csp)
	}
	apps, err := emulator.NewClient(d.Emulator, nil).Apps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.Type == "miniprogram" && a.PageURL != d.Site+miniProgramPagePath {
			t.Errorf("the demo mini-program's page_url is %q", a.PageURL)
		}
	}
}
