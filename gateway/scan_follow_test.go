package gateway

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

const (
	testEventToken = "wxgateEventToken42"
	testAESKey     = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// followApps are the default apps with follow-the-account login on "oa",
// its server configuration pointing at the gateway's event receiver.
func followApps(safe bool) []appDef {
	apps := make([]appDef, 0, len(defaultApps))
	for _, d := range defaultApps {
		if d.name == "oa" {
			d.extra += "    follow_login: true\n    event_token_env: EVENT_TOKEN\n"
			d.server = emulator.ServerSpec{ServerURL: "{gateway}/wechat/events/oa", Token: testEventToken}
			if safe {
				d.extra += "    event_aes_key_env: EVENT_AES_KEY\n"
				d.server.EncodingAESKey, d.server.EncryptMode = testAESKey, emulator.EncryptSafe
			}
		}
		apps = append(apps, d)
	}
	return apps
}

func newFollowHarness(t *testing.T, safe bool) *harness {
	return newHarness(t, withApps(followApps(safe)), withEnv("EVENT_TOKEN", testEventToken), withEnv("EVENT_AES_KEY", testAESKey))
}

// followTicket is the newest parametric code's ticket, checked to carry
// the scan id.
func (h *harness) followTicket(id string) string {
	h.t.Helper()
	codes := h.emu.QRCodes()
	if len(codes) == 0 || codes[0].SceneStr != id || codes[0].AppID != h.apps["oa"].AppID {
		h.t.Fatalf("parametric codes %+v, want the newest with scene %s", codes, id)
	}
	return codes[0].Ticket
}

func TestFollowLogin(t *testing.T) {
	for _, safe := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "safe mode"}[safe], func(t *testing.T) {
			h := newFollowHarness(t, safe)
			ctx := context.Background()
			alice, bob := h.user("Alice"), h.user("Bob")

			// Alice does not follow the account: scanning shows it, and
			// only following it logs her in.
			b := h.browser()
			st := b.scanStart("method=follow&return_to=/after")
			id := st.str("id")
			if st.str("method") != "follow" || st.str("app") != "oa" || !strings.HasPrefix(st.str("image"), "data:image/png;base64,") {
				t.Fatalf("start %s", st.raw)
			}
			ticket := h.followTicket(id)
			res, err := h.emu.ScanQRCode(ctx, ticket, alice, false)
			if err != nil || res.Status != "needs_follow" {
				t.Fatalf("scan without following: %+v %v", res, err)
			}
			if w := b.wait(id, -1); w.str("status") != "waiting" {
				t.Fatalf("after a scan without follow: %s", w.raw)
			}
			res, err = h.emu.ScanQRCode(ctx, ticket, alice, true)
			if err != nil || res.Status != "pushed" || res.Event != "subscribe" || res.Attempts != 1 || res.Answer != "success" || res.Encrypted != safe {
				t.Fatalf("follow: %+v %v", res, err)
			}
			w := b.wait(id, -1)
			if w.str("status") != "confirmed" || w.str("return_to") != "/after" || b.sessionCookie() == "" {
				t.Fatalf("after the subscribe event: %s", w.raw)
			}
			me := b.me()
			var who struct {
				User struct{ ID string } `json:"user"`
			}
			_ = jsonUnmarshal(me.raw, &who)
			code, err := h.emu.MobileAuthorize(h.apps["ios"].AppID, alice, "")
			if err != nil {
				t.Fatal(err)
			}
			m := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": h.noteCode(code.Code)})
			if userID(m) == "" || userID(m) != who.User.ID {
				t.Errorf("follow login user %q, mobile login user %q: not linked by unionid", who.User.ID, userID(m))
			}

			// Bob already follows: he just scans (Event=SCAN).
			if err := h.emu.SetFollow(h.apps["oa"].AppID, bob, true); err != nil {
				t.Fatal(err)
			}
			b2 := h.browser()
			id2 := b2.scanStart("method=follow").str("id")
			res, err = h.emu.ScanQRCode(ctx, h.followTicket(id2), bob, false)
			if err != nil || res.Status != "pushed" || res.Event != "SCAN" {
				t.Fatalf("a follower's scan: %+v %v", res, err)
			}
			if w := b2.wait(id2, -1); w.str("status") != "confirmed" || b2.sessionCookie() == "" {
				t.Fatalf("after the SCAN event: %s", w.raw)
			}
			// Scanning a spent code again changes nothing.
			res, _ = h.emu.ScanQRCode(ctx, h.emu.QRCodes()[0].Ticket, bob, false)
			if res.Status != "pushed" || res.Answer != "success" {
				t.Errorf("a scan of a spent code: %+v", res)
			}
			h.assertNoLeak(append(h.secretsSeen(alice, bob), testEventToken, testAESKey)...)
			h.assertNoLeak(h.codes...)
		})
	}
}

// pushTo sends an event push to the receiver, signed with token unless
// sign is false.
func (h *harness) pushTo(app string, body string, ts int64, sign bool, extra url.Values) answer {
	h.t.Helper()
	tsS, nonce := strconv.FormatInt(ts, 10), "1234567"
	q := url.Values{"timestamp": {tsS}, "nonce": {nonce}, "openid": {"o"}}
	if sign {
		q.Set("signature", wechat.PushSignature(testEventToken, tsS, nonce))
	} else {
		q.Set("signature", strings.Repeat("0", 40))
	}
	for k, v := range extra {
		q[k] = v
	}
	return h.do("POST", "/wechat/events/"+app+"?"+q.Encode(), body, "Content-Type", "text/xml")
}

func eventXML(from string, created int64, event, key string) string {
	return "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[" + from + "]]></FromUserName><CreateTime>" +
		strconv.FormatInt(created, 10) + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + event +
		"]]></Event><EventKey><![CDATA[" + key + "]]></EventKey></xml>"
}

func TestEventReceiverAttacks(t *testing.T) {
	h := newFollowHarness(t, false)
	alice := h.user("Alice")
	openid := h.identity("oa", alice).OpenID
	now := time.Now().Unix()

	t.Run("server URL check", func(t *testing.T) {
		ts := strconv.FormatInt(now, 10)
		good := url.Values{"signature": {wechat.PushSignature(testEventToken, ts, "99")}, "timestamp": {ts}, "nonce": {"99"}, "echostr": {"4567123"}}
		a := h.do("GET", "/wechat/events/oa?"+good.Encode(), nil)
		if a.status != 200 || a.raw != "4567123" {
			t.Fatalf("echostr check = %d %q", a.status, a.raw)
		}
		bad := url.Values{"signature": {wechat.PushSignature("otherToken", ts, "99")}, "timestamp": {ts}, "nonce": {"99"}, "echostr": {"4567123"}}
		h.wantStatus(h.do("GET", "/wechat/events/oa?"+bad.Encode(), nil), 403, "event_bad_signature")
		xss := url.Values{"signature": {wechat.PushSignature(testEventToken, ts, "99")}, "timestamp": {ts}, "nonce": {"99"}, "echostr": {"<script>"}}
		h.wantStatus(h.do("GET", "/wechat/events/oa?"+xss.Encode(), nil), 400, "malformed_push")
		h.wantStatus(h.do("GET", "/wechat/events/web?"+good.Encode(), nil), 404, "event_app_unknown")
		h.wantStatus(h.do("GET", "/wechat/events/nope?"+good.Encode(), nil), 404, "event_app_unknown")
	})

	t.Run("forged push", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=follow").str("id")
		h.wantStatus(h.pushTo("oa", eventXML(openid, now, "SCAN", id), now, false, nil), 403, "event_bad_signature")
		if w := b.wait(id, -1); w.str("status") != "waiting" {
			t.Fatalf("a forged push changed the scan: %s", w.raw)
		}
	})

	t.Run("stale and replayed push", func(t *testing.T) {
		b := h.browser()
		id := b.scanStart("method=follow").str("id")
		old := now - 3600
		h.wantStatus(h.pushTo("oa", eventXML(openid, old, "SCAN", id), old, true, nil), 403, "event_stale")
		future := now + 3600
		h.wantStatus(h.pushTo("oa", eventXML(openid, future, "SCAN", id), future, true, nil), 403, "event_stale")
		if w := b.wait(id, -1); w.str("status") != "waiting" {
			t.Fatalf("a stale push changed the scan: %s", w.raw)
		}
		// The same push twice (WeChat's retry, or a replay within the
		// window): the second is answered and dropped.
		p := eventXML(openid, now, "subscribe", "qrscene_"+id)
		if a := h.pushTo("oa", p, now, true, nil); a.status != 200 || a.raw != "success" {
			t.Fatalf("push = %d %q", a.status, a.raw)
		}
		if a := h.pushTo("oa", p, now, true, nil); a.status != 200 || a.raw != "success" {
			t.Fatalf("repeated push = %d %q", a.status, a.raw)
		}
		if !strings.Contains(h.logs.String(), "kind=duplicate") {
			t.Error("the repeated push was not recognised as a duplicate")
		}
		if w := b.wait(id, -1); w.str("status") != "confirmed" {
			t.Fatalf("after the push: %s", w.raw)
		}
	})

	t.Run("unknown scene and other events", func(t *testing.T) {
		for _, p := range []string{
			eventXML(openid, now+1, "SCAN", strings.Repeat("Z", 32)),
			eventXML(openid, now+2, "SCAN", "1234"),
			eventXML(openid, now+3, "unsubscribe", ""),
			"<xml><MsgType>text</MsgType><Content>hi</Content><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>",
		} {
			if a := h.pushTo("oa", p, now, true, nil); a.status != 200 || a.raw != "success" {
				t.Errorf("push %q = %d %q", p, a.status, a.raw)
			}
		}
	})

	t.Run("malformed and hostile XML", func(t *testing.T) {
		laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><FromUserName>&lol2;</FromUserName></xml>`
		external := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><FromUserName>&xxe;</FromUserName></xml>`
		for _, body := range []string{
			laughs, external,
			"<xml><FromUserName>&unknown;</FromUserName></xml>",
			"not xml",
			"<xml></xml><xml></xml>",
			"<other></other>",
			"<xml>",
			"",
		} {
			h.wantStatus(h.pushTo("oa", body, now, true, nil), 400, "malformed_push")
		}
		big := "<xml><Content>" + strings.Repeat("a", 70<<10) + "</Content></xml>"
		h.wantStatus(h.pushTo("oa", big, now, true, nil), 413, "body_too_large")
	})
	h.assertNoLeak(testEventToken, testAESKey)
}

func TestEventReceiverSafeMode(t *testing.T) {
	h := newFollowHarness(t, true)
	alice := h.user("Alice")
	openid := h.identity("oa", alice).OpenID
	now := time.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	b := h.browser()
	id := b.scanStart("method=follow").str("id")
	c, err := wechat.NewMessageCrypter(testAESKey, h.apps["oa"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	wrongApp, _ := wechat.NewMessageCrypter(testAESKey, "wx0000000000000000")
	envelope := func(c *wechat.MessageCrypter, inner string) (string, string) {
		enc, err := c.Encrypt([]byte(inner))
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		_ = xml.EscapeText(&buf, []byte(enc))
		return "<xml><ToUserName>gh_x</ToUserName><Encrypt>" + buf.String() + "</Encrypt></xml>", enc
	}
	inner := eventXML(openid, now, "SCAN", id)
	body, enc := envelope(c, inner)
	// A plaintext push, or a wrong msg_signature, is refused in safe mode.
	h.wantStatus(h.pushTo("oa", inner, now, true, nil), 403, "event_bad_signature")
	h.wantStatus(h.pushTo("oa", body, now, true, url.Values{"encrypt_type": {"aes"}, "msg_signature": {wechat.PushSignature(testEventToken, ts, "1234567", "other")}}), 403, "event_bad_signature")
	// A message sealed for another AppID does not open.
	wb, wenc := envelope(wrongApp, inner)
	h.wantStatus(h.pushTo("oa", wb, now, true, url.Values{"encrypt_type": {"aes"}, "msg_signature": {wechat.PushSignature(testEventToken, ts, "1234567", wenc)}}), 400, "malformed_push")
	if w := b.wait(id, -1); w.str("status") != "waiting" {
		t.Fatalf("refused pushes changed the scan: %s", w.raw)
	}
	a := h.pushTo("oa", body, now, true, url.Values{"encrypt_type": {"aes"}, "msg_signature": {wechat.PushSignature(testEventToken, ts, "1234567", enc)}})
	if a.status != http.StatusOK || a.raw != "success" {
		t.Fatalf("safe-mode push = %d %q", a.status, a.raw)
	}
	if w := b.wait(id, -1); w.str("status") != "confirmed" {
		t.Fatalf("after the safe-mode push: %s", w.raw)
	}
	h.assertNoLeak(testEventToken, testAESKey)
}
