package emulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// eventServer is an official account's server: it checks each push's
// signature (and decrypts safe-mode ones) and records the events.
type eventServer struct {
	t       *testing.T
	token   string
	crypter *wechat.MessageCrypter
	mu      sync.Mutex
	events  []*wechat.Push
	fail    int // answer 500 to this many pushes first
	calls   int
}

func (s *eventServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	body, _ := io.ReadAll(r.Body)
	p, err := wechat.ParsePush(body)
	if err != nil {
		s.t.Errorf("push body: %v", err)
		return
	}
	if !wechat.CheckPushSignature(q.Get("signature"), s.token, q.Get("timestamp"), q.Get("nonce")) {
		s.t.Error("push signature does not verify")
	}
	if s.crypter != nil {
		if q.Get("encrypt_type") != "aes" || !wechat.CheckPushSignature(q.Get("msg_signature"), s.token, q.Get("timestamp"), q.Get("nonce"), p.Encrypt) {
			s.t.Error("safe-mode push without a valid msg_signature")
		}
		inner, err := s.crypter.Decrypt(p.Encrypt)
		if err != nil {
			s.t.Fatalf("safe-mode push does not decrypt: %v", err)
		}
		if p, err = wechat.ParsePush(inner); err != nil {
			s.t.Fatal(err)
		}
	}
	if q.Get("openid") != p.FromUserName {
		s.t.Error("the openid query parameter is not the pusher")
	}
	s.events = append(s.events, p)
	_, _ = io.WriteString(w, "success")
}

func TestParametricQRCodeAndPushes(t *testing.T) {
	for _, safe := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "safe"}[safe], func(t *testing.T) {
			v := newEnv(t)
			es := &eventServer{t: t, token: "tok123"}
			srv := httptest.NewServer(es)
			defer srv.Close()
			spec := emulator.AppSpec{Type: wechat.AppTypeOfficialAccount, CallbackDomain: "example.com", OpenAccount: "acme",
				ServerSpec: emulator.ServerSpec{ServerURL: srv.URL + "/wx", Token: "tok123"}}
			if safe {
				spec.EncodingAESKey, spec.EncryptMode = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", emulator.EncryptSafe
			}
			oa, err := v.e.CreateApp(spec)
			if err != nil {
				t.Fatal(err)
			}
			if safe {
				es.crypter, _ = wechat.NewMessageCrypter(spec.EncodingAESKey, oa.AppID)
			}
			ctx := context.Background()
			wc := v.client(oa)
			tok := v.appToken(oa)
			code, err := wc.CreateQRCode(ctx, tok, "login42", 300)
			if err != nil {
				t.Fatal(err)
			}
			if code.ExpireSeconds != 300 || !strings.Contains(code.URL, "/_emulator/phone?qrticket=") {
				t.Fatalf("code %+v", code)
			}
			resp, err := http.Get(v.srv.URL + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(code.Ticket))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("showqrcode: %v %v", resp, err)
			}
			resp.Body.Close()
			uid := v.user()
			res, err := v.e.ScanQRCode(ctx, code.Ticket, uid, false)
			if err != nil || res.Status != "needs_follow" || es.calls != 0 {
				t.Fatalf("scan without following: %+v %v (%d pushes)", res, err, es.calls)
			}
			res, err = v.e.ScanQRCode(ctx, code.Ticket, uid, true)
			if err != nil || res.Status != "pushed" || res.Event != "subscribe" || res.Encrypted != safe {
				t.Fatalf("follow: %+v %v", res, err)
			}
			id, _ := v.e.Identity(uid, oa.AppID)
			ev := es.events[0]
			if ev.Event != "subscribe" || ev.EventKey != "qrscene_login42" || ev.FromUserName != id.OpenID || ev.Ticket != code.Ticket || ev.MsgType != "event" || ev.CreateTime != t0.Unix() {
				t.Errorf("subscribe push %+v", ev)
			}
			f, err := wc.FollowerInfo(ctx, tok, id.OpenID)
			if err != nil || f.Subscribe != 1 || f.QRSceneStr != "login42" || f.SubscribeScene != "ADD_SCENE_QR_CODE" || f.UnionID != id.UnionID || f.UnionID == "" {
				t.Errorf("user/info of the new follower: %+v %v", f, err)
			}
			// Following now: a scan pushes SCAN at once. A server that
			// fails is retried three times.
			es.fail = 2
			res, _ = v.e.ScanQRCode(ctx, code.Ticket, uid, false)
			if res.Status != "pushed" || res.Event != "SCAN" || res.Attempts != 3 {
				t.Errorf("a follower's scan with two failures: %+v", res)
			}
			if ev := es.events[len(es.events)-1]; ev.Event != "SCAN" || ev.EventKey != "login42" {
				t.Errorf("SCAN push %+v", ev)
			}
			es.fail = 10
			res, _ = v.e.ScanQRCode(ctx, code.Ticket, uid, false)
			if res.Status != "not_delivered" || res.Attempts != 4 {
				t.Errorf("a server that always fails: %+v", res)
			}
			v.e.Advance(301 * time.Second)
			if _, err := v.e.ScanQRCode(ctx, code.Ticket, uid, false); err == nil {
				t.Error("an expired code scanned")
			}
		})
	}
}

func TestParametricQRCodeErrors(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	mp := v.app(wechat.AppTypeMiniProgram, "")
	tok := v.appToken(oa).Reveal()
	for _, tc := range []struct{ body, code string }{
		{`{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":""}}}`, "40097"},
		{`{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"` + strings.Repeat("a", 65) + `"}}}`, "40097"},
		{`{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":0}}}`, "40097"},
		{`{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":1}}}`, "40097"},
		{`{"expire_seconds":-5,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":1}}}`, "47001"},
		{`not json`, "47001"},
	} {
		wantCode(t, v.post("/cgi-bin/qrcode/create", url.Values{"access_token": {tok}}, "application/json", tc.body), tc.code)
	}
	wantCode(t, v.post("/cgi-bin/qrcode/create", url.Values{"access_token": {v.appToken(mp).Reveal()}}, "application/json", `{}`), "48001")
	wantCode(t, v.post("/cgi-bin/qrcode/create", nil, "application/json", `{}`), "41001")
	m := v.post("/cgi-bin/qrcode/create", url.Values{"access_token": {tok}}, "application/json", `{"expire_seconds":99999999,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":7}}}`)
	wantNumber(t, m, "expire_seconds", 2592000)
	resp, _ := http.Get(v.srv.URL + "/cgi-bin/showqrcode?ticket=nope")
	if resp.StatusCode != 404 {
		t.Errorf("showqrcode of an unknown ticket: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// A bad server configuration is refused with every problem.
	_, err := v.e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeOfficialAccount, CallbackDomain: "example.com",
		ServerSpec: emulator.ServerSpec{ServerURL: "ftp://x", Token: "a", EncryptMode: "safe"}})
	if err == nil || !strings.Contains(err.Error(), "server_url") || !strings.Contains(err.Error(), "token") || !strings.Contains(err.Error(), "encoding_aes_key") {
		t.Errorf("bad server configuration: %v", err)
	}
}
