package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// Official accounts' parametric QR codes (cgi-bin/qrcode/create,
// showqrcode), their scans in the phone simulator, and the event pushes
// that follow: Event=subscribe with EventKey=qrscene_<scene> for a new
// follower, Event=SCAN with EventKey=<scene> for a follower, signed with
// the account's Token and, in safe mode, encrypted with its
// EncodingAESKey. WeChat waits 5 s for the server's answer and retries
// three times.

const (
	pathQRCodeCreate = "/cgi-bin/qrcode/create"
	pathShowQRCode   = "/cgi-bin/showqrcode"
)

// maxQRCodes bounds the parametric codes the emulator remembers.
const maxQRCodes = 2000

// pushRetries is how many times WeChat retries a push that got no answer
// in time (or an error status).
const pushRetries = 3

// QRCodeTicket is a parametric QR code as the control API lists it.
type QRCodeTicket struct {
	Ticket   string `json:"ticket"`
	AppID    string `json:"appid"`
	AppName  string `json:"app_name"`
	SceneStr string `json:"scene_str,omitempty"`
	SceneID  int64  `json:"scene_id,omitempty"`
	Expires  int64  `json:"expires"`
}

// PushResult is what became of a scan: the event WeChat pushed (none when
// the person must follow first) and how its delivery went.
type PushResult struct {
	Status    string `json:"status"` // "pushed", "needs_follow", "not_delivered", "no_server"
	Event     string `json:"event,omitempty"`
	Attempts  int    `json:"attempts"`
	HTTPCode  int    `json:"http_status,omitempty"`
	Answer    string `json:"answer,omitempty"` // the server's answer body, cut to 256 bytes
	Encrypted bool   `json:"encrypted"`
}

type followState struct {
	since    time.Time
	sceneStr string
	sceneID  int64
}

type oaState struct {
	mu      sync.Mutex
	tickets map[string]*QRCodeTicket
	order   []string
	follows map[bindingKey]followState
}

func (s *oaState) init() {
	if s.tickets == nil {
		s.tickets = make(map[string]*QRCodeTicket)
		s.follows = make(map[bindingKey]followState)
	}
}

// qrCodeRequest is qrcode/create's body.
type qrCodeRequest struct {
	ExpireSeconds json.RawMessage `json:"expire_seconds"`
	ActionName    string          `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneID  json.RawMessage `json:"scene_id"`
			SceneStr *string         `json:"scene_str"`
		} `json:"scene"`
	} `json:"action_info"`
}

// handleQRCodeCreate is cgi-bin/qrcode/create: an official account's
// token (48001 for another type's), action_name QR_SCENE (scene_id 1 to
// 4294967295) or QR_STR_SCENE (scene_str 1 to 64 characters), and
// expire_seconds up to 2592000 (default 60). Permanent codes
// (QR_LIMIT_*) are not emulated (40097 invalid args). Malformed input is
// 47001, a bad scene 40097.
func (e *Emulator) handleQRCodeCreate(w http.ResponseWriter, r *http.Request) int {
	a, errcode := e.appTokenApp(r.URL.Query().Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	if a.typ != wechat.AppTypeOfficialAccount {
		return 48001
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	var req qrCodeRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		return 47001
	}
	expire := int64(60)
	if len(req.ExpireSeconds) > 0 {
		if json.Unmarshal(req.ExpireSeconds, &expire) != nil || expire <= 0 {
			return 47001
		}
		expire = min(expire, wechat.MaxQRCodeExpiry)
	}
	t := &QRCodeTicket{AppID: a.appid, AppName: a.name}
	switch wechat.QRCodeAction(req.ActionName) {
	case wechat.QRStrScene:
		s := req.ActionInfo.Scene.SceneStr
		if s == nil || len(*s) == 0 || len(*s) > 64 {
			return 40097
		}
		t.SceneStr = *s
	case wechat.QRScene:
		var id int64
		if json.Unmarshal(req.ActionInfo.Scene.SceneID, &id) != nil || id < 1 || id > 4294967295 {
			return 40097
		}
		t.SceneID = id
	default:
		return 40097
	}
	now := e.clock.now()
	t.Ticket = "gQ" + randomAlnum(94)
	t.Expires = now.Add(time.Duration(expire) * time.Second).Unix()
	s := &e.oa
	s.mu.Lock()
	s.init()
	s.tickets[t.Ticket] = t
	s.order = append(s.order, t.Ticket)
	for len(s.order) > maxQRCodes {
		delete(s.tickets, s.order[0])
		s.order = s.order[1:]
	}
	s.mu.Unlock()
	writeJSON(w, wechat.QRCode{Ticket: t.Ticket, ExpireSeconds: expire, URL: qrTicketURL(r, t.Ticket)})
	return 0
}

// qrTicketURL is what a parametric code encodes: WeChat's is
// http://weixin.qq.com/q/...; the emulator's opens the phone simulator.
func qrTicketURL(r *http.Request, ticket string) string {
	return baseURL(r) + "/_emulator/phone?qrticket=" + url.QueryEscape(ticket)
}

func (e *Emulator) ticket(v string) (QRCodeTicket, bool) {
	s := &e.oa
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[v]
	if !ok || e.clock.now().Unix() >= t.Expires {
		return QRCodeTicket{}, false
	}
	return *t, true
}

// handleShowQRCode is mp.weixin.qq.com/cgi-bin/showqrcode?ticket=: the
// code's image (PNG), 404 for an unknown or expired ticket.
func (e *Emulator) handleShowQRCode(w http.ResponseWriter, r *http.Request) {
	t, ok := e.ticket(r.URL.Query().Get("ticket"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrPNG(qrTicketURL(r, t.Ticket))
	if err != nil {
		http.Error(w, "emulator: cannot encode QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg") // as WeChat labels it
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

// QRCodes lists the live parametric codes, newest first.
func (e *Emulator) QRCodes() []QRCodeTicket {
	s := &e.oa
	s.mu.Lock()
	defer s.mu.Unlock()
	now := e.clock.now().Unix()
	var out []QRCodeTicket
	for _, v := range slices.Backward(s.order) {
		if t := s.tickets[v]; t != nil && now < t.Expires {
			out = append(out, *t)
		}
	}
	return out
}

// Follows reports whether the user follows the official account.
func (e *Emulator) Follows(appid, userID string) bool {
	s := &e.oa
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.follows[bindingKey{appid, userID}]
	return ok
}

// SetFollow makes the user follow (or unfollow) the official account
// without an event, as if it had happened long ago.
func (e *Emulator) SetFollow(appid, userID string, follow bool) error {
	a, err := e.appAndUser(appid, userID)
	if err != nil {
		return err
	}
	if a.typ != wechat.AppTypeOfficialAccount {
		return wrongAppType(appid, "official_account")
	}
	e.bind(a, userID)
	s := &e.oa
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if follow {
		s.follows[bindingKey{appid, userID}] = followState{since: e.clock.now()}
	} else {
		delete(s.follows, bindingKey{appid, userID})
	}
	return nil
}

// ScanQRCode is a person scanning a parametric code. A follower's scan
// pushes Event=SCAN; someone who does not follow the account sees its
// profile and must follow (follow true) to push Event=subscribe with
// EventKey=qrscene_<scene>; without follow nothing is pushed.
func (e *Emulator) ScanQRCode(ctx context.Context, ticket, userID string, follow bool) (PushResult, error) {
	t, ok := e.ticket(ticket)
	if !ok {
		return PushResult{}, &Error{Status: http.StatusNotFound, Code: "qrcode_not_found", Message: "no live parametric QR code has this ticket (it expired, or this emulator did not create it)"}
	}
	a, err := e.appAndUser(t.AppID, userID)
	if err != nil {
		return PushResult{}, err
	}
	b := e.bind(a, userID)
	k := bindingKey{a.appid, userID}
	s := &e.oa
	s.mu.Lock()
	s.init()
	_, following := s.follows[k]
	if !following && !follow {
		s.mu.Unlock()
		return PushResult{Status: "needs_follow"}, nil
	}
	event, key := "SCAN", t.SceneStr
	if t.SceneStr == "" {
		key = strconv.FormatInt(t.SceneID, 10)
	}
	if !following {
		event, key = "subscribe", "qrscene_"+key
		s.follows[k] = followState{since: e.clock.now(), sceneStr: t.SceneStr, sceneID: t.SceneID}
	}
	s.mu.Unlock()
	msg := pushXML{ToUserName: cdata{"gh_" + a.appid[2:]}, FromUserName: cdata{b.openid}, CreateTime: e.clock.now().Unix(),
		MsgType: cdata{"event"}, Event: cdata{event}, EventKey: cdata{key}, Ticket: cdata{t.Ticket}}
	res := e.push(ctx, a, msg)
	res.Event = event
	return res, nil
}

type cdata struct {
	V string `xml:",cdata"`
}

type pushXML struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Event        cdata    `xml:"Event"`
	EventKey     cdata    `xml:"EventKey"`
	Ticket       cdata    `xml:"Ticket"`
}

type encryptedXML struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName cdata    `xml:"ToUserName"`
	Encrypt    cdata    `xml:"Encrypt"`
}

// push delivers a message to the account's server: up to 1 + pushRetries
// attempts, each given PushTimeout, until one answers 200.
func (e *Emulator) push(ctx context.Context, a *app, msg pushXML) PushResult {
	srv := a.server
	if srv.ServerURL == "" {
		return PushResult{Status: "no_server"}
	}
	plain, err := xml.Marshal(msg)
	if err != nil {
		return PushResult{Status: "not_delivered"}
	}
	res := PushResult{Status: "not_delivered", Encrypted: srv.EncryptMode == EncryptSafe}
	for res.Attempts < 1+pushRetries {
		res.Attempts++
		// Every attempt is signed afresh, as WeChat's retries are.
		ts := strconv.FormatInt(e.clock.now().Unix(), 10)
		nonce := randomDigits(10)
		q := url.Values{"signature": {wechat.PushSignature(srv.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {msg.FromUserName.V}}
		body := plain
		if res.Encrypted {
			c, err := wechat.NewMessageCrypter(srv.EncodingAESKey, a.appid)
			if err != nil {
				return res
			}
			enc, err := c.Encrypt(plain)
			if err != nil {
				return res
			}
			body, _ = xml.Marshal(encryptedXML{ToUserName: msg.ToUserName, Encrypt: cdata{enc}})
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", wechat.PushSignature(srv.Token, ts, nonce, enc))
		}
		u := srv.ServerURL
		if bytes.ContainsRune([]byte(u), '?') {
			u += "&" + q.Encode()
		} else {
			u += "?" + q.Encode()
		}
		status, answer, ok := e.deliver(ctx, u, body)
		res.HTTPCode, res.Answer = status, answer
		if ok {
			res.Status = "pushed"
			return res
		}
		if ctx.Err() != nil {
			return res
		}
	}
	e.log.Warn("event push not delivered", "appid", a.appid, "attempts", res.Attempts)
	return res
}

func (e *Emulator) deliver(ctx context.Context, u string, body []byte) (int, string, bool) {
	ctx, cancel := context.WithTimeout(ctx, e.pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, "", false
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := e.pushClient.Do(req)
	if err != nil {
		return 0, "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.StatusCode, string(b), resp.StatusCode == http.StatusOK
}

// follower is what cgi-bin/user/info says of a binding of an official
// account: subscribe 1 with the time and scene for a follower (scene
// ADD_SCENE_QR_CODE when a parametric code made them follow); subscribe 0
// with the openid (and unionid) otherwise.
func (e *Emulator) follower(b *binding) oaUserInfo {
	out := oaUserInfo{OpenID: b.openid, UnionID: b.unionid, TagIDList: []int{}}
	s := &e.oa
	s.mu.Lock()
	f, ok := s.follows[bindingKey{b.app.appid, b.userID}]
	s.mu.Unlock()
	if !ok {
		return out
	}
	out.Subscribe, out.Language, out.SubscribeTime, out.SubscribeScene = 1, "zh_CN", f.since.Unix(), "ADD_SCENE_OTHERS"
	if f.sceneStr != "" || f.sceneID != 0 {
		out.SubscribeScene, out.QRScene, out.QRSceneStr = "ADD_SCENE_QR_CODE", int(f.sceneID), f.sceneStr
	}
	return out
}

// oaRoutes adds the parametric codes' control calls.
func (e *Emulator) oaRoutes(h func(pattern string, status int, f func(*http.Request) (any, error))) {
	h("GET /_emulator/qrcodes", http.StatusOK, func(r *http.Request) (any, error) { return e.QRCodes(), nil })
	h("POST /_emulator/qrcodes/{ticket}/scan", http.StatusOK, func(r *http.Request) (any, error) {
		var req struct {
			UserID string `json:"user_id"`
			Follow bool   `json:"follow"`
		}
		if err := decodeBody(r, &req, false); err != nil {
			return nil, err
		}
		if req.UserID == "" {
			return nil, invalid("user_id: required")
		}
		return e.ScanQRCode(r.Context(), r.PathValue("ticket"), req.UserID, req.Follow)
	})
	h("POST /_emulator/follows", http.StatusOK, func(r *http.Request) (any, error) {
		var req struct {
			AppID  string `json:"appid"`
			UserID string `json:"user_id"`
			Follow bool   `json:"follow"`
		}
		if err := decodeBody(r, &req, false); err != nil {
			return nil, err
		}
		if req.AppID == "" || req.UserID == "" {
			return nil, invalid("appid and user_id: required")
		}
		return map[string]bool{"follow": req.Follow}, e.SetFollow(req.AppID, req.UserID, req.Follow)
	})
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	b := []byte(randomHex(n))
	for i, c := range b {
		b[i] = '0' + c%10
	}
	return string(b)
}

var ticketPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
