package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// Server APIs that WeChat SDKs call besides the login flow. Each answers
// as WeChat's documentation describes, as far as the emulator models the
// platform (it has no payments and no follower list of its own).
const (
	pathUserInfoOA       = "/cgi-bin/user/info"
	pathCheckEncrypted   = "/wxa/business/checkencryptedmsg"
	pathPaidUnionID      = "/wxa/getpaidunionid"
	pathResetSessionKey  = "/wxa/resetusersessionkey"
	encryptedMsgLifetime = 3 * 24 * time.Hour
)

// encryptedLog remembers the encrypted data the emulator issued, by the
// hex SHA-256 of its base64 form, for checkencryptedmsg. The zero value is
// ready.
type encryptedLog struct {
	mu   sync.Mutex
	sent map[string]encryptedRecord
}

type encryptedRecord struct {
	appid string
	at    time.Time
}

func (l *encryptedLog) note(appid, encryptedData string, at time.Time) {
	sum := sha256.Sum256([]byte(encryptedData))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent == nil {
		l.sent = map[string]encryptedRecord{}
	}
	for k, r := range l.sent { // bounded: old entries go
		if at.Sub(r.at) > encryptedMsgLifetime {
			delete(l.sent, k)
		}
	}
	l.sent[hex.EncodeToString(sum[:])] = encryptedRecord{appid, at}
}

func (l *encryptedLog) lookup(hash string) (encryptedRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.sent[strings.ToLower(hash)]
	return r, ok
}

func (e *Emulator) sdkRoutes(api map[string]func(http.ResponseWriter, *http.Request) int) {
	api[pathUserInfoOA] = e.handleOAUserInfo
	api[pathCheckEncrypted] = e.handleCheckEncryptedMsg
	api[pathPaidUnionID] = e.handlePaidUnionID
	api[pathResetSessionKey] = e.handleResetSessionKey
}

// oaUserInfo is cgi-bin/user/info's answer. Since 2021-12-27 WeChat no
// longer returns nickname and headimgurl here.
type oaUserInfo struct {
	Subscribe      int    `json:"subscribe"`
	OpenID         string `json:"openid"`
	Language       string `json:"language,omitempty"`
	SubscribeTime  int64  `json:"subscribe_time,omitempty"`
	UnionID        string `json:"unionid,omitempty"`
	Remark         string `json:"remark"`
	GroupID        int    `json:"groupid"`
	TagIDList      []int  `json:"tagid_list"`
	SubscribeScene string `json:"subscribe_scene,omitempty"`
	QRScene        int    `json:"qr_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

// handleOAUserInfo is cgi-bin/user/info?access_token=&openid=&lang=: an
// official account's view of a user: subscribe 1 with the time and scene
// for a follower (follows come from scanning a parametric QR code, or
// SetFollow: oaqrcode.go), subscribe 0 with the openid (and unionid in an
// open account) for anyone else.
func (e *Emulator) handleOAUserInfo(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.appTokenApp(q.Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	if a.typ != wechat.AppTypeOfficialAccount {
		return 48001
	}
	openid := q.Get("openid")
	if openid == "" {
		return 41009
	}
	switch q.Get("lang") {
	case "", "zh_CN", "zh_TW", "en":
	default:
		return 40005 // WeChat: invalid lang
	}
	b := e.bindingByOpenID(openid)
	if b == nil || b.app != a {
		return 40003
	}
	writeJSON(w, e.follower(b)) // subscribe and scene from oaqrcode.go
	return 0
}

// handleCheckEncryptedMsg is wxa/business/checkencryptedmsg (POST, JSON
// body {"encrypted_msg_hash"}): was this encrypted data issued by WeChat to
// this mini-program within the last three days? WeChat's answer spells the
// field "vaild".
func (e *Emulator) handleCheckEncryptedMsg(w http.ResponseWriter, r *http.Request) int {
	a, errcode := e.miniProgramToken(r.URL.Query().Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	if r.Method != http.MethodPost {
		return 43002 // require POST method
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	if err != nil {
		return 47001
	}
	var req struct {
		Hash string `json:"encrypted_msg_hash"`
	}
	if json.Unmarshal(raw, &req) != nil || len(req.Hash) != 64 {
		return 47001
	}
	if _, err := hex.DecodeString(req.Hash); err != nil {
		return 47001
	}
	rec, ok := e.encrypted.lookup(req.Hash)
	valid := ok && rec.appid == a.appid && e.clock.now().Sub(rec.at) <= encryptedMsgLifetime
	ans := struct {
		ErrCode    int    `json:"errcode"`
		ErrMsg     string `json:"errmsg"`
		Vaild      bool   `json:"vaild"`
		CreateTime int64  `json:"create_time"`
	}{0, "ok", valid, 0}
	if valid {
		ans.CreateTime = rec.at.Unix()
	}
	writeJSON(w, ans)
	return 0
}

// handlePaidUnionID is wxa/getpaidunionid?access_token=&openid=&
// transaction_id= (or mch_id= and out_trade_no=): the unionid of a user
// who just paid. The emulator has no payments: any non-empty order
// reference counts as a payment; a mini-program outside an open account
// answers 89002.
func (e *Emulator) handlePaidUnionID(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.miniProgramToken(q.Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	openid := q.Get("openid")
	if openid == "" {
		return 41009
	}
	b := e.bindingByOpenID(openid)
	if b == nil || b.app != a {
		return 40003
	}
	if q.Get("transaction_id") == "" && (q.Get("mch_id") == "" || q.Get("out_trade_no") == "") {
		return 89300 // no valid order
	}
	if b.unionid == "" {
		return 89002 // the mini-program is not bound to an open platform account
	}
	writeJSON(w, struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		UnionID string `json:"unionid"`
	}{0, "ok", b.unionid})
	return 0
}

// handleResetSessionKey is wxa/resetusersessionkey?access_token=&openid=&
// signature=&sig_method=hmac_sha256: with a signature of the current
// session_key (as checksession takes), WeChat issues a new session_key and
// answers it with the openid. The old key then fails checksession.
func (e *Emulator) handleResetSessionKey(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.miniProgramToken(q.Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	openid := q.Get("openid")
	if openid == "" {
		return 41009
	}
	b := e.bindingByOpenID(openid)
	if b == nil || b.app != a {
		return 40003
	}
	if q.Get("sig_method") != "hmac_sha256" {
		return 87009
	}
	key := newSessionKey()
	sig := wechat.SessionSignature(wechat.NewSessionKey(key), nil)
	b.mu.Lock()
	if b.sessionSig == "" || !constantEqual(b.sessionSig, q.Get("signature")) {
		b.mu.Unlock()
		return 87009
	}
	b.sessionKey, b.sessionSig = key, sig
	b.mu.Unlock()
	writeJSON(w, struct {
		ErrCode    int    `json:"errcode"`
		ErrMsg     string `json:"errmsg"`
		OpenID     string `json:"openid"`
		SessionKey string `json:"session_key"`
	}{0, "ok", b.openid, key})
	return 0
}
