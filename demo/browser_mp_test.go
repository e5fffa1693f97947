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

// TestBrowserMiniProgram checks the demo's mini-program page in a real
// browser: the wxgate-miniprogram package, through the wx shim, logs a
// user in with one wx.login for three concurrent requests, has the gateway
// decrypt their profile and fetch their phone number, and logs out.
func TestBrowserMiniProgram(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := startDemo(t, t.TempDir())
	browser := browsertest.Start(t, ctx, 1100, 1000)
	root := &tab{t: t, dir: browsertest.ArtifactsDir(t), emu: emulator.NewClient(d.Emulator, nil), site: d.Site, seen: map[string]bool{}}
	b := root.fresh(t, browser, "miniprogram")
	until := func(id, want string) {
		t.Helper()
		b.do(chromedp.Poll[chromedp.Void](`(() => { const e = document.getElementById("mp-error"); if (!e.hidden) return true; `+
			`return document.getElementById("`+id+`").textContent.includes(`+jsString(want)+`); })()`, chromedp.WithPollingTimeout(0)))
		if e := b.text(chromedp.ID("mp-error")); e != "" {
			b.shot("failure")
			t.Fatalf("the page shows an error: %s", e)
		}
	}

	b.do(chromedp.Navigate(d.Site), chromedp.WaitVisible(chromedp.ID("miniprogram-link")))
	b.do(chromedp.Click(chromedp.ID("miniprogram-link")), chromedp.WaitVisible(chromedp.ID("mp-login")))
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("mp-user").value = "alice"`))
	b.do(chromedp.Click(chromedp.ID("mp-login")))
	until("mp-result-user", "wxgate id usr_")
	if n := b.text(chromedp.ID("mp-result-logins")); n != "1" {
		t.Errorf("wx.login calls: %s, want 1 for three concurrent requests", n)
	}
	b.do(chromedp.WaitEnabled(chromedp.ID("mp-decrypt")), chromedp.Click(chromedp.ID("mp-decrypt")))
	until("mp-result-decrypted", "Alice")
	until("mp-result-user", "Alice") // the gateway kept the decrypted profile
	if got := b.text(chromedp.ID("mp-result-decrypted")); !strings.Contains(got, "Shanghai") {
		t.Errorf("decrypted: %q, want Alice's city", got)
	}
	b.do(chromedp.WaitEnabled(chromedp.ID("mp-phone")), chromedp.Click(chromedp.ID("mp-phone")))
	until("mp-result-phone", "13900139000")
	b.shot("decrypted-and-phone")
	b.do(chromedp.WaitEnabled(chromedp.ID("mp-logout")), chromedp.Click(chromedp.ID("mp-logout")))
	until("mp-result-user", "—")
	b.shot("logged-out")
}

// jsString quotes s for JavaScript source.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
