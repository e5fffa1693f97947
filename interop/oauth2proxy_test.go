package interop

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/internal/browsertest"
)

// oauth2ProxyVersion is the oauth2-proxy release the test runs; the
// Makefile installs it into .bin (`make interop`, which `make test` runs).
const oauth2ProxyVersion = "v7.15.6"

// TestOAuth2Proxy puts oauth2-proxy (unmodified, provider oidc, discovery
// from wxgate) in front of a small upstream, and in real Chromium a person
// opens the upstream's URL, is sent through wxgate to WeChat's QR page,
// scans and confirms on the phone (the emulator), and lands on the
// upstream with oauth2-proxy's user headers: the user is the wxgate user
// id, and no openid, unionid or secret appears anywhere. Logging out
// (oauth2-proxy's sign-out, then wxgate's RP-initiated logout) ends both
// sessions: the upstream URL leads to WeChat's QR page again. Screenshots
// of each step go to .bin/artifacts (or $WXGATE_ARTIFACTS).
func TestOAuth2Proxy(t *testing.T) {
	proxyBin := oauth2ProxyBinary(t)
	if _, err := browsertest.FindChromium(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// The upstream: shows the headers oauth2-proxy adds, and records
	// every request it gets.
	up := &upstream{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()

	// The application's address is localhost, wxgate's 127.0.0.1: two
	// sites, two cookie jars, as in a real deployment.
	proxyPort := freePort(t)
	proxyURL := "http://localhost:" + strconv.Itoa(proxyPort)
	const person = "xiaohong"
	clientSecret := randHex(20)
	s := startTestStack(t, stackOptions{
		People: []string{person},
		Clients: func(gw string) []oidcClient {
			return []oidcClient{{
				ID: "oauth2-proxy", Name: "oauth2-proxy", Secret: clientSecret,
				RedirectURIs:           []string{proxyURL + "/oauth2/callback"},
				PostLogoutRedirectURIs: []string{proxyURL + "/"},
				Scopes:                 []string{"openid", "profile"},
			}}
		},
	})
	id, err := s.emu.Identity(ctx, person, s.web.AppID)
	if err != nil {
		t.Fatal(err)
	}
	cookieSecret := randHex(16) // 32 bytes: AES-256 for oauth2-proxy's cookie
	secrets := map[string]string{"openid": id.OpenID, "unionid": id.UnionID, "AppSecret": s.web.Secret,
		"client secret": clientSecret, "cookie secret": cookieSecret}

	gwHost := strings.TrimPrefix(s.gwURL, "http://")
	proxyLogs := &syncBuffer{}
	proxy := exec.Command(proxyBin,
		"--http-address=127.0.0.1:"+strconv.Itoa(proxyPort),
		"--provider=oidc",
		"--provider-display-name=wxgate",
		"--oidc-issuer-url="+s.gwURL,
		"--client-id=oauth2-proxy",
		"--client-secret="+clientSecret,
		"--redirect-url="+proxyURL+"/oauth2/callback",
		"--scope=openid profile",
		"--code-challenge-method=S256",
		// wxgate has no e-mail addresses: the user is known by sub.
		"--oidc-email-claim=sub",
		"--email-domain=*",
		"--upstream="+upSrv.URL+"/",
		"--cookie-secret="+cookieSecret,
		"--cookie-secure=false",
		// Sign-out may send the browser on to wxgate's logout.
		"--whitelist-domain="+gwHost,
	)
	proxy.Stdout, proxy.Stderr = proxyLogs, proxyLogs
	if err := proxy.Start(); err != nil {
		t.Fatalf("starting oauth2-proxy: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = proxy.Wait(); close(exited) }()
	defer func() {
		_ = proxy.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = proxy.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("oauth2-proxy's logs:\n%s", proxyLogs.String())
		}
	}()
	if err := waitHTTP(ctx, "http://127.0.0.1:"+strconv.Itoa(proxyPort)+"/ping", exited); err != nil {
		t.Fatalf("oauth2-proxy did not start: %v\n%s", err, proxyLogs.String())
	}

	b := newChromium(t, ctx)
	b.emu = s.emu

	// The upstream's URL shows oauth2-proxy's sign-in page; its button
	// leads to WeChat's QR page, through wxgate.
	signIn := chromedp.CSS(`button[type="submit"].is-primary`)
	b.do(chromedp.Navigate(proxyURL+"/private/report?x=1"), chromedp.WaitVisible(signIn))
	if text, _ := chromedp.Run(b.ctx, chromedp.Text(signIn)); text != "Sign in with wxgate" {
		t.Errorf("oauth2-proxy's button says %q, want \"Sign in with wxgate\"", text)
	}
	b.shot("sign-in")
	// (A click, not a navigation: WeChat's QR page long-polls, so its load
	// event comes only when the person has answered.)
	b.do(chromedp.Click(signIn), chromedp.WaitVisible(chromedp.CSS("img.qrcode")))
	if loc := b.location(); !strings.HasPrefix(loc, s.emuURL+"/connect/qrconnect?") {
		t.Fatalf("the upstream's URL led to %s, want WeChat's QR page (%s/connect/qrconnect)", loc, s.emuURL)
	}
	b.shot("wechat-qr")
	if n := up.count(); n != 0 {
		t.Fatalf("the upstream was reached %d times before anyone logged in", n)
	}

	// The person scans and confirms on the phone; the browser goes back
	// through wxgate and oauth2-proxy to the page first asked for.
	uuid := b.pendingGrant(ctx)
	if err := s.emu.Scan(ctx, uuid, person); err != nil {
		t.Fatal(err)
	}
	if _, err := s.emu.Confirm(ctx, uuid, person); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.ID("headers")))
	if loc := b.location(); loc != proxyURL+"/private/report?x=1" {
		t.Errorf("after the login the browser is on %s, want the page first asked for", loc)
	}
	b.shot("upstream")

	// oauth2-proxy's user headers name the wxgate user (sub).
	userID := b.wxgateUserID(s.gwURL)
	last := up.last()
	if got := last.Get("X-Forwarded-User"); got != userID {
		t.Errorf("X-Forwarded-User = %q, want the wxgate user id %q", got, userID)
	}
	if got := last.Get("X-Forwarded-Email"); got != userID {
		t.Errorf("X-Forwarded-Email = %q, want the sub (%q), as --oidc-email-claim=sub says", got, userID)
	}
	shown, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID("headers")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, "X-Forwarded-User: "+userID) {
		t.Errorf("the upstream's page does not show the user header:\n%s", shown)
	}
	page, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))

	// Logout: oauth2-proxy's sign-out, which sends the browser on to
	// wxgate's end_session_endpoint, which ends the wxgate session and
	// returns to the application. The application's URL then needs a new
	// WeChat login.
	logout := s.gwURL + "/oauth2/logout?" + url.Values{
		"client_id": {"oauth2-proxy"}, "post_logout_redirect_uri": {proxyURL + "/"},
	}.Encode()
	seen := up.count()
	b.do(chromedp.Navigate(proxyURL+"/oauth2/sign_out?rd="+url.QueryEscape(logout)), chromedp.WaitVisible(signIn))
	if loc := b.location(); loc != proxyURL+"/" {
		t.Errorf("after logout the browser is on %s, want the application's home %s/", loc, proxyURL)
	}
	b.shot("logged-out")
	b.do(chromedp.Click(signIn), chromedp.WaitVisible(chromedp.CSS("img.qrcode")))
	if loc := b.location(); !strings.HasPrefix(loc, s.emuURL+"/connect/qrconnect?") {
		t.Errorf("signing in again after logout led to %s, want WeChat's QR page (no single sign-on left)", loc)
	}
	b.shot("wechat-qr-again")
	if n := up.count(); n != seen {
		t.Errorf("the upstream was reached after logout (%d requests, %d before)", n, seen)
	}
	b.do(chromedp.Navigate(s.gwURL + "/auth/me"))
	if body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body"))); strings.Contains(body, userID) {
		t.Errorf("wxgate still knows the browser after logout: %s", body)
	}

	// Nothing the person's browser, the upstream or any log saw holds an
	// openid, a unionid or a secret.
	assertNoLeak(t, "the upstream's page", page, secrets)
	assertNoLeak(t, "the headers the upstream got", up.dump(), secrets)
	assertNoLeak(t, "oauth2-proxy's logs", proxyLogs.String(), secrets)
	assertNoLeak(t, "the gateway's logs", s.logs.String(), secrets)
	assertNoLeak(t, "the libraries' logs", libLogs.String(), secrets)
}

// oauth2ProxyBinary is .bin/oauth2-proxy at the repository's root, checked
// to be oauth2ProxyVersion.
func oauth2ProxyBinary(t *testing.T) string {
	p := filepath.Join(repoRoot(t), ".bin", "oauth2-proxy")
	info, err := buildinfo.ReadFile(p)
	if err != nil {
		t.Fatalf("oauth2-proxy is not installed (%v): run `make interop` (make test does), which installs %s into .bin", err, oauth2ProxyVersion)
	}
	if info.Main.Version != oauth2ProxyVersion {
		t.Fatalf(".bin/oauth2-proxy is %s, want %s: run `make interop`", info.Main.Version, oauth2ProxyVersion)
	}
	return p
}

// upstream is the application behind oauth2-proxy: a page listing the
// X-Forwarded-* headers it got.
type upstream struct {
	mu   sync.Mutex
	seen []http.Header
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.seen = append(u.seen, r.Header.Clone())
	u.mu.Unlock()
	var lines []string
	for k, v := range r.Header {
		if strings.HasPrefix(k, "X-Forwarded-") {
			lines = append(lines, k+": "+strings.Join(v, ", "))
		}
	}
	sort.Strings(lines)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>Upstream</title><h1>The upstream application</h1><p>%s, seen through oauth2-proxy:</p><pre id=\"headers\">%s</pre>",
		html.EscapeString(r.URL.Path), html.EscapeString(strings.Join(lines, "\n")))
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

func (u *upstream) last() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return http.Header{}
	}
	return u.seen[len(u.seen)-1]
}

func (u *upstream) dump() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, _ := json.Marshal(u.seen)
	return string(b)
}

// chromiumTab is a headless Chromium tab with screenshots.
type chromiumTab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	step int
	emu  *emulator.Client
}

func newChromium(t *testing.T, ctx context.Context) *chromiumTab {
	tabCtx := browsertest.Start(t, ctx, 1000, 800)
	return &chromiumTab{t: t, ctx: tabCtx, dir: browsertest.ArtifactsDir(t)}
}

func (b *chromiumTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser (on %s): %v", b.location(), err)
	}
}

func (b *chromiumTab) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

// shot saves a screenshot as oauth2-proxy-N-what.png.
func (b *chromiumTab) shot(what string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", what, err)
		return
	}
	b.step++
	path := filepath.Join(b.dir, fmt.Sprintf("oauth2-proxy-%d-%s.png", b.step, what))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("saving screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// pendingGrant waits for the QR page's grant, as the phone sees it.
func (b *chromiumTab) pendingGrant(ctx context.Context) string {
	b.t.Helper()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		gs, err := b.emu.Grants(ctx, "pending")
		if err != nil {
			b.t.Fatal(err)
		}
		if len(gs) == 1 && gs[0].Kind == emulator.GrantQRConnect {
			return gs[0].UUID
		}
		select {
		case <-ctx.Done():
			b.shot("failure")
			b.t.Fatalf("waiting for the QR page's grant: %v (pending: %+v)", ctx.Err(), gs)
		case <-tick.C:
		}
	}
}

// wxgateUserID asks the gateway, in the browser (with its wxgate
// session), who is logged in.
func (b *chromiumTab) wxgateUserID(gwURL string) string {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx) // a second tab, same cookies
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(gwURL+"/auth/me")); err != nil {
		b.t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatal(err)
	}
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || me.User.ID == "" {
		b.t.Fatalf("/auth/me in the browser: %q (%v)", body, err)
	}
	return me.User.ID
}
