package emulator_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

var pollAnswer = regexp.MustCompile(`^window\.wx_errcode=(\d+);window\.wx_code='([A-Za-z0-9]*)';$`)

// poll calls the long-poll and returns wx_errcode and wx_code.
func (v *env) poll(uuid, last string) (string, string) {
	v.t.Helper()
	q := url.Values{"uuid": {uuid}}
	if last != "" {
		q.Set("last", last)
	}
	resp, err := v.srv.Client().Get(v.srv.URL + "/connect/l/qrconnect?" + q.Encode())
	if err != nil {
		v.t.Fatal(err)
	}
	body := readBody(resp)
	m := pollAnswer.FindStringSubmatch(body)
	if m == nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		v.t.Fatalf("long-poll answer %q (%s)", body, resp.Header.Get("Content-Type"))
	}
	return m[1], m[2]
}

func TestLongPollStateMachine(t *testing.T) {
	v := newEnv(t, func(o *emulator.Options) { o.LongPoll = 10 * time.Second })
	web := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	uuid := v.qrGrant(web, "https://example.com/cb", "s")

	// Each change wakes a poll waiting on the previous state at once (a
	// 10 s long-poll that timed out would fail the deadline below).
	deadline := time.Now().Add(5 * time.Second)
	type answer struct{ status, code string }
	wait := func(last string, change func()) answer {
		ch := make(chan answer, 1)
		go func() {
			s, c := v.poll(uuid, last)
			ch <- answer{s, c}
		}()
		change()
		a := <-ch
		if time.Now().After(deadline) {
			t.Fatal("a state change did not wake the long-poll")
		}
		return a
	}
	if a := wait("408", func() {
		if err := v.ctl.Scan(context.Background(), uuid, uid); err != nil {
			t.Error(err)
		}
	}); a.status != "404" || a.code != "" {
		t.Fatalf("after scan: %+v", a)
	}
	var redirect string
	a := wait("404", func() {
		var err error
		if redirect, err = v.ctl.Confirm(context.Background(), uuid, uid); err != nil {
			t.Error(err)
		}
	})
	if a.status != "405" || len(a.code) != 32 || !strings.Contains(redirect, "code="+a.code) {
		t.Fatalf("after confirm: %+v, redirect %q", a, redirect)
	}
	if _, err := v.client(web).ExchangeCode(context.Background(), a.code); err != nil {
		t.Fatal(err)
	}
	// A poll that does not say last answers the current state at once.
	if s, c := v.poll(uuid, ""); s != "405" || c != a.code {
		t.Fatalf("confirmed grant: %s %s", s, c)
	}
}

func TestLongPollCancelExpireUnknown(t *testing.T) {
	v := newEnv(t, func(o *emulator.Options) { o.LongPoll = 10 * time.Second })
	web := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	cancelled := v.qrGrant(web, "https://example.com/cb", "s")
	if _, err := v.e.Cancel(cancelled, uid); err != nil {
		t.Fatal(err)
	}
	if s, c := v.poll(cancelled, "408"); s != "403" || c != "" {
		t.Fatalf("cancelled: %s %q", s, c)
	}
	// Expiry: an advance of the virtual clock wakes a waiting poll.
	expiring := v.qrGrant(web, "https://example.com/cb", "s")
	v.e.Advance(5*time.Minute - time.Second)
	done := make(chan string, 1)
	go func() {
		s, _ := v.poll(expiring, "408")
		done <- s
	}()
	v.e.Advance(time.Second)
	select {
	case s := <-done:
		if s != "402" {
			t.Fatalf("expired grant: %s", s)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("clock advance did not wake the long-poll")
	}
	if _, err := v.e.Confirm(expiring, uid); err == nil {
		t.Fatal("confirmed an expired grant")
	}
	if s, _ := v.poll("no-such-uuid", ""); s != "402" {
		t.Fatalf("unknown uuid: %s", s)
	}
}

func TestLongPollTimeout(t *testing.T) {
	v := newEnv(t, func(o *emulator.Options) { o.LongPoll = 150 * time.Millisecond })
	web := v.app(wechat.AppTypeWebsite, "")
	uuid := v.qrGrant(web, "https://example.com/cb", "s")
	start := time.Now()
	if s, _ := v.poll(uuid, ""); s != "408" {
		t.Fatalf("waiting grant: %s", s)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v: the poll must be held up to the long-poll timeout", d)
	}
	if _, err := v.e.Confirm(uuid, v.user()); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if s, c := v.poll(uuid, "405"); s != "405" || c == "" || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("held confirmed poll: %s %q after %v", s, c, time.Since(start))
	}
}

func TestLongPollEndsWithTheRequest(t *testing.T) {
	v := newEnv(t, func(o *emulator.Options) { o.LongPoll = time.Minute })
	web := v.app(wechat.AppTypeWebsite, "")
	uuid := v.qrGrant(web, "https://example.com/cb", "s")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, v.srv.URL+"/connect/l/qrconnect?uuid="+uuid, nil)
	start := time.Now()
	if _, err := v.srv.Client().Do(req); err == nil {
		t.Fatal("want the request to be cancelled")
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("cancel took too long")
	}
}

func TestQRCodeImage(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	uuid := v.qrGrant(web, "https://example.com/cb", "s")
	for _, host := range []string{"", "192.168.1.20:9000"} {
		req, _ := http.NewRequest(http.MethodGet, v.srv.URL+"/connect/qrcode/"+uuid, nil)
		base := v.srv.URL
		if host != "" {
			req.Host = host
			base = "http://" + host
		}
		resp, err := v.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 100 || img.Bounds().Dx() != img.Bounds().Dy() {
			t.Fatalf("not a square PNG: %v", err)
		}
		// It is exactly the QR code of the phone simulator's URL.
		c, err := qr.Encode(base+"/_emulator/phone?uuid="+uuid, qr.M)
		if err != nil {
			t.Fatal(err)
		}
		c.Scale = 6
		if !bytes.Equal(c.PNG(), b) {
			t.Fatalf("QR image does not encode %s/_emulator/phone?uuid=%s", base, uuid)
		}
	}
	resp, _ := v.srv.Client().Get(v.srv.URL + "/connect/qrcode/nope")
	if resp.StatusCode != 404 {
		t.Fatalf("unknown uuid: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestPhoneSimulatorPage(t *testing.T) {
	v := newEnv(t)
	resp, err := v.srv.Client().Get(v.srv.URL + "/_emulator/phone?uuid=abc123")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `data-uuid="abc123"`) || !strings.Contains(body, "/_emulator/assets/phone.js") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, asset := range []string{"phone.js", "poll.js", "wxemu.css"} {
		resp, err := v.srv.Client().Get(v.srv.URL + "/_emulator/assets/" + asset)
		if err != nil {
			t.Fatal(err)
		}
		b := readBody(resp)
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Fatalf("%s: %d", asset, resp.StatusCode)
		}
		// No external assets: nothing loads from another host.
		if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?https?:|@import|cdn`).MatchString(b) {
			t.Fatalf("%s refers to an external asset", asset)
		}
	}
	resp, _ = v.srv.Client().Get(v.srv.URL + "/_emulator/assets/../emulator.go")
	if resp.StatusCode == 200 {
		t.Fatal("asset path escapes the embedded files")
	}
	resp.Body.Close()
	// The root sends people to the phone simulator.
	resp, _ = v.hc.Get(v.srv.URL + "/")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/_emulator/phone" {
		t.Fatalf("root: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()
}
