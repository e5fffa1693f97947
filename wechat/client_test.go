package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "0123456789abcdef0123456789abcdef"
)

// fakeWeChat answers every request with one canned status and body, and
// records the request it got.
type fakeWeChat struct {
	status int
	body   string

	mu   sync.Mutex
	last *http.Request
	form url.Values
	raw  []byte
}

func (f *fakeWeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.last, f.form, f.raw = r, r.URL.Query(), b
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

func newTestClient(t *testing.T, status int, body string) (*Client, *fakeWeChat) {
	t.Helper()
	f := &fakeWeChat{status: status, body: body}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{AppID: testAppID, Secret: NewSecret(testSecret), APIBase: srv.URL, OpenBase: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// call is one client method under test, with what a good answer must yield.
type call struct {
	name   string
	method string
	path   string
	good   string
	invoke func(*Client) (any, error)
	check  func(t *testing.T, v any, f *fakeWeChat)
	// missing lists success bodies that lack a required field.
	missing []string
}

var calls = []call{
	{
		name: "Code2Session", method: "GET", path: "/sns/jscode2session",
		good:   `{"openid":"oOPEN","session_key":"` + vecSessionKey + `","unionid":"oUNION"}`,
		invoke: func(c *Client) (any, error) { return c.Code2Session(context.Background(), "JSCODE") },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			s := v.(*Session)
			if s.OpenID != "oOPEN" || s.UnionID != "oUNION" || s.SessionKey.Reveal() != vecSessionKey {
				t.Errorf("session = %+v", s)
			}
			wantQuery(t, f.form, "appid", testAppID, "secret", testSecret, "js_code", "JSCODE", "grant_type", "authorization_code")
		},
		missing: []string{`{"session_key":"` + vecSessionKey + `"}`, `{"openid":"o"}`, `{"errcode":0,"errmsg":"ok"}`},
	},
	{
		name: "CheckSession", method: "GET", path: "/wxa/checksession",
		good: `{"errcode":0,"errmsg":"ok"}`,
		invoke: func(c *Client) (any, error) {
			return nil, c.CheckSession(context.Background(), NewToken("APPTOKEN"), "oOPEN", NewSessionKey(vecSessionKey))
		},
		check: func(t *testing.T, _ any, f *fakeWeChat) {
			wantQuery(t, f.form, "access_token", "APPTOKEN", "openid", "oOPEN", "sig_method", "hmac_sha256",
				"signature", "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735")
		},
		missing: []string{`{}`},
	},
	{
		name: "GetUserPhoneNumber", method: "POST", path: "/wxa/business/getuserphonenumber",
		good: `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+8613580006666","purePhoneNumber":"13580006666","countryCode":86,"watermark":{"timestamp":1637744274,"appid":"wx0123456789abcdef"}}}`,
		invoke: func(c *Client) (any, error) {
			return c.GetUserPhoneNumber(context.Background(), NewToken("APPTOKEN"), "PHONECODE", "oOPEN")
		},
		check: func(t *testing.T, v any, f *fakeWeChat) {
			p := v.(*PhoneInfo)
			want := PhoneInfo{"+8613580006666", "13580006666", "86", Watermark{testAppID, 1637744274}}
			if *p != want {
				t.Errorf("phone = %+v", p)
			}
			wantQuery(t, f.form, "access_token", "APPTOKEN")
			if ct := f.last.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var body map[string]string
			if err := json.Unmarshal(f.raw, &body); err != nil || body["code"] != "PHONECODE" || body["openid"] != "oOPEN" {
				t.Errorf("body = %s", f.raw)
			}
		},
		missing: []string{`{"errcode":0,"errmsg":"ok"}`, `{"errcode":0,"phone_info":{}}`},
	},
	{
		name: "ExchangeCode", method: "GET", path: "/sns/oauth2/access_token",
		good:   `{"access_token":"UAT","expires_in":7200,"refresh_token":"URT","openid":"oOPEN","scope":"snsapi_userinfo","unionid":"oUNION","is_snapshotuser":1}`,
		invoke: func(c *Client) (any, error) { return c.ExchangeCode(context.Background(), "CODE") },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			u := v.(*UserToken)
			if u.AccessToken.Reveal() != "UAT" || u.RefreshToken.Reveal() != "URT" || u.ExpiresIn != 7200*time.Second ||
				u.OpenID != "oOPEN" || u.UnionID != "oUNION" || !u.IsSnapshotUser || len(u.Scopes()) != 1 || u.Scopes()[0] != ScopeUserInfo {
				t.Errorf("token = %+v", u)
			}
			wantQuery(t, f.form, "appid", testAppID, "secret", testSecret, "code", "CODE", "grant_type", "authorization_code")
		},
		missing: []string{`{"expires_in":7200,"openid":"o"}`, `{"access_token":"A","openid":"o"}`, `{"access_token":"A","expires_in":7200}`},
	},
	{
		name: "RefreshToken", method: "GET", path: "/sns/oauth2/refresh_token",
		good:   `{"access_token":"UAT2","expires_in":7200,"openid":"oOPEN","scope":"snsapi_login,snsapi_userinfo"}`,
		invoke: func(c *Client) (any, error) { return c.RefreshToken(context.Background(), NewToken("URT")) },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			u := v.(*UserToken)
			if u.AccessToken.Reveal() != "UAT2" || u.RefreshToken.Reveal() != "URT" || len(u.Scopes()) != 2 || u.IsSnapshotUser {
				t.Errorf("token = %+v (refresh token must default to the one sent)", u)
			}
			wantQuery(t, f.form, "appid", testAppID, "grant_type", "refresh_token", "refresh_token", "URT")
			if f.form.Has("secret") {
				t.Error("refresh sent the secret; WeChat does not need it")
			}
		},
		missing: []string{`{"openid":"o"}`},
	},
	{
		name: "CheckAuth", method: "GET", path: "/sns/auth",
		good:   `{"errcode":0,"errmsg":"ok"}`,
		invoke: func(c *Client) (any, error) { return nil, c.CheckAuth(context.Background(), NewToken("UAT"), "oOPEN") },
		check: func(t *testing.T, _ any, f *fakeWeChat) {
			wantQuery(t, f.form, "access_token", "UAT", "openid", "oOPEN")
		},
		missing: []string{`{"errmsg":"ok"}`},
	},
	{
		name: "UserInfo", method: "GET", path: "/sns/userinfo",
		good:   `{"openid":"oOPEN","nickname":"Band","sex":1,"province":"Guangdong","city":"Guangzhou","country":"CN","headimgurl":"http://x/0","privilege":["chinaunicom"],"unionid":"oUNION"}`,
		invoke: func(c *Client) (any, error) { return c.UserInfo(context.Background(), NewToken("UAT"), "oOPEN", "") },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			u := v.(*UserInfo)
			if u.OpenID != "oOPEN" || u.Nickname != "Band" || u.Sex != 1 || u.HeadImgURL != "http://x/0" ||
				len(u.Privilege) != 1 || u.UnionID != "oUNION" || u.Country != "CN" {
				t.Errorf("user = %+v", u)
			}
			wantQuery(t, f.form, "access_token", "UAT", "openid", "oOPEN", "lang", "zh_CN")
		},
		missing: []string{`{"nickname":"x"}`},
	},
	{
		name: "AccessToken", method: "GET", path: "/cgi-bin/token",
		good:   `{"access_token":"APPTOKEN","expires_in":7200}`,
		invoke: func(c *Client) (any, error) { return c.AccessToken(context.Background()) },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			a := v.(*AppToken)
			if a.AccessToken.Reveal() != "APPTOKEN" || a.ExpiresIn != 2*time.Hour {
				t.Errorf("token = %+v", a)
			}
			wantQuery(t, f.form, "grant_type", "client_credential", "appid", testAppID, "secret", testSecret)
		},
		missing: []string{`{"expires_in":7200}`, `{"access_token":"A"}`, `{"access_token":"A","expires_in":0}`},
	},
	{
		name: "StableAccessToken", method: "POST", path: "/cgi-bin/stable_token",
		good:   `{"access_token":"STABLE","expires_in":7000}`,
		invoke: func(c *Client) (any, error) { return c.StableAccessToken(context.Background(), true) },
		check: func(t *testing.T, v any, f *fakeWeChat) {
			a := v.(*AppToken)
			if a.AccessToken.Reveal() != "STABLE" || a.ExpiresIn != 7000*time.Second {
				t.Errorf("token = %+v", a)
			}
			var body map[string]any
			if err := json.Unmarshal(f.raw, &body); err != nil {
				t.Fatal(err)
			}
			if body["grant_type"] != "client_credential" || body["appid"] != testAppID || body["secret"] != testSecret || body["force_refresh"] != true {
				t.Errorf("body = %s", f.raw)
			}
			if len(f.form) != 0 {
				t.Errorf("stable_token put parameters in the query: %v", f.form)
			}
		},
		missing: []string{`{}`},
	},
}

func wantQuery(t *testing.T, q url.Values, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := q.Get(kv[i]); got != kv[i+1] {
			t.Errorf("query %s = %q, want %q", kv[i], got, kv[i+1])
		}
	}
}

func TestCallsGoodAnswers(t *testing.T) {
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			cl, f := newTestClient(t, 200, c.good)
			v, err := c.invoke(cl)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if f.last.Method != c.method || f.last.URL.Path != c.path {
				t.Errorf("request %s %s, want %s %s", f.last.Method, f.last.URL.Path, c.method, c.path)
			}
			c.check(t, v, f)
		})
	}
}

func TestCallsErrorAnswers(t *testing.T) {
	answers := []struct {
		name   string
		status int
		body   string
		is     error
		code   int
		msg    string
		rid    string
	}{
		{"current rid", 200, `{"errcode":40029,"errmsg":"invalid code, rid: 652d44d0-1d0af18b-5b069232"}`, ErrInvalidCode, 40029, "invalid code", "652d44d0-1d0af18b-5b069232"},
		{"rid without comma", 200, `{"errcode":40163,"errmsg":"code been used rid: 6597b34f-1a2b3c4d-5e6f7a8b"}`, ErrCodeUsed, 40163, "code been used", "6597b34f-1a2b3c4d-5e6f7a8b"},
		{"old hints form", 200, `{"errcode":40163,"errmsg":"code been used, hints: [ req_id: MdoBRh4FE-_iqKea ]"}`, ErrCodeUsed, 40163, "code been used", "MdoBRh4FE-_iqKea"},
		{"old hint form", 200, `{"errcode":40013,"errmsg":"invalid appid hint: [vJOTwa0300ha57]"}`, ErrInvalidAppID, 40013, "invalid appid", "vJOTwa0300ha57"},
		{"no rid", 200, `{"errcode":-1,"errmsg":"system error"}`, ErrSystemBusy, -1, "system error", ""},
		{"40001 long text", 200, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 1-2-3"}`, ErrInvalidCredential, 40001, "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r", "1-2-3"},
		{"expired", 200, `{"errcode":42001,"errmsg":"access_token expired"}`, ErrAccessTokenExpired, 42001, "access_token expired", ""},
		{"errcode with 500", 500, `{"errcode":45011,"errmsg":"api minute-quota reach limit, must slower, retry next minute"}`, ErrMinuteQuota, 45011, "api minute-quota reach limit, must slower, retry next minute", ""},
		{"errcode as only field", 200, `{"errcode":87009}`, ErrInvalidSignature, 87009, "", ""},
	}
	for _, c := range calls {
		for _, a := range answers {
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				cl, _ := newTestClient(t, a.status, a.body)
				v, err := c.invoke(cl)
				if err == nil {
					t.Fatalf("no error, value %+v", v)
				}
				if !errors.Is(err, a.is) {
					t.Errorf("errors.Is(%v, %v) = false", err, a.is)
				}
				var we *Error
				if !errors.As(err, &we) {
					t.Fatalf("%T is not *Error", err)
				}
				if we.Code != a.code || we.Msg != a.msg || we.RID != a.rid || we.HTTPStatus != a.status || we.Path != c.path {
					t.Errorf("error = %#v", we)
				}
				if errors.Is(err, ErrBadResponse) || (a.code != 40001 && errors.Is(err, ErrInvalidCredential)) {
					t.Error("error matches an unrelated sentinel")
				}
			})
		}
	}
}

func TestCallsMalformedAnswers(t *testing.T) {
	common := []struct {
		name   string
		status int
		body   string
	}{
		{"empty body", 200, ``},
		{"html", 200, `<html><body>502 Bad Gateway</body></html>`},
		{"json array", 200, `[1,2,3]`},
		{"json null", 200, `null`},
		{"json string", 200, `"ok"`},
		{"truncated", 200, `{"openid":"o`},
		{"errcode wrong type", 200, `{"errcode":"40029","errmsg":"x"}`},
		{"5xx without errcode", 502, `{"message":"bad gateway"}`},
		{"5xx html", 503, `<html>busy</html>`},
		{"oversized", 200, `{"x":"` + strings.Repeat("a", maxResponse) + `"}`},
	}
	for _, c := range calls {
		bodies := common
		for i, m := range c.missing {
			bodies = append(bodies, struct {
				name   string
				status int
				body   string
			}{fmt.Sprintf("missing field %d", i), 200, m})
		}
		for _, a := range bodies {
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				cl, _ := newTestClient(t, a.status, a.body)
				v, err := c.invoke(cl)
				if !errors.Is(err, ErrBadResponse) {
					t.Fatalf("got %v, %v; want ErrBadResponse", v, err)
				}
				var we *Error
				if !errors.As(err, &we) || we.HTTPStatus != a.status || we.Code != 0 || we.Path != c.path {
					t.Errorf("error = %#v", we)
				}
				if a.status >= 500 && !Temporary(err) {
					t.Error("5xx is not Temporary")
				}
			})
		}
	}
}

func TestWrongJSONTypes(t *testing.T) {
	// Field types real SDKs depend on; a wrong type is a bad response and
	// the error must not quote the body.
	cl, _ := newTestClient(t, 200, `{"access_token":"SECRETTOKEN","expires_in":"soon"}`)
	_, err := cl.AccessToken(context.Background())
	if !errors.Is(err, ErrBadResponse) || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Fatalf("err = %v", err)
	}
	cl, _ = newTestClient(t, 200, `{"openid":"o","privilege":"x"}`)
	if _, err := cl.UserInfo(context.Background(), NewToken("t"), "o", ""); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("privilege as string: err = %v", err)
	}
	// Lenient where WeChat's own docs disagree: numeric strings.
	cl, _ = newTestClient(t, 200, `{"access_token":"A","expires_in":"7200"}`)
	if tok, err := cl.AccessToken(context.Background()); err != nil || tok.ExpiresIn != 2*time.Hour {
		t.Fatalf("expires_in as string: %v, %v", tok, err)
	}
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	// A server that hangs up: Go's transport error would quote the URL,
	// secret and code included.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	defer ln.Close()
	cl, err := New(Config{AppID: testAppID, Secret: NewSecret(testSecret), APIBase: "http://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := []error{}
	_, e := cl.Code2Session(ctx, "THEJSCODE")
	errs = append(errs, e)
	_, e = cl.ExchangeCode(ctx, "THEOAUTHCODE")
	errs = append(errs, e)
	_, e = cl.AccessToken(ctx)
	errs = append(errs, e)
	_, e = cl.StableAccessToken(ctx, false)
	errs = append(errs, e)
	errs = append(errs, cl.CheckAuth(ctx, NewToken("THEUSERTOKEN"), "oOPEN"))
	_, e = cl.RefreshToken(ctx, NewToken("THEREFRESHTOKEN"))
	errs = append(errs, e)
	for _, e := range errs {
		if e == nil {
			t.Fatal("no error from a server that hangs up")
		}
		msg := fmt.Sprintf("%v %+v %#v", e, e, e)
		for _, s := range []string{testSecret, "THEJSCODE", "THEOAUTHCODE", "THEUSERTOKEN", "THEREFRESHTOKEN", "secret="} {
			if strings.Contains(msg, s) {
				t.Errorf("error leaks %q: %s", s, msg)
			}
		}
		if !Temporary(e) {
			t.Errorf("transport error %v is not Temporary", e)
		}
		if !strings.HasPrefix(e.Error(), "wechat: /") {
			t.Errorf("error %q lacks the package and path prefix", e)
		}
	}
}

func TestContextIsHonoured(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	cl, _ := New(Config{AppID: testAppID, APIBase: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cl.Code2Session(ctx, "c")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTwoClientsStayApart(t *testing.T) {
	a, fa := newTestClient(t, 200, `{"access_token":"A","expires_in":7200}`)
	b, fb := newTestClient(t, 200, `{"access_token":"B","expires_in":7200}`)
	ta, err1 := a.AccessToken(context.Background())
	tb, err2 := b.AccessToken(context.Background())
	if err1 != nil || err2 != nil || ta.AccessToken.Reveal() != "A" || tb.AccessToken.Reveal() != "B" {
		t.Fatalf("tokens %v %v, errors %v %v", ta, tb, err1, err2)
	}
	if fa.last == nil || fb.last == nil {
		t.Fatal("a client called the other's server")
	}
}

func TestEmptyInputsRefusedLocally(t *testing.T) {
	cl, f := newTestClient(t, 200, `{}`)
	ctx := context.Background()
	if _, err := cl.Code2Session(ctx, ""); err == nil {
		t.Error("Code2Session accepted an empty code")
	}
	if _, err := cl.ExchangeCode(ctx, ""); err == nil {
		t.Error("ExchangeCode accepted an empty code")
	}
	if _, err := cl.RefreshToken(ctx, Token{}); err == nil {
		t.Error("RefreshToken accepted an empty token")
	}
	if _, err := cl.GetUserPhoneNumber(ctx, NewToken("t"), "", ""); err == nil {
		t.Error("GetUserPhoneNumber accepted an empty code")
	}
	if f.last != nil {
		t.Error("a request was sent for empty input")
	}
}

func TestNewValidatesBases(t *testing.T) {
	for _, base := range []string{"api.weixin.qq.com", "ftp://x", "http://", "http://x/?q=1", "http://x/#f", ":%"} {
		if _, err := New(Config{APIBase: base}); err == nil {
			t.Errorf("New accepted APIBase %q", base)
		}
		if _, err := New(Config{OpenBase: base}); err == nil {
			t.Errorf("New accepted OpenBase %q", base)
		}
	}
	c, err := New(Config{AppID: "wxA", APIBase: "http://127.0.0.1:9000/"})
	if err != nil || c.apiBase != "http://127.0.0.1:9000" || c.openBase != DefaultOpenBase || c.AppID() != "wxA" {
		t.Fatalf("New = %+v, %v", c, err)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Code: 40029, Msg: "invalid code", RID: "r1", Path: "/sns/jscode2session"}, "wechat: /sns/jscode2session: errcode 40029 (invalid code) rid: r1"},
		{&Error{HTTPStatus: 502, Path: "/cgi-bin/token", Err: ErrBadResponse, Msg: "no errcode"}, "wechat: /cgi-bin/token: unexpected response: no errcode [HTTP 502]"},
		{&Error{Code: -1}, "wechat: errcode -1"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	wrapped := fmt.Errorf("login: %w", &Error{Code: 40163})
	if !errors.Is(wrapped, ErrCodeUsed) || errors.Is(wrapped, ErrInvalidCode) {
		t.Error("errors.Is through a wrap is wrong")
	}
	if errors.Is(&Error{Err: ErrBadResponse}, &Error{}) {
		t.Error("zero-code errors must not match each other")
	}
	for _, code := range []int{40001, 40014, 42001} {
		if !StaleToken(fmt.Errorf("x: %w", &Error{Code: code})) {
			t.Errorf("StaleToken(%d) = false", code)
		}
	}
	if StaleToken(wrapped) {
		t.Error("StaleToken(40163) = true")
	}
	if StaleToken(ErrDecrypt) || Temporary(ErrDecrypt) || Temporary(nil) || Temporary(&Error{Code: 40029}) || !Temporary(&Error{Code: -1}) {
		t.Error("Temporary/StaleToken misclassify")
	}
	// Caller-side failures are never temporary.
	cl, _ := New(Config{AppID: testAppID})
	_, validation := cl.Code2Session(context.Background(), "")
	for _, err := range []error{validation, context.Canceled, fmt.Errorf("x: %w", context.DeadlineExceeded), errors.New("other")} {
		if Temporary(err) {
			t.Errorf("Temporary(%v) = true", err)
		}
	}
}

// FuzzDecode feeds arbitrary answers to the response parser of every
// endpoint: it must return a value or an *Error, never panic, and never
// succeed without the required fields.
func FuzzDecode(f *testing.F) {
	for _, c := range calls {
		f.Add(200, c.good)
		for _, m := range c.missing {
			f.Add(200, m)
		}
	}
	f.Add(500, `{"errcode":-1}`)
	f.Add(200, `{"errcode":40029,"errmsg":"invalid code, rid: 1-2-3"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		outs := []validator{&Session{}, &okBody{}, &phoneBody{}, &userTokenBody{}, &userInfoBody{}, &appTokenBody{}}
		for _, out := range outs {
			err := decode("/p", status, []byte(body), out)
			if err == nil {
				if status != 200 || out.missing() != "" {
					t.Fatalf("%T accepted status %d body %q", out, status, body)
				}
				continue
			}
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("%T: error %v is not *Error", out, err)
			}
			if we.Code == 0 && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("%T: zero-code error without ErrBadResponse: %v", out, err)
			}
		}
	})
}

func FuzzSplitRID(f *testing.F) {
	f.Add("invalid code, rid: 652d44d0-1d0af18b-5b069232")
	f.Add("code been used, hints: [ req_id: MdoBRh4FE-_iqKea ]")
	f.Add("")
	f.Fuzz(func(t *testing.T, msg string) {
		text, rid := splitRID(msg)
		if len(text)+len(rid) > len(msg) {
			t.Fatalf("splitRID(%q) = %q, %q grew", msg, text, rid)
		}
	})
}
