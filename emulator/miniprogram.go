package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// maxWeChatBody bounds the JSON bodies WeChat's APIs read.
const maxWeChatBody = 64 << 10

// LoginCode is what wx.login gives a mini-program.
type LoginCode struct {
	Code string `json:"code"`
}

// UserInfoPayload is what wx.getUserInfo gives a mini-program: the user's
// profile encrypted under the current session_key, and rawData signed with
// it.
type UserInfoPayload struct {
	EncryptedData string `json:"encryptedData"`
	IV            string `json:"iv"`
	RawData       string `json:"rawData"`
	Signature     string `json:"signature"`
}

// PhonePayload is what the getPhoneNumber button gives a mini-program: a
// code for getuserphonenumber, and the legacy encrypted form.
type PhonePayload struct {
	Code          string `json:"code"`
	EncryptedData string `json:"encryptedData"`
	IV            string `json:"iv"`
}

// miniProgram resolves a mini-program app and user for the control API.
func (e *Emulator) miniProgram(appid, userID string) (*binding, error) {
	a, err := e.appAndUser(appid, userID)
	if err != nil {
		return nil, err
	}
	if a.typ != wechat.AppTypeMiniProgram {
		return nil, wrongAppType(appid, "miniprogram")
	}
	return e.bind(a, userID), nil
}

// MiniProgramLogin is wx.login: it gives the user a new session_key (the
// old one then fails checksession with 87009) and returns a js_code for
// jscode2session, single-use and valid for five minutes.
func (e *Emulator) MiniProgramLogin(appid, userID string) (string, error) {
	b, err := e.miniProgram(appid, userID)
	if err != nil {
		return "", err
	}
	key := newSessionKey()
	sig := wechat.SessionSignature(wechat.NewSessionKey(key), nil)
	b.mu.Lock()
	b.sessionKey, b.sessionSig = key, sig
	b.mu.Unlock()
	now := e.clock.now()
	return e.codes.issue(now, &code{kind: codeJS, b: b, expires: now.Add(codeTTL * time.Second)}), nil
}

// session returns the binding's current session_key, or a no_session error.
func (b *binding) session() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sessionKey == "" {
		return "", &Error{Status: http.StatusConflict, Code: "no_session", Message: "the user has no session with this mini-program: call miniprogram/login first"}
	}
	return b.sessionKey, nil
}

type watermark struct {
	Timestamp int64  `json:"timestamp"`
	AppID     string `json:"appid"`
}

// userProfile is the rawData of wx.getUserInfo, in WeChat's field order.
type userProfile struct {
	NickName  string `json:"nickName"`
	Gender    int    `json:"gender"`
	Language  string `json:"language"`
	City      string `json:"city"`
	Province  string `json:"province"`
	Country   string `json:"country"`
	AvatarURL string `json:"avatarUrl"`
}

// MiniProgramUserInfo is wx.getUserInfo: the user's profile encrypted under
// their current session_key with a watermark of the appid and the virtual
// time. In-process an emulator-served avatarUrl is a path (/mmopen/...);
// the control API returns it on its own base URL.
func (e *Emulator) MiniProgramUserInfo(appid, userID string) (UserInfoPayload, error) {
	return e.miniProgramUserInfo(appid, userID, "")
}

func (e *Emulator) miniProgramUserInfo(appid, userID, base string) (UserInfoPayload, error) {
	b, err := e.miniProgram(appid, userID)
	if err != nil {
		return UserInfoPayload{}, err
	}
	key, err := b.session()
	if err != nil {
		return UserInfoPayload{}, err
	}
	u, err := e.getUser(userID, base)
	if err != nil {
		return UserInfoPayload{}, err
	}
	p := userProfile{u.Nickname, u.Sex, "zh_CN", u.City, u.Province, u.Country, u.HeadImgURL}
	raw, err := json.Marshal(p)
	if err != nil {
		return UserInfoPayload{}, err
	}
	plain, err := json.Marshal(struct {
		OpenID string `json:"openId"`
		userProfile
		UnionID   string    `json:"unionId,omitempty"`
		Watermark watermark `json:"watermark"`
	}{b.openid, p, b.unionid, watermark{e.clock.now().Unix(), appid}})
	if err != nil {
		return UserInfoPayload{}, err
	}
	sk := wechat.NewSessionKey(key)
	enc, iv, err := wechat.EncryptData(sk, nil, plain)
	if err != nil {
		return UserInfoPayload{}, err
	}
	e.encrypted.note(appid, enc, e.clock.now())
	return UserInfoPayload{EncryptedData: enc, IV: iv, RawData: string(raw), Signature: wechat.SignRawData(string(raw), sk)}, nil
}

// phoneInfo is a user's phone number as WeChat reports it.
type phoneInfo struct {
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     string    `json:"countryCode"`
	Watermark       watermark `json:"watermark"`
}

func (e *Emulator) phoneInfo(b *binding) (phoneInfo, error) {
	u, err := e.getUser(b.userID, "")
	if err != nil {
		return phoneInfo{}, err
	}
	full := u.Phone
	if u.CountryCode != "86" {
		full = "+" + u.CountryCode + u.Phone
	}
	return phoneInfo{PhoneNumber: full, PurePhoneNumber: u.Phone, CountryCode: u.CountryCode, Watermark: watermark{e.clock.now().Unix(), b.app.appid}}, nil
}

// MiniProgramPhoneNumber is the getPhoneNumber button: a phone code for
// getuserphonenumber (single-use, five minutes, bound to the app and user)
// and the legacy payload encrypted under the current session_key.
func (e *Emulator) MiniProgramPhoneNumber(appid, userID string) (PhonePayload, error) {
	b, err := e.miniProgram(appid, userID)
	if err != nil {
		return PhonePayload{}, err
	}
	key, err := b.session()
	if err != nil {
		return PhonePayload{}, err
	}
	info, err := e.phoneInfo(b)
	if err != nil {
		return PhonePayload{}, err
	}
	plain, _ := json.Marshal(info)
	enc, iv, err := wechat.EncryptData(wechat.NewSessionKey(key), nil, plain)
	if err != nil {
		return PhonePayload{}, err
	}
	now := e.clock.now()
	e.encrypted.note(b.app.appid, enc, now)
	c := e.codes.issue(now, &code{kind: codePhone, b: b, expires: now.Add(codeTTL * time.Second)})
	return PhonePayload{Code: c, EncryptedData: enc, IV: iv}, nil
}

// sessionBody is jscode2session's success answer: no errcode.
type sessionBody struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid,omitempty"`
}

// handleJSCode2Session is sns/jscode2session: a js_code for the user's
// openid, unionid and current session_key.
func (e *Emulator) handleJSCode2Session(w http.ResponseWriter, r *http.Request) int {
	appid, secret, c, errcode := codeExchangeParams(r.URL.Query(), "js_code")
	if errcode != 0 {
		return errcode
	}
	a := e.app(appid)
	if a == nil || a.typ != wechat.AppTypeMiniProgram {
		return 40013
	}
	if !a.checkSecret(secret) {
		return 40125
	}
	now := e.clock.now()
	var body sessionBody
	_, errcode = e.codes.claim(now, c, codeJS, appid, e.rules.expiredCode, 40163, func(cd *code) int {
		if !e.allowJSCode(cd.b, now) {
			return 45011
		}
		cd.b.mu.Lock()
		body = sessionBody{OpenID: cd.b.openid, SessionKey: cd.b.sessionKey, UnionID: cd.b.unionid}
		cd.b.mu.Unlock()
		return 0
	}, nil)
	if errcode != 0 {
		return errcode
	}
	writeJSON(w, body)
	return 0
}

// allowJSCode counts a jscode2session call against the 45011 limit and
// reports whether it is within it.
func (e *Emulator) allowJSCode(b *binding, now time.Time) bool {
	var mu interface {
		Lock()
		Unlock()
	}
	var minute *int64
	var count *int
	switch e.rules.rateScope {
	case RateScopeOff:
		return true
	case RateScopeApp:
		mu, minute, count = &b.app.mu, &b.app.rateMinute, &b.app.rateCount
	default:
		mu, minute, count = &b.mu, &b.rateMinute, &b.rateCount
	}
	m := minuteOf(now)
	mu.Lock()
	defer mu.Unlock()
	if *minute != m {
		*minute, *count = m, 0
	}
	if *count >= e.rules.rateLimit {
		return false
	}
	*count++
	return true
}

// miniProgramToken validates an app token for the mini-program APIs:
// §14's errcodes, and 48001 for another app type's token.
func (e *Emulator) miniProgramToken(v string) (*app, int) {
	a, errcode := e.appTokenApp(v)
	if errcode != 0 {
		return nil, errcode
	}
	if a.typ != wechat.AppTypeMiniProgram {
		return nil, 48001
	}
	return a, 0
}

// handleCheckSession is wxa/checksession: is signature the HMAC of the
// user's current session_key (87009 otherwise)? Parameters come from the
// query; with CheckSessionPostBody a POST body fills in missing ones.
func (e *Emulator) handleCheckSession(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	if e.rules.checkSessionBody && r.Method == http.MethodPost {
		q = withBody(w, r, q)
	}
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
	b.mu.Lock()
	want := b.sessionSig
	b.mu.Unlock()
	if want == "" || !constantEqual(want, q.Get("signature")) {
		return 87009
	}
	writeOK(w)
	return 0
}

// withBody adds the parameters of a form or JSON body that q lacks.
func withBody(w http.ResponseWriter, r *http.Request, q url.Values) url.Values {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	if err != nil {
		return q
	}
	extra := url.Values{}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]any
		if json.Unmarshal(t, &m) == nil {
			for k, v := range m {
				if s, ok := v.(string); ok {
					extra.Set(k, s)
				}
			}
		}
	} else if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		extra, _ = url.ParseQuery(string(b))
	}
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	for k := range extra {
		if out.Get(k) == "" {
			out.Set(k, extra.Get(k))
		}
	}
	return out
}

// phoneResponse is getuserphonenumber's success answer.
type phoneResponse struct {
	ErrCode   int       `json:"errcode"`
	ErrMsg    string    `json:"errmsg"`
	PhoneInfo phoneInfo `json:"phone_info"`
}

// handlePhoneNumber is wxa/business/getuserphonenumber: a phone code (JSON
// body {"code","openid"?}) for the user's phone number.
func (e *Emulator) handlePhoneNumber(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.miniProgramToken(q.Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	if err != nil {
		return 47001
	}
	if len(bytes.TrimSpace(raw)) == 0 && q.Get("code") != "" {
		return 40029 // the code belongs in the JSON body
	}
	var req struct {
		Code   *string `json:"code"`
		OpenID string  `json:"openid"`
	}
	if json.Unmarshal(raw, &req) != nil {
		return 47001
	}
	if req.Code == nil || *req.Code == "" {
		return 41008
	}
	now := e.clock.now()
	cd, errcode := e.codes.claim(now, *req.Code, codePhone, a.appid, 40029, 40029, func(cd *code) int {
		if req.OpenID != "" && !constantEqual(req.OpenID, cd.b.openid) {
			return 40029 // the code belongs to another user
		}
		return 0
	}, nil)
	if errcode != 0 {
		return errcode
	}
	info, err := e.phoneInfo(cd.b)
	if err != nil {
		return -1
	}
	writeJSON(w, phoneResponse{0, "ok", info})
	return 0
}
