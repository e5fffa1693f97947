package demo

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
)

// follow follows redirects within the site and the emulator, returning
// the first answer that is not a redirect.
func (b *browser) follow(d *running, u string) answer {
	b.t.Helper()
	for range 20 {
		a := b.get(u)
		if a.status < 300 || a.status >= 400 {
			return a
		}
		u = a.header.Get("Location")
		if strings.HasPrefix(u, "/") {
			u = d.Site + u
		}
		u = strings.TrimSuffix(u, "#wechat_redirect")
		if !strings.HasPrefix(u, d.Site) && !strings.HasPrefix(u, d.Emulator) {
			b.t.Fatalf("redirected off the demo to %s", u)
		}
	}
	b.t.Fatal("too many redirects")
	return answer{}
}

// TestLogInWithOIDC is the home page's "Log in with OIDC": the site, as
// an OpenID client of its own gateway, goes through the standard flow and
// verifies the id_token.
func TestLogInWithOIDC(t *testing.T) {
	d := startDemo(t, t.TempDir())
	b := newBrowser(t)
	home := b.get(d.Site + "/")
	if !strings.Contains(home.body, `id="login-oidc" href="/oidc/login"`) {
		t.Fatalf("the home page has no OIDC button:\n%s", home.body)
	}
	qr := b.follow(d, d.Site+"/oidc/login")
	uuid := qr.header.Get("X-Wxemu-Uuid")
	if qr.status != http.StatusOK || uuid == "" {
		t.Fatalf("want WeChat's QR page, got %d", qr.status)
	}
	emu := emulator.NewClient(d.Emulator, nil)
	ctx := context.Background()
	if err := emu.Scan(ctx, uuid, "alice"); err != nil {
		t.Fatal(err)
	}
	cb, err := emu.Confirm(ctx, uuid, "alice")
	if err != nil {
		t.Fatal(err)
	}
	done := b.follow(d, cb)
	if done.status != http.StatusOK || !strings.Contains(done.body, "Signed in with OpenID Connect") || !strings.Contains(done.body, "Alice") {
		t.Fatalf("after the flow: %d\n%s", done.status, done.body)
	}
	if !strings.Contains(done.body, "amr wechat_qr") {
		t.Errorf("the page does not show the WeChat method:\n%s", done.body)
	}
	// The callback without this browser's state is refused.
	if a := newBrowser(t).get(d.Site + "/oidc/callback?code=x&state=y"); a.status != http.StatusBadRequest {
		t.Errorf("foreign callback: %d", a.status)
	}
	// Single sign-on: a second OIDC login needs no WeChat login.
	again := b.follow(d, d.Site+"/oidc/login")
	if again.status != http.StatusOK || !strings.Contains(again.body, "Signed in with OpenID Connect") {
		t.Errorf("second OIDC login: %d\n%s", again.status, again.body)
	}
}
