package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func TestJSCode2Session(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "acme")
	uid := v.user()
	c, err := v.e.MiniProgramLogin(mp.AppID, uid)
	if err != nil {
		t.Fatal(err)
	}
	m := v.get("/sns/jscode2session", url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}, "js_code": {c}, "grant_type": {"authorization_code"}})
	wantNoErrcode(t, m)
	id, _ := v.e.Identity(uid, mp.AppID)
	if str(m, "openid") != id.OpenID || str(m, "unionid") != id.UnionID || str(m, "session_key") != id.SessionKey {
		t.Fatalf("answer %v identity %+v", m, id)
	}
	if k, err := base64.StdEncoding.DecodeString(str(m, "session_key")); err != nil || len(k) != 16 {
		t.Fatalf("session_key %q is not base64 of 16 bytes", str(m, "session_key"))
	}
	wantCode(t, v.get("/sns/jscode2session", url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}, "js_code": {c}, "grant_type": {"authorization_code"}}), "40163")

	web := v.app(wechat.AppTypeWebsite, "")
	other := v.app(wechat.AppTypeMiniProgram, "")
	foreign, _ := v.e.MiniProgramLogin(other.AppID, uid)
	fresh, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	oauth := v.oauthCode(web, uid)
	base := url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}, "js_code": {fresh}, "grant_type": {"authorization_code"}}
	with := func(k, val string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if val == "" {
			q.Del(k)
		} else {
			q.Set(k, val)
		}
		return q
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		code string
	}{
		{"missing appid", with("appid", ""), "41002"},
		{"missing secret", with("secret", ""), "41004"},
		{"missing js_code", with("js_code", ""), "41008"},
		{"wrong grant_type", with("grant_type", "refresh_token"), "40002"},
		{"unknown appid", with("appid", "wxnope"), "40013"},
		{"website appid", url.Values{"appid": {web.AppID}, "secret": {web.Secret}, "js_code": {fresh}, "grant_type": {"authorization_code"}}, "40013"},
		{"wrong secret", with("secret", "wrongwrongwrong"), "40125"},
		{"another app's code", with("js_code", foreign), "40029"},
		{"an oauth code", with("js_code", oauth), "40029"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.get("/sns/jscode2session", tc.q), tc.code) })
	}
	v.e.Advance(5 * time.Minute)
	_, err = v.client(mp).Code2Session(context.Background(), fresh)
	wantWeChat(t, err, 40029)
}

func TestSessionKeyRotationAndCheckSession(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid := v.user()
	wc := v.client(mp)
	ctx := context.Background()
	tok := v.appToken(mp)
	c1, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	s1, err := wc.Code2Session(ctx, c1)
	if err != nil {
		t.Fatal(err)
	}
	if err := wc.CheckSession(ctx, tok, s1.OpenID, s1.SessionKey); err != nil {
		t.Fatalf("current key: %v", err)
	}
	m := v.get("/wxa/checksession", url.Values{"access_token": {tok.Reveal()}, "openid": {s1.OpenID}, "signature": {wechat.SessionSignature(s1.SessionKey, nil)}, "sig_method": {"hmac_sha256"}})
	wantOK(t, m)
	// A new wx.login gives a new key; the old one is stale.
	c2, err := v.ctl.MiniProgramLogin(ctx, mp.AppID, uid)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := wc.Code2Session(ctx, c2)
	if err != nil {
		t.Fatal(err)
	}
	if s2.SessionKey.Equal(s1.SessionKey) || s2.OpenID != s1.OpenID {
		t.Fatal("wx.login must rotate the session_key and keep the openid")
	}
	wantWeChat(t, wc.CheckSession(ctx, tok, s1.OpenID, s1.SessionKey), 87009)
	if err := wc.CheckSession(ctx, tok, s2.OpenID, s2.SessionKey); err != nil {
		t.Fatal(err)
	}

	sig := wechat.SessionSignature(s2.SessionKey, nil)
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	oaTok := v.appToken(oa).Reveal()
	otherMP := v.app(wechat.AppTypeMiniProgram, "")
	otherID, _ := v.e.Identity(uid, otherMP.AppID)
	for _, tc := range []struct {
		name string
		q    url.Values
		code string
	}{
		{"missing token", url.Values{"openid": {s2.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}, "41001"},
		{"unknown token", url.Values{"access_token": {"nope"}, "openid": {s2.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}, "40014"},
		{"official account token", url.Values{"access_token": {oaTok}, "openid": {s2.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}, "48001"},
		{"missing openid", url.Values{"access_token": {tok.Reveal()}, "signature": {sig}, "sig_method": {"hmac_sha256"}}, "41009"},
		{"openid of another app", url.Values{"access_token": {tok.Reveal()}, "openid": {otherID.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}, "40003"},
		{"wrong sig_method", url.Values{"access_token": {tok.Reveal()}, "openid": {s2.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha1"}}, "87009"},
		{"bad signature", url.Values{"access_token": {tok.Reveal()}, "openid": {s2.OpenID}, "signature": {strings.Repeat("0", 64)}, "sig_method": {"hmac_sha256"}}, "87009"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.get("/wxa/checksession", tc.q), tc.code) })
	}
	// The POST-body fallback is off by default: parameters in a body are not read.
	form := url.Values{"openid": {s2.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}
	wantCode(t, v.post("/wxa/checksession", url.Values{"access_token": {tok.Reveal()}}, "application/x-www-form-urlencoded", form.Encode()), "41009")
}

func TestCheckSessionPostBodyOption(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{CheckSessionPostBody: emulator.SwitchOn}))
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid := v.user()
	c, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	s, err := v.client(mp).Code2Session(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	tok := v.appToken(mp).Reveal()
	sig := wechat.SessionSignature(s.SessionKey, nil)
	form := url.Values{"openid": {s.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}
	wantOK(t, v.post("/wxa/checksession", url.Values{"access_token": {tok}}, "application/x-www-form-urlencoded", form.Encode()))
	body, _ := json.Marshal(map[string]string{"openid": s.OpenID, "signature": sig, "sig_method": "hmac_sha256"})
	wantOK(t, v.post("/wxa/checksession", url.Values{"access_token": {tok}}, "application/json", string(body)))
}

func TestJSCodeMinuteQuota(t *testing.T) {
	for _, tc := range []struct {
		scope        string
		limitOnUser2 bool // whether user 2 is limited once user 1 used the quota
		off          bool
	}{{"user", false, false}, {"app", true, false}, {"off", false, true}} {
		t.Run(tc.scope, func(t *testing.T) {
			v := newEnv(t, withBehaviour(emulator.Behaviour{JSCodeRateScope: tc.scope, JSCodeRateLimit: 3}))
			mp := v.app(wechat.AppTypeMiniProgram, "")
			u1, u2 := v.user(), v.user()
			wc := v.client(mp)
			ctx := context.Background()
			exchange := func(uid string) error {
				c, err := v.e.MiniProgramLogin(mp.AppID, uid)
				if err != nil {
					t.Fatal(err)
				}
				_, err = wc.Code2Session(ctx, c)
				return err
			}
			for i := 0; i < 3; i++ {
				if err := exchange(u1); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := v.e.MiniProgramLogin(mp.AppID, u1)
			_, err := wc.Code2Session(ctx, c)
			if tc.off {
				if err != nil {
					t.Fatalf("off: %v", err)
				}
				return
			}
			wantWeChat(t, err, 45011)
			if err := exchange(u2); (err != nil) != tc.limitOnUser2 {
				t.Fatalf("user 2: %v", err)
			}
			// A limited call does not burn the code: it works next minute.
			v.e.Advance(time.Minute)
			if _, err := wc.Code2Session(ctx, c); err != nil {
				t.Fatalf("next minute: %v", err)
			}
		})
	}
}

func TestDefaultJSCodeQuotaIs100PerMinute(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid := v.user()
	q := url.Values{"appid": {mp.AppID}, "secret": {mp.Secret}, "grant_type": {"authorization_code"}}
	for i := 0; i <= 100; i++ {
		c, _ := v.e.MiniProgramLogin(mp.AppID, uid)
		q.Set("js_code", c)
		m := v.get("/sns/jscode2session", q)
		if i < 100 {
			wantNoErrcode(t, m)
		} else {
			wantCode(t, m, "45011")
		}
	}
}

func TestEncryptedUserInfo(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "acme")
	uid := v.user()
	ctx := context.Background()
	if _, err := v.ctl.MiniProgramUserInfo(ctx, mp.AppID, uid); !errors.Is(err, emulator.ErrNoSession) {
		t.Fatalf("before login: %v", err)
	}
	c, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	s, err := v.client(mp).Code2Session(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.e.Advance(90 * time.Second)
	p, err := v.ctl.MiniProgramUserInfo(ctx, mp.AppID, uid)
	if err != nil {
		t.Fatal(err)
	}
	d, err := wechat.DecryptData(s.SessionKey, mp.AppID, p.EncryptedData, p.IV)
	if err != nil {
		t.Fatal(err)
	}
	if d.Watermark.AppID != mp.AppID || d.Watermark.Timestamp != v.e.Now().Unix() {
		t.Fatalf("watermark %+v, want %s at %d", d.Watermark, mp.AppID, v.e.Now().Unix())
	}
	if err := d.CheckAge(v.e.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	_ = json.Unmarshal(d.JSON, &info)
	if info["openId"] != s.OpenID || info["unionId"] != s.UnionID || info["nickName"] != "Alice" || info["gender"] != float64(2) || info["language"] != "zh_CN" {
		t.Fatalf("payload %v", info)
	}
	if !wechat.VerifyRawData(p.RawData, p.Signature, s.SessionKey) {
		t.Fatal("rawData signature does not verify")
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(p.RawData), &raw); err != nil || raw["nickName"] != "Alice" || raw["openId"] != nil || raw["watermark"] != nil {
		t.Fatalf("rawData %s", p.RawData)
	}
	if _, err := wechat.DecryptData(s.SessionKey, "wxother", p.EncryptedData, p.IV); !errors.Is(err, wechat.ErrDecrypt) {
		t.Fatal("watermark must name the app")
	}
	// After a new wx.login the payload is under the new key only.
	c2, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	s2, _ := v.client(mp).Code2Session(ctx, c2)
	p2, err := v.e.MiniProgramUserInfo(mp.AppID, uid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wechat.DecryptData(s.SessionKey, mp.AppID, p2.EncryptedData, p2.IV); !errors.Is(err, wechat.ErrDecrypt) {
		t.Fatal("old key must fail")
	}
	if _, err := wechat.DecryptData(s2.SessionKey, mp.AppID, p2.EncryptedData, p2.IV); err != nil {
		t.Fatal(err)
	}
}

func TestPhoneNumber(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid, err := v.e.CreateUser(emulator.UserSpec{Phone: "13912345678"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wc := v.client(mp)
	c, _ := v.e.MiniProgramLogin(mp.AppID, uid)
	s, _ := wc.Code2Session(ctx, c)
	tok := v.appToken(mp)
	p, err := v.ctl.MiniProgramPhoneNumber(ctx, mp.AppID, uid)
	if err != nil {
		t.Fatal(err)
	}
	// Legacy encrypted form.
	d, err := wechat.DecryptData(s.SessionKey, mp.AppID, p.EncryptedData, p.IV)
	if err != nil {
		t.Fatal(err)
	}
	var legacy map[string]any
	_ = json.Unmarshal(d.JSON, &legacy)
	if legacy["phoneNumber"] != "13912345678" || legacy["purePhoneNumber"] != "13912345678" || legacy["countryCode"] != "86" {
		t.Fatalf("legacy payload %v", legacy)
	}
	// Code form, raw JSON.
	m := v.post("/wxa/business/getuserphonenumber", url.Values{"access_token": {tok.Reveal()}}, "application/json", `{"code":"`+p.Code+`","openid":"`+s.OpenID+`"}`)
	wantOK(t, m)
	pi, _ := m["phone_info"].(map[string]any)
	if pi["countryCode"] != "86" || pi["phoneNumber"] != "13912345678" || pi["purePhoneNumber"] != "13912345678" {
		t.Fatalf("phone_info %v", pi)
	}
	wm, _ := pi["watermark"].(map[string]any)
	if wm["appid"] != mp.AppID || wm["timestamp"] != json.Number(strconv.FormatInt(v.e.Now().Unix(), 10)) {
		t.Fatalf("watermark %v", wm)
	}
	// Single use.
	_, err = wc.GetUserPhoneNumber(ctx, tok, p.Code, "")
	wantWeChat(t, err, 40029)

	fresh, _ := v.e.MiniProgramPhoneNumber(mp.AppID, uid)
	other := v.app(wechat.AppTypeMiniProgram, "")
	otherTok := v.appToken(other).Reveal()
	bob := v.user()
	bobID, _ := v.e.Identity(bob, mp.AppID)
	at := url.Values{"access_token": {tok.Reveal()}}
	for _, tc := range []struct {
		name, ct, body string
		q              url.Values
		code           string
	}{
		{"form body", "application/x-www-form-urlencoded", "code=" + fresh.Code, at, "47001"},
		{"code in query only", "application/json", "", url.Values{"access_token": {tok.Reveal()}, "code": {fresh.Code}}, "40029"},
		{"empty body", "application/json", "", at, "47001"},
		{"no code", "application/json", `{}`, at, "41008"},
		{"missing token", "application/json", `{"code":"` + fresh.Code + `"}`, nil, "41001"},
		{"another app's token", "application/json", `{"code":"` + fresh.Code + `"}`, url.Values{"access_token": {otherTok}}, "40029"},
		{"another user's openid", "application/json", `{"code":"` + fresh.Code + `","openid":"` + bobID.OpenID + `"}`, at, "40029"},
		{"unknown code", "application/json", `{"code":"nope"}`, at, "40029"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.post("/wxa/business/getuserphonenumber", tc.q, tc.ct, tc.body), tc.code)
		})
	}
	// None of the refusals burnt the code; it expires after five minutes.
	v.e.Advance(5*time.Minute - time.Second)
	info, err := wc.GetUserPhoneNumber(ctx, tok, fresh.Code, s.OpenID)
	if err != nil || info.CountryCode != "86" || info.PhoneNumber != "13912345678" {
		t.Fatalf("%+v %v", info, err)
	}
	late, _ := v.e.MiniProgramPhoneNumber(mp.AppID, uid)
	v.e.Advance(5 * time.Minute)
	tok = v.appToken(mp)
	_, err = wc.GetUserPhoneNumber(ctx, tok, late.Code, "")
	wantWeChat(t, err, 40029)
}

func TestForeignPhoneNumber(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid, _ := v.e.CreateUser(emulator.UserSpec{Phone: "4155550100", CountryCode: "1"})
	if _, err := v.e.MiniProgramLogin(mp.AppID, uid); err != nil {
		t.Fatal(err)
	}
	p, _ := v.e.MiniProgramPhoneNumber(mp.AppID, uid)
	info, err := v.client(mp).GetUserPhoneNumber(context.Background(), v.appToken(mp), p.Code, "")
	if err != nil || info.PhoneNumber != "+14155550100" || info.PurePhoneNumber != "4155550100" || info.CountryCode != "1" {
		t.Fatalf("%+v %v", info, err)
	}
}
