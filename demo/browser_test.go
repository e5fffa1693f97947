package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/internal/browsertest"
)

// TestBrowserLogin is the demo's promise, checked in a real browser: a
// person opens the site, clicks "Log in with WeChat", confirms on the
// phone, and ends on the profile page logged in; the same with the
// embedded QR; and logout brings the login button back. It drives the
// system's Chromium (Debian's chromium package, which `make deps` installs)
// and saves a screenshot of each step.
func TestBrowserLogin(t *testing.T) {
	artifacts := browsertest.ArtifactsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	d := startDemo(t, t.TempDir())
	emu := emulator.NewClient(d.Emulator, nil)
	browser := browsertest.Start(t, ctx, 1100, 1000)

	b := &tab{t: t, dir: artifacts, emu: emu, site: d.Site, seen: map[string]bool{}}

	t.Run("full-page QR", func(t *testing.T) {
		b := b.fresh(t, browser, "qr")
		b.do(chromedp.Navigate(d.Site), chromedp.WaitVisible(chromedp.ID("login")))
		b.shot("home")
		b.do(chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.CSS("img.qrcode")))
		if loc := b.location(); !strings.HasPrefix(loc, d.Emulator+"/connect/qrconnect?") {
			t.Fatalf("after the login button the browser is on %s, want the emulator's /connect/qrconnect", loc)
		}
		b.shot("qr-page")
		uuid := b.pendingGrant(ctx)
		b.scan(ctx, uuid, "xiaoming")
		b.do(chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent.includes("扫描成功")`, chromedp.WithPollingTimeout(0)))
		b.shot("qr-scanned")
		b.confirm(ctx, uuid, "xiaoming")
		b.onProfile("小明 Xiaoming")
		b.shot("profile")

		// The linked accounts show the website app; logout brings the
		// login button back, and the profile is gone.
		if linked := b.text(chromedp.ID("linked")); !strings.Contains(linked, "Website") {
			t.Errorf("linked accounts: %q, want the website app", linked)
		}
		b.do(chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
		if loc := b.location(); loc != d.Site+"/" {
			t.Errorf("after logout the browser is on %s, want the home page", loc)
		}
		b.shot("logged-out")
		b.do(chromedp.Navigate(d.Site+"/profile"), chromedp.WaitVisible(chromedp.ID("login")))
		if loc := b.location(); loc != d.Site+"/" {
			t.Errorf("/profile after logout: the browser is on %s, want the home page", loc)
		}
	})

	// What the README tells a person: the login button in one tab, the
	// phone simulator in another, pick a user and confirm there.
	t.Run("phone simulator", func(t *testing.T) {
		b := b.fresh(t, browser, "phone")
		b.do(chromedp.Navigate(d.Site), chromedp.WaitVisible(chromedp.ID("login")))
		b.do(chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.CSS("img.qrcode")))
		phone := b.fresh(t, browser, "phone")
		phone.step = b.step
		phone.do(chromedp.Navigate(d.Phone), chromedp.WaitReady(chromedp.CSS(`#user-select option[value="bob"]`)))
		phone.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("user-select"); s.value = "bob"; s.dispatchEvent(new Event("change")); })()`))
		phone.do(chromedp.WaitVisible(chromedp.CSS("#grants button.primary")))
		phone.shot("simulator")
		phone.do(chromedp.Click(chromedp.CSS("#grants button.primary")))
		b.step = phone.step
		b.onProfile("Bob")
		b.shot("profile")
	})

	t.Run("embedded QR", func(t *testing.T) {
		b := b.fresh(t, browser, "embedded")
		b.do(chromedp.Navigate(d.Site), chromedp.WaitVisible(chromedp.ID("embedded-link")))
		b.do(chromedp.Click(chromedp.ID("embedded-link")), chromedp.WaitVisible(chromedp.ID("qr")))
		// The demo page frames the gateway's embed page, which frames
		// WeChat's QR: wait until the QR image shows in the inner frame.
		outer := nodes(b, chromedp.ID("qr"))
		b.do(chromedp.WaitVisible(chromedp.CSS("iframe"), chromedp.FromNode(outer[0])))
		inner := nodes(b, chromedp.CSS("iframe"), chromedp.FromNode(outer[0]))
		b.do(chromedp.WaitVisible(chromedp.CSS("img.qrcode"), chromedp.FromNode(inner[0])))
		uuid := b.pendingGrant(ctx)
		b.shot("embedded-qr")
		b.scan(ctx, uuid, "alice")
		b.confirm(ctx, uuid, "alice")
		b.onProfile("Alice")
		b.shot("embedded-profile")
		b.do(chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
	})
}

// tab is one browser tab of the test, with its screenshots.
type tab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	name string
	step int
	emu  *emulator.Client
	site string
	seen map[string]bool // grants already handled, shared by all tabs
}

// fresh opens a tab in a new browser context: no cookies from other runs.
func (b *tab) fresh(t *testing.T, browser context.Context, name string) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return &tab{t: t, ctx: ctx, dir: b.dir, name: name, emu: b.emu, site: b.site, seen: b.seen}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser (on %s): %v", b.location(), err)
	}
}

func (b *tab) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

func (b *tab) text(sel chromedp.ID) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// nodes returns the nodes sel finds, at least one.
func nodes[S chromedp.Selectable](b *tab, sel S, opts ...chromedp.QueryOption) []*chromedp.Node {
	b.t.Helper()
	ns, err := chromedp.Run(b.ctx, chromedp.Nodes(sel, opts...))
	if err != nil || len(ns) == 0 {
		b.t.Fatalf("finding %v: %d nodes, %v", sel, len(ns), err)
	}
	return ns
}

// shot saves a screenshot of the tab as NN-run-what.png.
func (b *tab) shot(what string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", what, err)
		return
	}
	b.step++
	path := filepath.Join(b.dir, fmt.Sprintf("%s-%d-%s.png", b.name, b.step, what))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("saving screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// pendingGrant waits for the QR page's grant to show in the emulator's
// control API, as the phone simulator sees it, and returns its uuid.
func (b *tab) pendingGrant(ctx context.Context) string {
	b.t.Helper()
	var last []emulator.Grant
	err := waitFor(ctx, func() (bool, error) {
		gs, err := b.emu.Grants(ctx, "pending")
		if err != nil {
			return false, err
		}
		last = last[:0]
		for _, g := range gs {
			if !b.seen[g.UUID] {
				last = append(last, g)
			}
		}
		return len(last) == 1 && last[0].Kind == emulator.GrantQRConnect, nil
	})
	if err != nil {
		b.shot("failure")
		b.t.Fatalf("waiting for one new pending QR grant: %v (new pending: %+v)", err, last)
	}
	b.seen[last[0].UUID] = true
	return last[0].UUID
}

func (b *tab) scan(ctx context.Context, uuid, user string) {
	b.t.Helper()
	if err := b.emu.Scan(ctx, uuid, user); err != nil {
		b.t.Fatalf("scanning as %s: %v", user, err)
	}
}

func (b *tab) confirm(ctx context.Context, uuid, user string) {
	b.t.Helper()
	if _, err := b.emu.Confirm(ctx, uuid, user); err != nil {
		b.t.Fatalf("confirming as %s: %v", user, err)
	}
}

// onProfile waits until the browser shows the profile page of nickname.
func (b *tab) onProfile(nickname string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.ID("nickname")))
	if loc := b.location(); loc != b.site+"/profile" {
		b.t.Errorf("logged in, the browser is on %s, want %s/profile", loc, b.site)
	}
	if got := b.text(chromedp.ID("nickname")); got != nickname {
		b.t.Errorf("profile nickname %q, want %q", got, nickname)
	}
	avatar, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { const i = document.getElementById("avatar"); return !!i && i.complete && i.naturalWidth > 0; })()`))
	if err != nil || !avatar {
		b.t.Errorf("the profile's avatar did not load (%v)", err)
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
