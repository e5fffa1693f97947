package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
)

// scanApps are the default apps with mini-program code login on "mp".
func scanApps() []appDef {
	apps := make([]appDef, 0, len(defaultApps))
	for _, d := range defaultApps {
		if d.name == "mp" {
			d.extra += "    scan_page: pages/wxgate/scan\n"
		}
		apps = append(apps, d)
	}
	return apps
}

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// send makes a request with the browser's cookies and records the answer.
func (b *browser) send(method, path string, body any, headers ...string) answer {
	b.h.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, err := http.NewRequest(method, b.h.url+path, rd)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.h.mu.Lock()
	b.h.answers.Write(raw)
	b.h.mu.Unlock()
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// scanStart starts a scan login in the browser and returns its answer.
func (b *browser) scanStart(query string) answer {
	b.h.t.Helper()
	a := b.send("POST", "/auth/wechat/scan/start?"+query, nil, "Origin", b.h.url)
	b.h.wantStatus(a, 200, "")
	return a
}

// wait polls the scan once (seq < 0: no seq, answer at once).
func (b *browser) wait(id string, seq int) answer {
	b.h.t.Helper()
	p := "/auth/wechat/scan/wait?id=" + url.QueryEscape(id)
	if seq >= 0 {
		p += "&seq=" + itoa(seq)
	}
	return b.send("GET", p, nil)
}

// openCode is the person scanning the newest mini-program code with their
// phone: the emulator opens the mini-program with its scene and a code.
func (h *harness) openCode(user string) emulator.WXACodeOpened {
	h.t.Helper()
	codes := h.emu.WXACodes()
	if len(codes) == 0 {
		h.t.Fatal("no mini-program code was drawn")
	}
	o, err := h.emu.OpenWXACode(codes[0].ID, user)
	if err != nil {
		h.t.Fatal(err)
	}
	h.noteCode(o.Code)
	return o
}

// mpScan is the mini-program page reporting the scan.
func (h *harness) mpScan(o emulator.WXACodeOpened) answer {
	return h.do("POST", "/auth/miniprogram/scan", map[string]string{"code": o.Code, "scene": o.Scene})
}

func TestMiniProgramCodeLogin(t *testing.T) {
	h := newHarness(t, withApps(scanApps()))
	alice := h.user("Alice")
	b := h.browser()
	b.ua = chromeUA
	st := b.scanStart("method=miniprogram&return_to=/dashboard")
	id := st.str("id")
	if !validScanID(id) || st.str("method") != "miniprogram" || st.str("app") != "mp" {
		t.Fatalf("start answer %s", st.raw)
	}
	if !strings.HasPrefix(st.str("image"), "data:image/png;base64,") {
		t.Fatalf("image %.40s", st.str("image"))
	}
	if n, _ := st.body["expires_in"].(float64); n <= 0 || n > 300 {
		t.Errorf("expires_in %v, want at most five minutes", st.body["expires_in"])
	}
	codes := h.emu.WXACodes()
	if len(codes) != 1 || codes[0].Scene != id || codes[0].Page != "pages/wxgate/scan" || codes[0].AppID != h.apps["mp"].AppID {
		t.Fatalf("drawn codes %+v", codes)
	}
	w := b.wait(id, -1)
	if w.str("status") != "waiting" {
		t.Fatalf("wait = %s", w.raw)
	}
	seq := int(w.body["seq"].(float64))

	// The person scans; the mini-program reports it and shows the prompt.
	p := h.mpScan(h.openCode(alice))
	h.wantStatus(p, 200, "")
	if p.str("site") != strings.TrimPrefix(h.url, "http://") || p.str("browser") != "Chrome on Linux" || p.str("network") != "127.0.0.0/24" || p.str("confirm_token") == "" {
		t.Fatalf("prompt %s", p.raw)
	}
	w = b.wait(id, seq)
	if w.str("status") != "scanned" {
		t.Fatalf("after the scan, wait = %s", w.raw)
	}
	seq = int(w.body["seq"].(float64))
	c := h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": p.str("confirm_token")})
	h.wantStatus(c, 200, "")
	w = b.wait(id, seq)
	if w.str("status") != "confirmed" || w.str("return_to") != "/dashboard" {
		t.Fatalf("after the confirmation, wait = %s", w.raw)
	}
	if b.sessionCookie() == "" {
		t.Fatal("no session cookie after a confirmed scan")
	}
	me := b.me()
	if me.status != 200 {
		t.Fatalf("/auth/me = %d %s", me.status, me.raw)
	}
	var who struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	_ = json.Unmarshal([]byte(me.raw), &who)
	// The same person in the mobile app (same open account) is the same
	// user: linked by unionid as every other login.
	code, err := h.emu.MobileAuthorize(h.apps["ios"].AppID, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	m := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": h.noteCode(code.Code)})
	h.wantStatus(m, 200, "")
	if userID(m) != who.User.ID || who.User.ID == "" {
		t.Errorf("mobile login user %q, scan login user %q: not linked", userID(m), who.User.ID)
	}
	// Spent: nothing more happens with this scan.
	if w := b.wait(id, -1); w.str("status") != "expired" {
		t.Errorf("a spent scan waits as %s", w.raw)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": p.str("confirm_token")}), 410, "scan_expired")
	h.wantStatus(h.mpScan(emulator.WXACodeOpened{Code: h.wxLogin("mp", alice), Scene: id}), 410, "scan_expired")
	h.assertNoLeak(h.secretsSeen(alice)...)
	h.assertNoLeak(h.codes...)
}

func TestMiniProgramCodeLongPollWakes(t *testing.T) {
	h := newHarness(t, withApps(scanApps()))
	alice := h.user("Alice")
	b := h.browser()
	id := b.scanStart("method=miniprogram").str("id")
	seq := int(b.wait(id, -1).body["seq"].(float64))
	var wg sync.WaitGroup
	got := make(chan answer, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		got <- b.wait(id, seq) // held until the scan changes
	}()
	// The wait is registered before the scan changes it, or it reads the
	// change at once: either way it answers "scanned".
	p := h.mpScan(h.openCode(alice))
	h.wantStatus(p, 200, "")
	wg.Wait()
	if a := <-got; a.str("status") != "scanned" {
		t.Fatalf("held wait answered %s", a.raw)
	}
	if n := h.gw.scanHub().waiting(); n != 0 {
		t.Errorf("%d scans still have watchers after their waits ended", n)
	}
}

func TestMiniProgramCodeAttacks(t *testing.T) {
	h := newHarness(t, withApps(scanApps()))
	alice, mallory := h.user("Alice"), h.user("Mallory")

	t.Run("another browser polls the scan", func(t *testing.T) {
		victim, attacker := h.browser(), h.browser()
		id := victim.scanStart("method=miniprogram").str("id")
		p := h.mpScan(h.openCode(alice))
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": p.str("confirm_token")}), 200, "")
		// The attacker learned the scene (it is in the code) but not the
		// binding cookie: no session, and the scan is not spent.
		attacker.get("/auth/wechat/login?app=web") // has a binding cookie of its own
		h.wantStatus(attacker.wait(id, -1), 403, "scan_wrong_browser")
		h.wantStatus(h.browser().wait(id, -1), 403, "scan_wrong_browser")
		if attacker.sessionCookie() != "" {
			t.Fatal("the other browser got a session")
		}
		if w := victim.wait(id, -1); w.str("status") != "confirmed" || victim.sessionCookie() == "" {
			t.Fatalf("the starting browser, after the attempts: %s", w.raw)
		}
	})

	t.Run("a second person scans", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=miniprogram").str("id")
		o := h.openCode(alice)
		h.wantStatus(h.mpScan(o), 200, "")
		h.wantStatus(h.mpScan(emulator.WXACodeOpened{Code: h.wxLogin("mp", mallory), Scene: id}), 409, "scan_taken")
		// The first person may scan again (the page reloaded).
		h.wantStatus(h.mpScan(emulator.WXACodeOpened{Code: h.wxLogin("mp", alice), Scene: id}), 200, "")
	})

	t.Run("wrong confirm token", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=miniprogram").str("id")
		h.wantStatus(h.mpScan(h.openCode(alice)), 200, "")
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), 403, "invalid_confirm_token")
		if w := b.wait(id, -1); w.str("status") != "scanned" {
			t.Fatalf("after a forged confirmation: %s", w.raw)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=miniprogram").str("id")
		p := h.mpScan(h.openCode(alice))
		tok := p.str("confirm_token")
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/cancel", map[string]string{"scene": id, "confirm_token": tok}), 200, "")
		if w := b.wait(id, -1); w.str("status") != "cancelled" || b.sessionCookie() != "" {
			t.Fatalf("after a cancel: %s", w.raw)
		}
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": tok}), 409, "scan_state")
	})

	t.Run("confirm before scan", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=miniprogram").str("id")
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", map[string]string{"scene": id, "confirm_token": "x"}), 403, "invalid_confirm_token")
	})

	t.Run("expired", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=miniprogram").str("id")
		o := h.openCode(alice)
		h.clock.advance(5*time.Minute + time.Second)
		defer h.clock.advance(-5*time.Minute - time.Second)
		h.wantStatus(h.mpScan(o), 410, "scan_expired")
		if w := b.wait(id, -1); w.str("status") != "expired" {
			t.Fatalf("an expired scan waits as %s", w.raw)
		}
	})

	t.Run("malformed input", func(t *testing.T) {
		good := h.wxLogin("mp", alice)
		for _, tc := range []struct {
			body   string
			status int
			code   string
		}{
			{`{"code":"` + good + `"}`, 400, "missing_scene"},
			{`{"code":"` + good + `","scene":"../../etc"}`, 400, "invalid_scene"},
			{`{"code":"` + good + `","scene":"` + strings.Repeat("a", 33) + `"}`, 400, "invalid_scene"},
			{`{"scene":"` + strings.Repeat("a", 32) + `"}`, 400, "missing_code"},
			{`{"code":"a b","scene":"` + strings.Repeat("a", 32) + `"}`, 400, "invalid_code"},
			{`{"code":"x","scene":"` + strings.Repeat("a", 32) + `","extra":1}`, 400, "malformed_json"},
			{`[1]`, 400, "malformed_json"},
			{`{"code":"` + strings.Repeat("a", 5000) + `"}`, 413, "body_too_large"},
			{`{"code":"x","scene":"` + strings.Repeat("a", 32) + `"}`, 410, "scan_expired"},
		} {
			h.wantStatus(h.do("POST", "/auth/miniprogram/scan", tc.body), tc.status, tc.code)
		}
		h.wantStatus(h.do("POST", "/auth/miniprogram/scan/confirm", `{"scene":"`+strings.Repeat("a", 32)+`"}`), 400, "missing_field")
		b := h.browser()
		h.wantStatus(b.wait("short", -1), 400, "invalid_scan")
		h.wantStatus(b.wait(strings.Repeat("a", 32), 5), 200, "")
		h.wantStatus(b.send("GET", "/auth/wechat/scan/wait?id="+strings.Repeat("a", 32)+"&seq=-1", nil), 400, "invalid_seq")
		h.wantStatus(b.send("POST", "/auth/wechat/scan/start?method=sms", nil), 400, "invalid_method")
		h.wantStatus(b.send("POST", "/auth/wechat/scan/start?app=mp2", nil), 400, "scan_login_off")
		h.wantStatus(b.send("POST", "/auth/wechat/scan/start?app=web", nil), 400, "wrong_app_type")
		h.wantStatus(b.send("POST", "/auth/wechat/scan/start?method=follow", nil), 404, "no_scan_login")
		h.wantStatus(b.send("POST", "/auth/wechat/scan/start", nil, "Origin", "https://evil.example"), 403, "cross_origin")
		// The unused wx.login code was never sent to WeChat.
		if _, err := h.gw.apps.byName["mp"].Client().Code2Session(context.Background(), good); err != nil {
			t.Errorf("a refused request spent the code: %v", err)
		}
	})
	h.assertNoLeak(h.secretsSeen(alice, mallory)...)
}

func TestMiniProgramCodeWeChatFailure(t *testing.T) {
	h := newHarness(t, withApps(scanApps()))
	if err := h.emu.SetFault(emulator.Fault{Path: "/wxa/getwxacodeunlimit", ErrCode: 45009, Count: 1}); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	a := b.send("POST", "/auth/wechat/scan/start?method=miniprogram", nil)
	if a.status < 400 || a.str("error") == "" || a.str("message") == "" {
		t.Fatalf("start with WeChat refusing = %d %s", a.status, a.raw)
	}
	// The page says it too, as a page.
	pg := b.get("/auth/wechat/scan?method=miniprogram")
	if pg.status != 200 || !strings.Contains(pg.raw, "data:image/png;base64,") || !strings.Contains(pg.raw, "/auth/static/scan.js") {
		t.Fatalf("scan page = %d %.300s", pg.status, pg.raw)
	}
	if csp := pg.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("scan page CSP %q", csp)
	}
}
