package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

func TestUnknownPathAnswersJSON(t *testing.T) {
	v := newEnv(t)
	for _, p := range []string{"/cgi-bin/nope", "/sns/whatever", "/wxa/x/y"} {
		resp, err := v.srv.Client().Get(v.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		m := decodeAnswer(t, resp)
		wantCode(t, m, "40066")
	}
}

func TestOfficialAccountUserInfo(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "acme")
	mp := v.app(wechat.AppTypeMiniProgram, "acme")
	u := v.user()
	id, err := v.e.Identity(u, oa.AppID)
	if err != nil {
		t.Fatal(err)
	}
	tok := v.appToken(oa).Reveal()
	m := v.get("/cgi-bin/user/info", url.Values{"access_token": {tok}, "openid": {id.OpenID}, "lang": {"zh_CN"}})
	wantNumber(t, m, "subscribe", 0)
	if str(m, "openid") != id.OpenID || str(m, "unionid") != id.UnionID || m["nickname"] != nil || m["headimgurl"] != nil {
		t.Fatalf("user/info = %v", m)
	}
	wantCode(t, v.get("/cgi-bin/user/info", url.Values{"access_token": {tok}, "openid": {"o-unknown"}}), "40003")
	wantCode(t, v.get("/cgi-bin/user/info", url.Values{"access_token": {tok}}), "41009")
	wantCode(t, v.get("/cgi-bin/user/info", url.Values{"access_token": {tok}, "openid": {id.OpenID}, "lang": {"xx"}}), "40005")
	wantCode(t, v.get("/cgi-bin/user/info", url.Values{"access_token": {v.appToken(mp).Reveal()}, "openid": {id.OpenID}}), "48001")
	wantCode(t, v.get("/cgi-bin/user/info", url.Values{"openid": {id.OpenID}}), "41001")
}

func TestMiniProgramServerAPIs(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "acme")
	lone := v.app(wechat.AppTypeMiniProgram, "")
	u := v.user()
	ctx := context.Background()
	if _, err := v.e.MiniProgramLogin(mp.AppID, u); err != nil {
		t.Fatal(err)
	}
	id, _ := v.e.Identity(u, mp.AppID)
	tok := v.appToken(mp).Reveal()

	// checkencryptedmsg: data the emulator issued to this app, within 3 days.
	p, err := v.ctl.MiniProgramUserInfo(ctx, mp.AppID, u)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(p.EncryptedData))
	hash := hex.EncodeToString(sum[:])
	q := url.Values{"access_token": {tok}}
	m := v.post("/wxa/business/checkencryptedmsg", q, "application/json", `{"encrypted_msg_hash":"`+hash+`"}`)
	if m["vaild"] != true {
		t.Fatalf("issued data: %v", m)
	}
	wantNumber(t, m, "create_time", t0.Unix())
	other := sha256.Sum256([]byte("forged"))
	if m := v.post("/wxa/business/checkencryptedmsg", q, "application/json", `{"encrypted_msg_hash":"`+hex.EncodeToString(other[:])+`"}`); m["vaild"] != false {
		t.Fatalf("forged data: %v", m)
	}
	if m := v.post("/wxa/business/checkencryptedmsg", url.Values{"access_token": {v.appToken(lone).Reveal()}}, "application/json", `{"encrypted_msg_hash":"`+hash+`"}`); m["vaild"] != false {
		t.Fatalf("another app's data: %v", m)
	}
	wantCode(t, v.post("/wxa/business/checkencryptedmsg", q, "application/json", `{"encrypted_msg_hash":"zz"}`), "47001")
	wantCode(t, v.post("/wxa/business/checkencryptedmsg", q, "application/json", `not json`), "47001")
	wantCode(t, v.get("/wxa/business/checkencryptedmsg", q), "43002")
	v.e.Advance(73 * time.Hour)
	tok = v.appToken(mp).Reveal()
	q = url.Values{"access_token": {tok}}
	if m := v.post("/wxa/business/checkencryptedmsg", q, "application/json", `{"encrypted_msg_hash":"`+hash+`"}`); m["vaild"] != false {
		t.Fatalf("data older than 3 days: %v", m)
	}

	// getpaidunionid
	m = v.get("/wxa/getpaidunionid", url.Values{"access_token": {tok}, "openid": {id.OpenID}, "transaction_id": {"4200000001"}})
	wantOK(t, m)
	if str(m, "unionid") != id.UnionID || id.UnionID == "" {
		t.Fatalf("getpaidunionid = %v", m)
	}
	wantCode(t, v.get("/wxa/getpaidunionid", url.Values{"access_token": {tok}, "openid": {id.OpenID}}), "89300")
	if _, err := v.e.MiniProgramLogin(lone.AppID, u); err != nil {
		t.Fatal(err)
	}
	lid, _ := v.e.Identity(u, lone.AppID)
	wantCode(t, v.get("/wxa/getpaidunionid", url.Values{"access_token": {v.appToken(lone).Reveal()}, "openid": {lid.OpenID}, "transaction_id": {"1"}}), "89002")

	// resetusersessionkey: signed with the current key; the old one then fails checksession.
	id, _ = v.e.Identity(u, mp.AppID)
	sig := wechat.SessionSignature(wechat.NewSessionKey(id.SessionKey), nil)
	rq := url.Values{"access_token": {tok}, "openid": {id.OpenID}, "signature": {sig}, "sig_method": {"hmac_sha256"}}
	m = v.get("/wxa/resetusersessionkey", rq)
	wantOK(t, m)
	now, _ := v.e.Identity(u, mp.AppID)
	if str(m, "openid") != id.OpenID || str(m, "session_key") == id.SessionKey || str(m, "session_key") != now.SessionKey {
		t.Fatalf("reset = %v", m)
	}
	wantCode(t, v.get("/wxa/checksession", rq), "87009")
	wantCode(t, v.get("/wxa/resetusersessionkey", rq), "87009") // the old key's signature
	rq.Set("sig_method", "md5")
	wantCode(t, v.get("/wxa/resetusersessionkey", rq), "87009")
	_ = http.MethodGet
}
