package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/internal/browsertest"
)

// TestBrowserScanLogin is the scan logins in a real browser: the site's
// "mini-program code" link shows the gateway's scan page; on a second tab
// the phone simulator scans the code and opens the demo's stand-in for the
// mini-program page, which shows where the login happens; the person
// confirms there, and the first tab, waiting by long-poll, ends on the
// profile page logged in as the same user the website login made.
func TestBrowserScanLogin(t *testing.T) {
	artifacts := browsertest.ArtifactsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := startDemo(t, t.TempDir())
	emu := emulator.NewClient(d.Emulator, nil)
	browser := browsertest.Start(t, ctx, 1100, 1000)
	root := &tab{t: t, dir: artifacts, emu: emu, site: d.Site, seen: map[string]bool{}}

	t.Run("mini-program code", func(t *testing.T) {
		b := root.fresh(t, browser, "scan-mp")
		// Alice has used the website before: the mini-program login
		// finds her by unionid and the profile shows her name.
		b.do(chromedp.Navigate(d.Site), chromedp.WaitVisible(chromedp.ID("login")))
		b.do(chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.CSS("img.qrcode")))
		uuid := b.pendingGrant(ctx)
		b.scan(ctx, uuid, "alice")
		b.confirm(ctx, uuid, "alice")
		b.onProfileNamed("Alice")
		b.do(chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("scan-mp")))
		b.do(chromedp.Click(chromedp.ID("scan-mp")), chromedp.WaitVisible(chromedp.ID("wxgate-code")))
		if loc := b.location(); !strings.HasPrefix(loc, d.Site+"/auth/wechat/scan?") {
			t.Fatalf("after the mini-program code link the browser is on %s", loc)
		}
		b.shot("code")
		var codes []emulator.WXACode
		if err := waitFor(ctx, func() (bool, error) {
			var err error
			codes, err = emu.WXACodes(ctx)
			return len(codes) > 0, err
		}); err != nil {
			t.Fatalf("no mini-program code was drawn: %v", err)
		}

		phone := root.fresh(t, browser, "scan-mp-phone")
		phone.step = b.step
		phone.do(chromedp.Navigate(d.Phone), chromedp.WaitReady(chromedp.CSS(`#user-select option[value="alice"]`)))
		phone.do(chromedp.Evaluate[chromedp.Void](`document.cookie = "wxemu_user=alice; path=/"`))
		phone.do(chromedp.Navigate(d.Emulator+"/_emulator/phone?wxacode="+codes[0].ID), chromedp.WaitVisible(chromedp.ID("mp-confirm")))
		if loc := phone.location(); loc != d.Site+"/miniprogram/scan" {
			t.Errorf("the scanned code opened %s, want the mini-program page (without the code in the address)", loc)
		}
		if br := phone.text(chromedp.ID("mp-browser")); !strings.Contains(br, "Chrome") {
			t.Errorf("the prompt names the browser %q", br)
		}
		if site := phone.text(chromedp.ID("mp-site")); !strings.Contains(d.Site, site) || site == "" {
			t.Errorf("the prompt names the site %q, want the host of %s", site, d.Site)
		}
		phone.shot("prompt")
		phone.do(chromedp.Click(chromedp.ID("mp-confirm")),
			chromedp.Poll[chromedp.Void](`document.getElementById("mp-status").textContent.includes("Confirmed")`, chromedp.WithPollingTimeout(0)))
		phone.shot("confirmed")
		b.step = phone.step
		b.onProfileNamed("Alice")
		b.shot("profile")
	})
}

// onProfileNamed waits until the browser shows the profile page of
// nickname (the avatar is the QR login test's business).
func (b *tab) onProfileNamed(nickname string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.ID("nickname")))
	if loc := b.location(); loc != b.site+"/profile" {
		b.t.Errorf("logged in, the browser is on %s, want %s/profile", loc, b.site)
	}
	if got := b.text(chromedp.ID("nickname")); got != nickname {
		b.t.Errorf("profile nickname %q, want %q", got, nickname)
	}
}
