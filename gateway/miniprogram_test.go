package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

func TestMiniProgramLogin(t *testing.T) {
	h := newHarness(t)
	u := h.user("Band")
	a := h.mpLogin("mp", u)
	tok := a.str("token")
	if !session.WellFormed(tok) {
		t.Fatalf("token %q is not a wxgate session token", tok)
	}
	if exp, _ := a.body["expires_in"].(float64); exp < 3600 {
		t.Errorf("expires_in = %v", a.body["expires_in"])
	}
	user := a.obj("user")
	uid, _ := user["id"].(string)
	if !strings.HasPrefix(uid, "usr_") {
		t.Fatalf("user = %v", user)
	}
	if _, ok := user["openid"]; ok {
		t.Error("openid returned without expose_openid")
	}
	if strings.Contains(a.raw, "session_key") {
		t.Error("the answer mentions session_key")
	}

	me := h.do("GET", "/auth/me", nil, bearer(tok)...)
	h.wantStatus(me, 200, "")
	if me.obj("user")["id"] != uid {
		t.Errorf("me = %s", me.raw)
	}
	v := h.do("GET", "/auth/verify", nil, bearer(tok)...)
	if v.status != 204 || v.header.Get("X-Wxgate-User-Id") != uid || v.header.Get("X-Wxgate-App") != "mp" {
		t.Errorf("verify = %d %v", v.status, v.header)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Error("a login answer is cacheable")
	}

	// Logging in again (wx.login again) gives the same user a new token.
	b := h.mpLogin("mp", u)
	if b.str("token") == tok || b.obj("user")["id"] != uid {
		t.Errorf("second login: %s", b.raw)
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestMiniProgramLoginRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	used := h.wxLogin("mp", u)
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": used}), 200, "")

	long := strings.Repeat("a", 600)
	tests := []struct {
		name   string
		body   any
		header []string
		status int
		code   string
	}{
		{"used code", map[string]string{"app": "mp", "code": used}, nil, 400, "invalid_code"},
		{"unknown code", map[string]string{"app": "mp", "code": "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"}, nil, 400, "invalid_code"},
		{"code of another app", map[string]string{"app": "mp2", "code": h.wxLogin("mp", u)}, nil, 400, "invalid_code"},
		{"missing code", map[string]string{"app": "mp"}, nil, 400, "missing_code"},
		{"long code", map[string]string{"app": "mp", "code": long}, nil, 400, "invalid_code"},
		{"code with control chars", map[string]string{"app": "mp", "code": "abc\x00def"}, nil, 400, "invalid_code"},
		{"missing app", map[string]string{"code": "x"}, nil, 400, "missing_app"},
		{"unknown app", map[string]string{"app": "nope", "code": "x"}, nil, 400, "unknown_app"},
		{"wrong app type", map[string]string{"app": "ios", "code": "x"}, nil, 400, "wrong_app_type"},
		{"unknown field", `{"app":"mp","code":"x","session_key":"y"}`, nil, 400, "malformed_json"},
		{"not json", `app=mp&code=x`, nil, 400, "malformed_json"},
		{"two objects", `{"app":"mp","code":"x"}{}`, nil, 400, "malformed_json"},
		{"array", `[1]`, nil, 400, "malformed_json"},
		{"wrong type", `{"app":"mp","code":123}`, nil, 400, "malformed_json"},
		{"empty", ``, nil, 400, "malformed_json"},
		{"oversized", `{"app":"mp","code":"` + strings.Repeat("a", 5000) + `"}`, nil, 413, "body_too_large"},
		{"form content type", `{"app":"mp","code":"x"}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.wantStatus(h.do("POST", "/auth/miniprogram/login", tt.body, tt.header...), tt.status, tt.code)
		})
	}
	h.wantStatus(h.do("GET", "/auth/miniprogram/login", nil), 405, "method_not_allowed")
	// Nothing but the one good login created anything.
	users, err := h.store.ScanUsers(context.Background(), "", 100)
	if err != nil || len(users) != 1 {
		t.Fatalf("users after bad input: %d, %v", len(users), err)
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestMiniProgramConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	const n = 12
	codes := make([]string, n)
	for i := range codes {
		codes[i] = h.wxLogin("mp", u)
	}
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": codes[i]})
			if a.status == 200 {
				ids[i], _ = a.obj("user")["id"].(string)
			}
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if ids[i] == "" || ids[i] != ids[0] {
			t.Fatalf("logins resolved to %v", ids)
		}
	}
}

func TestUnionIDLinksAppsOfOneOpenAccount(t *testing.T) {
	h := newHarness(t)
	u := h.user("Lin")
	other := h.user("Other")
	mp := h.mpLogin("mp", u).obj("user")["id"]

	// The same person on the mobile app of the same open account.
	mc, err := h.ctl.MobileAuthorize(context.Background(), h.apps["ios"].AppID, u, "st")
	if err != nil {
		t.Fatal(err)
	}
	mob := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code})
	h.wantStatus(mob, 200, "")
	if mob.obj("user")["id"] != mp {
		t.Errorf("mobile login made user %v, mini-program %v", mob.obj("user")["id"], mp)
	}
	if mob.obj("user")["nickname"] != "Lin" {
		t.Errorf("profile not taken from sns/userinfo: %s", mob.raw)
	}
	// An app outside the open account: no unionid, so a separate user.
	mp2 := h.mpLogin("mp2", u).obj("user")["id"]
	if mp2 == mp {
		t.Error("an app without an open account was linked by unionid")
	}
	// Another person stays another user.
	if h.mpLogin("mp", other).obj("user")["id"] == mp {
		t.Error("two people resolved to one user")
	}
	me := h.do("GET", "/auth/me", nil, bearer(mob.str("token"))...)
	linked, _ := me.body["linked"].([]any)
	if len(linked) != 2 {
		t.Errorf("linked apps = %s", me.raw)
	}
	h.assertNoLeak(h.secretsSeen(u, other)...)
}

func TestExposeOpenIDIsOptIn(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	a := h.mpLogin("mpx", u)
	id := h.identity("mpx", u)
	if a.obj("user")["openid"] != id.OpenID || a.obj("user")["unionid"] != id.UnionID {
		t.Fatalf("expose_openid app answered %s", a.raw)
	}
}

func TestDecrypt(t *testing.T) {
	h := newHarness(t)
	u := h.user("Band")
	tok := h.mpLogin("mp", u).str("token")
	ctx := context.Background()
	p, err := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp"].AppID, u)
	if err != nil {
		t.Fatal(err)
	}
	a := h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...)
	h.wantStatus(a, 200, "")
	data := a.obj("data")
	if data["nickName"] != "Band" || data["city"] != "Shenzhen" {
		t.Errorf("data = %v", data)
	}
	for _, k := range []string{"watermark", "openId", "unionId"} {
		if _, ok := data[k]; ok {
			t.Errorf("answer keeps %s", k)
		}
	}
	me := h.do("GET", "/auth/me", nil, bearer(tok)...)
	if me.obj("user")["nickname"] != "Band" {
		t.Errorf("profile from decrypted data not kept: %s", me.raw)
	}

	// Every crypto failure answers alike.
	ct, _ := base64.StdEncoding.DecodeString(p.EncryptedData)
	ct[len(ct)-1] ^= 1
	bad := []map[string]string{
		{"encrypted_data": base64.StdEncoding.EncodeToString(ct), "iv": p.IV},
		{"encrypted_data": p.EncryptedData, "iv": base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"encrypted_data": "not base64!", "iv": p.IV},
		{"encrypted_data": p.EncryptedData[:len(p.EncryptedData)-8], "iv": p.IV},
		{"encrypted_data": p.EncryptedData, "iv": "short"},
	}
	var first string
	for i, b := range bad {
		a := h.do("POST", "/auth/miniprogram/decrypt", b, bearer(tok)...)
		h.wantStatus(a, 400, "decrypt_failed")
		if i == 0 {
			first = a.str("message")
		} else if a.str("message") != first {
			t.Errorf("crypto failures differ: %q vs %q", a.str("message"), first)
		}
	}
	// Data encrypted for another app (under this user's key there) fails alike.
	tok2 := h.mpLogin("mp2", u).str("token")
	p2, _ := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp2"].AppID, u)
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p2.EncryptedData, "iv": p2.IV}, bearer(tok)...), 400, "decrypt_failed")
	_ = tok2

	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData}, bearer(tok)...), 400, "missing_field")
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}), 401, "unauthenticated")
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", `{"encrypted_data":"`+strings.Repeat("A", 70000)+`","iv":"x"}`, bearer(tok)...), 413, "body_too_large")
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestDecryptStaleSessionKey(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	// The mini-program calls wx.login again but does not log in to the
	// gateway: WeChat now holds a newer session_key.
	h.wxLogin("mp", u)
	p, err := h.ctl.MiniProgramUserInfo(context.Background(), h.apps["mp"].AppID, u)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", body, bearer(tok)...), 409, "session_key_stale")
	checks := h.emu.Stats().Calls["/wxa/checksession"]
	// The stale key is forgotten: the next attempt answers without WeChat.
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", body, bearer(tok)...), 409, "session_key_stale")
	if n := h.emu.Stats().Calls["/wxa/checksession"]; n != checks {
		t.Errorf("checksession called again for a key known to be stale (%d → %d)", checks, n)
	}
	// Logging in again fixes it.
	tok = h.mpLogin("mp", u).str("token")
	p, _ = h.ctl.MiniProgramUserInfo(context.Background(), h.apps["mp"].AppID, u)
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...), 200, "")
}

func TestDecryptWatermarkAge(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	p, _ := h.ctl.MiniProgramUserInfo(context.Background(), h.apps["mp"].AppID, u)
	h.clock.advance(6 * time.Minute) // default watermark_max_age is 5m
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...), 400, "data_expired")
}

func TestDecryptLegacyPhonePayload(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	p, err := h.ctl.MiniProgramPhoneNumber(context.Background(), h.apps["mp"].AppID, u)
	if err != nil {
		t.Fatal(err)
	}
	a := h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...)
	h.wantStatus(a, 200, "")
	if a.obj("data")["countryCode"] != "86" || a.obj("data")["purePhoneNumber"] == "" {
		t.Errorf("phone data = %s", a.raw)
	}
	me := h.do("GET", "/auth/me", nil, bearer(tok)...)
	if me.body["has_phone"] != true {
		t.Errorf("phone not kept: %s", me.raw)
	}
}

func TestPhoneNumber(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	ctx := context.Background()
	p, err := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, u)
	if err != nil {
		t.Fatal(err)
	}
	a := h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...)
	h.wantStatus(a, 200, "")
	if a.str("country_code") != "86" || a.str("pure_phone_number") == "" || !strings.HasSuffix(a.str("phone_number"), a.str("pure_phone_number")) {
		t.Errorf("phone = %s", a.raw)
	}
	// Single-use.
	h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...), 400, "invalid_code")
	// Stable mode: one token fetch served both calls.
	if n := h.emu.Stats().Calls["/cgi-bin/stable_token"]; n != 1 {
		t.Errorf("stable_token calls = %d, want 1", n)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{}, bearer(tok)...), 400, "missing_code")
	h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": "x"}), 401, "unauthenticated")
	// A mobile session cannot use the mini-program's phone endpoint.
	mc, _ := h.ctl.MobileAuthorize(ctx, h.apps["ios"].AppID, u, "s")
	mtok := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}).str("token")
	h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": "x"}, bearer(mtok)...), 403, "session_wrong_app")
	h.assertNoLeak(h.secretsSeen(u)...)
	tk, _, err := h.gw.Credentials().Token(ctx, h.apps["mp"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	h.assertNoLeak(tk.Reveal())
}

func TestPhoneNumberRetriesOnceWithAFreshToken(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	ctx := context.Background()
	p, _ := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, u)
	// Warm the token, then make WeChat refuse it once.
	if _, _, err := h.gw.Credentials().Token(ctx, h.apps["mp"].AppID); err != nil {
		t.Fatal(err)
	}
	if err := h.ctl.SetFault(ctx, emulator.Fault{Path: "/wxa/business/getuserphonenumber", ErrCode: 40001, Count: 1}); err != nil {
		t.Fatal(err)
	}
	a := h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...)
	h.wantStatus(a, 200, "")
	st := h.emu.Stats()
	if st.Calls["/wxa/business/getuserphonenumber"] != 2 {
		t.Errorf("getuserphonenumber calls = %d, want 2 (one refused, one retried)", st.Calls["/wxa/business/getuserphonenumber"])
	}
}

func TestWeChatFailuresMapToClearAnswers(t *testing.T) {
	h := newHarness(t, withTimeout("300ms"))
	u := h.user("x")
	ctx := context.Background()
	var calls int64
	tests := []struct {
		name   string
		fault  emulator.Fault
		status int
		code   string
	}{
		{"system busy", emulator.Fault{Path: "/sns/jscode2session", ErrCode: -1, Count: 1}, 503, "wechat_busy"},
		{"blocked", emulator.Fault{Path: "/sns/jscode2session", ErrCode: 40226, Count: 1}, 403, "login_blocked"},
		{"rate limited", emulator.Fault{Path: "/sns/jscode2session", ErrCode: 45011, Count: 1}, 503, "wechat_rate_limited"},
		{"daily quota", emulator.Fault{Path: "/sns/jscode2session", ErrCode: 45009, Count: 1}, 503, "wechat_rate_limited"},
		{"wrong secret", emulator.Fault{Path: "/sns/jscode2session", ErrCode: 40125, Count: 1}, 502, "wechat_misconfigured"},
		{"slow", emulator.Fault{Path: "/sns/jscode2session", DelayMS: 2000, Count: 1}, 504, "wechat_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.ctl.SetFault(ctx, tt.fault); err != nil {
				t.Fatal(err)
			}
			a := h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)})
			h.wantStatus(a, tt.status, tt.code)
			if ra := a.header.Get("Retry-After"); (tt.status == 503) != (ra != "") {
				t.Errorf("Retry-After = %q on %d", ra, tt.status)
			}
			// A single-use code is never retried.
			if n := h.emu.Stats().Calls["/sns/jscode2session"]; n != calls+1 {
				t.Errorf("jscode2session called %d times for one login", n-calls)
			}
			calls++
		})
	}
	if !strings.Contains(h.logs.String(), "WeChat refused wxgate's credentials") {
		t.Error("a wrong secret was not logged for the operator")
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestSecretsAreSealedInTheDatabase(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	mc, _ := h.ctl.MobileAuthorize(context.Background(), h.apps["ios"].AppID, u, "s")
	h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}), 200, "")
	p, _ := h.ctl.MiniProgramPhoneNumber(context.Background(), h.apps["mp"].AppID, u)
	h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...), 200, "")
	idents, err := h.store.ScanIdentities(context.Background(), "", 10)
	if err != nil || len(idents) != 2 {
		t.Fatalf("identities: %d %v", len(idents), err)
	}
	var blobs []byte
	for _, i := range idents {
		for _, b := range [][]byte{i.OpenID, i.UnionID, i.SessionKey, i.AccessToken, i.RefreshToken, i.OpenIDIndex} {
			blobs = append(blobs, b...)
		}
	}
	id := h.identity("mp", u)
	for _, secret := range []string{id.OpenID, id.UnionID, id.SessionKey, tok} {
		if strings.Contains(string(blobs), secret) {
			t.Errorf("a stored identity holds a secret in plain text")
		}
	}
	var found storage.Identity
	for _, i := range idents {
		if i.AppID == h.apps["mp"].AppID {
			found = i
		}
	}
	if len(found.SessionKey) == 0 || len(found.OpenID) == 0 || len(found.UnionIDIndex) == 0 {
		t.Errorf("identity misses sealed fields: %+v", found)
	}
}

func TestCodeExpiresOnTheEmulatorClock(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	code := h.wxLogin("mp", u)
	h.emu.Advance(5*time.Minute + time.Second) // codes live five minutes
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": code}), 400, "invalid_code")
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}), 200, "")
}

func TestDecryptRefusesForeignWatermark(t *testing.T) {
	h := newHarness(t)
	u := h.user("x")
	tok := h.mpLogin("mp", u).str("token")
	// Data under this user's current key, but made out for another app.
	key := wechat.NewSessionKey(h.identity("mp", u).SessionKey)
	foreign := `{"nickName":"Mallory","watermark":{"appid":"` + h.apps["mp2"].AppID + `","timestamp":` + strconv.FormatInt(time.Now().Unix(), 10) + `}}`
	data, iv, err := wechat.EncryptData(key, nil, []byte(foreign))
	if err != nil {
		t.Fatal(err)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": data, "iv": iv}, bearer(tok)...), 400, "decrypt_failed")
	// The same under the right appid decrypts: the key was good.
	own := strings.Replace(foreign, h.apps["mp2"].AppID, h.apps["mp"].AppID, 1)
	data, iv, _ = wechat.EncryptData(key, nil, []byte(own))
	h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": data, "iv": iv}, bearer(tok)...), 200, "")
}

// FuzzLoginBody posts arbitrary bodies to the login endpoints: the answer is
// always a JSON 4xx (no code from the fuzzer is valid) and nothing is stored.
func FuzzLoginBody(f *testing.F) {
	h := newHarness(f)
	f.Add(`{"app":"mp","code":"abc"}`)
	f.Add(`{"app":"ios","code":"` + strings.Repeat("x", 600) + `"}`)
	f.Add(`{"app":"mp","code":"a","extra":1}`)
	f.Add(`{"app":"mp","code":"\u0000"}`)
	f.Add("\xff\xfe{")
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/auth/miniprogram/login", "/auth/mobile/login"} {
			r := httptest.NewRequest("POST", path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.gw.ServeHTTP(w, r)
			var e map[string]string
			if w.Code < 400 || w.Code >= 600 || json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == "" {
				t.Fatalf("%s %q → %d %s", path, body, w.Code, w.Body)
			}
		}
	})
	if users, _ := h.store.ScanUsers(context.Background(), "", 1); len(users) != 0 {
		f.Fatal("fuzzed logins created a user")
	}
}

// FuzzDecryptBody posts arbitrary bodies to decrypt with a live session:
// never a 5xx, never a success.
func FuzzDecryptBody(f *testing.F) {
	h := newHarness(f)
	tok := h.mpLogin("mp", h.user("x")).str("token")
	f.Add(`{"encrypted_data":"AAAAAAAAAAAAAAAAAAAAAA==","iv":"AAAAAAAAAAAAAAAAAAAAAA=="}`)
	f.Add(`{"encrypted_data":"","iv":""}`)
	f.Add(`{"encrypted_data":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/auth/miniprogram/decrypt", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.gw.ServeHTTP(w, r)
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("%q → %d %s", body, w.Code, w.Body)
		}
	})
}
