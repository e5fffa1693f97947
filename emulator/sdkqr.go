package emulator

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// The OpenSDK's QR login for mobile apps on TVs, desktops and kiosks: the
// app's server gets an sdk_ticket (cgi-bin/ticket/getticket?type=2) with
// the app's access token and signs the SDK's request
// (sha1("appid=…&noncestr=…&sdk_ticket=…&timestamp=…")); the SDK calls
// connect/sdk/qrconnect and gets a uuid and a QR image, then long-polls
// connect/l/qrconnect?uuid=&f=json for the code, which goes to
// sns/oauth2/access_token as usual.

const (
	pathGetTicket    = "/cgi-bin/ticket/getticket"
	pathSDKQRConnect = "/connect/sdk/qrconnect"
)

// GrantSDK is the kind of a grant made by the OpenSDK's QR login.
const GrantSDK = "sdk"

// sdkTicketTTL is an sdk_ticket's life, as WeChat's.
const sdkTicketTTL = 7200

type sdkTickets struct {
	mu sync.Mutex
	by map[string]sdkTicket // appid -> current ticket
}

type sdkTicket struct {
	value   string
	expires time.Time
}

// handleGetTicket is cgi-bin/ticket/getticket?access_token=&type=2: the
// mobile app's current sdk_ticket (a new one when it expired), with
// errcode 0 as WeChat answers. Other types and app types: 40097 and 48001.
func (e *Emulator) handleGetTicket(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.appTokenApp(q.Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	if q.Get("type") != "2" {
		return 40097
	}
	if a.typ != wechat.AppTypeMobile {
		return 48001
	}
	t := e.sdkTicket(a.appid, true)
	writeJSON(w, struct {
		ErrCode   int    `json:"errcode"`
		ErrMsg    string `json:"errmsg"`
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}{0, "ok", t.value, int64(t.expires.Sub(e.clock.now()) / time.Second)})
	return 0
}

// sdkTicket is the app's current ticket; issue makes one if there is none
// or it expired.
func (e *Emulator) sdkTicket(appid string, issue bool) sdkTicket {
	s := &e.sdk
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = make(map[string]sdkTicket)
	}
	now := e.clock.now()
	t, ok := s.by[appid]
	if (!ok || !now.Before(t.expires)) && issue {
		t = sdkTicket{value: randomAlnum(86), expires: now.Add(sdkTicketTTL * time.Second)}
		s.by[appid] = t
	}
	if !now.Before(t.expires) {
		return sdkTicket{}
	}
	return t
}

// handleSDKQRConnect is the SDK's connect/sdk/qrconnect?appid=&noncestr=
// &timestamp=&scope=&signature=: with a signature made from the app's
// current sdk_ticket it answers {errcode:0, uuid, qrcode:{qrcodebase64,
// qrcodelength}} and a grant waits for the person's scan. A wrong
// signature (another ticket, an expired one, other values) is 87009
// invalid signature; a missing parameter 41002 or 47001; scope must be
// snsapi_userinfo (40117 otherwise, an assumption).
func (e *Emulator) handleSDKQRConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fail := func(code int) { writeWeChatError(w, code, "") }
	appid, nonce, ts, sig := q.Get("appid"), q.Get("noncestr"), q.Get("timestamp"), q.Get("signature")
	if appid == "" {
		fail(41002)
		return
	}
	a := e.app(appid)
	if a == nil || a.typ != wechat.AppTypeMobile {
		fail(40013)
		return
	}
	if nonce == "" || ts == "" || sig == "" || len(nonce) > 64 || len(ts) > 12 {
		fail(47001)
		return
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		fail(47001)
		return
	}
	if sc := q.Get("scope"); sc != "" && sc != string(wechat.ScopeUserInfo) {
		fail(40117)
		return
	}
	t := e.sdkTicket(appid, false)
	if t.value == "" || !constantEqual(sig, wechat.SDKSignature(appid, nonce, t.value, ts)) {
		fail(87009)
		return
	}
	g := e.newGrant(&grant{kind: GrantSDK, app: a, scope: wechat.ScopeUserInfo})
	png, err := qrPNG(phoneURL(r, g.uuid))
	if err != nil {
		fail(-1)
		return
	}
	b64 := base64.StdEncoding.EncodeToString(png)
	type qrcode struct {
		Base64 string `json:"qrcodebase64"`
		Length int    `json:"qrcodelength"`
	}
	writeJSON(w, struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		UUID    string `json:"uuid"`
		QRCode  qrcode `json:"qrcode"`
	}{0, "ok", g.uuid, qrcode{b64, len(png)}})
}

// writePollJSON is the long-poll's answer for the SDK (f=json).
func writePollJSON(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, struct {
		ErrCode int    `json:"wx_errcode"`
		Code    string `json:"wx_code"`
	}{status, code})
}
