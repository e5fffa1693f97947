package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/wechat"
)

func sdkApps() []appDef {
	apps := make([]appDef, 0, len(defaultApps))
	for _, d := range defaultApps {
		if d.name == "ios" {
			d.extra += "    sdk_qr_login: true\n"
		}
		apps = append(apps, d)
	}
	return apps
}

// emuGet calls the emulator as the OpenSDK does and decodes its JSON.
func (h *harness) emuGet(path string, q url.Values) map[string]any {
	h.t.Helper()
	resp, err := http.Get(h.emuURL + path + "?" + q.Encode())
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatalf("%s: not JSON: %s", path, b)
	}
	return m
}

// TestOpenSDKQRLogin plays the mobile app's SDK end to end: the app asks
// its gateway for the signature, hands it to the SDK, which asks WeChat
// for the QR code and long-polls; the person scans and confirms on the
// phone; the code the SDK gets logs the app in.
func TestOpenSDKQRLogin(t *testing.T) {
	h := newHarness(t, withApps(sdkApps()))
	alice := h.user("Alice")
	sig := h.do("POST", "/auth/mobile/qr-signature", map[string]string{"app": "ios"})
	h.wantStatus(sig, 200, "")
	if sig.str("appid") != h.apps["ios"].AppID || len(sig.str("noncestr")) != 16 || sig.str("timestamp") == "" || len(sig.str("signature")) != 40 || sig.str("scope") != "snsapi_userinfo" {
		t.Fatalf("signature answer %s", sig.raw)
	}
	q := url.Values{}
	for _, k := range []string{"appid", "noncestr", "timestamp", "scope", "signature"} {
		q.Set(k, sig.str(k))
	}
	qr := h.emuGet("/connect/sdk/qrconnect", q)
	uuid, _ := qr["uuid"].(string)
	code64, _ := qr["qrcode"].(map[string]any)["qrcodebase64"].(string)
	raw, err := base64.StdEncoding.DecodeString(code64)
	if err != nil || uuid == "" || qr["errcode"].(float64) != 0 {
		t.Fatalf("sdk qrconnect: %v", qr)
	}
	if _, err := png.Decode(strings.NewReader(string(raw))); err != nil {
		t.Fatalf("the QR code is not a PNG: %v", err)
	}
	if p := h.emuGet("/connect/l/qrconnect", url.Values{"uuid": {uuid}, "f": {"json"}, "last": {"404"}}); p["wx_errcode"].(float64) != 408 {
		t.Fatalf("long-poll before the scan: %v", p)
	}
	if err := h.emu.Scan(uuid, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.Confirm(uuid, alice); err != nil {
		t.Fatal(err)
	}
	p := h.emuGet("/connect/l/qrconnect", url.Values{"uuid": {uuid}, "f": {"json"}})
	code, _ := p["wx_code"].(string)
	if p["wx_errcode"].(float64) != 405 || code == "" {
		t.Fatalf("long-poll after the confirmation: %v", p)
	}
	login := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": h.noteCode(code)})
	h.wantStatus(login, 200, "")
	// The same person in the mini-program is the same user (unionid).
	if mp := h.mpLogin("mp", alice); userID(mp) != userID(login) {
		t.Errorf("OpenSDK login user %q, mini-program user %q", userID(login), userID(mp))
	}

	// The ticket is cached by central control: a second signature does
	// not fetch it again, and it never leaves the server.
	h.wantStatus(h.do("POST", "/auth/mobile/qr-signature", map[string]string{"app": "ios"}), 200, "")
	if n := h.emu.Stats().Calls["/cgi-bin/ticket/getticket"]; n != 1 {
		t.Errorf("getticket called %d times for two signatures", n)
	}
	ctx := context.Background()
	c, _ := wechat.New(wechat.Config{AppID: h.apps["ios"].AppID, Secret: wechat.NewSecret(h.apps["ios"].Secret), APIBase: h.emuURL})
	tok, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := c.GetSDKTicket(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	h.assertNoLeak(append(h.secretsSeen(alice), ticket.Ticket.Reveal())...)
	h.assertNoLeak(h.codes...)

	// A signature of another ticket, or of other values, is refused.
	bad := url.Values{}
	for k, v := range q {
		bad[k] = v
	}
	bad.Set("signature", wechat.SDKSignature(sig.str("appid"), sig.str("noncestr"), "not-the-ticket", sig.str("timestamp")))
	if m := h.emuGet("/connect/sdk/qrconnect", bad); m["errcode"].(float64) != 87009 {
		t.Errorf("signature of the wrong ticket: %v", m)
	}
	bad = url.Values{}
	for k, v := range q {
		bad[k] = v
	}
	bad.Set("timestamp", "1")
	if m := h.emuGet("/connect/sdk/qrconnect", bad); m["errcode"].(float64) != 87009 {
		t.Errorf("signature over other values: %v", m)
	}
}

func TestOpenSDKQRSignatureErrors(t *testing.T) {
	h := newHarness(t)
	h.wantStatus(h.do("POST", "/auth/mobile/qr-signature", map[string]string{"app": "ios"}), 400, "scan_login_off")
	h.wantStatus(h.do("POST", "/auth/mobile/qr-signature", map[string]string{"app": "web"}), 400, "wrong_app_type")
	h.wantStatus(h.do("POST", "/auth/mobile/qr-signature", map[string]string{}), 400, "missing_app")
	h.wantStatus(h.do("POST", "/auth/mobile/qr-signature", `{"app":"ios","x":1}`), 400, "malformed_json")
	h.wantStatus(h.do("GET", "/auth/mobile/qr-signature", nil), 405, "method_not_allowed")
	if n := h.emu.Stats().Calls["/cgi-bin/ticket/getticket"]; n != 0 {
		t.Errorf("refused requests fetched %d tickets", n)
	}
}
