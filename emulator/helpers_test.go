package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// t0 is the base clock of the tests: 2024-03-01 12:00 in UTC+8. It never
// moves by itself, so every expiry in a test comes from Advance.
var t0 = time.Date(2024, 3, 1, 4, 0, 0, 0, time.UTC)

// env is an emulator behind a real HTTP server.
type env struct {
	t   *testing.T
	e   *emulator.Emulator
	srv *httptest.Server
	ctl *emulator.Client
	hc  *http.Client // does not follow redirects
}

func newEnv(t *testing.T, opts ...func(*emulator.Options)) *env {
	t.Helper()
	o := emulator.Options{Now: func() time.Time { return t0 }, LongPoll: 2 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	e, err := emulator.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{
		t: t, e: e, srv: srv, ctl: emulator.NewClient(srv.URL, srv.Client()),
		hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

func withBehaviour(b emulator.Behaviour) func(*emulator.Options) {
	return func(o *emulator.Options) { o.Behaviour = b }
}

func (v *env) app(typ wechat.AppType, openAccount string) emulator.App {
	v.t.Helper()
	s := emulator.AppSpec{Type: typ, OpenAccount: openAccount}
	if typ == wechat.AppTypeWebsite || typ == wechat.AppTypeOfficialAccount {
		s.CallbackDomain = "example.com"
	}
	a, err := v.e.CreateApp(s)
	if err != nil {
		v.t.Fatalf("CreateApp: %v", err)
	}
	return a
}

func (v *env) user() string {
	v.t.Helper()
	id, err := v.e.CreateUser(emulator.UserSpec{Nickname: "Alice", Sex: 2, Province: "Guangdong", City: "Shenzhen"})
	if err != nil {
		v.t.Fatalf("CreateUser: %v", err)
	}
	return id
}

// client is a wechat client for a, pointed at the emulator.
func (v *env) client(a emulator.App) *wechat.Client {
	v.t.Helper()
	c, err := wechat.New(wechat.Config{AppID: a.AppID, Secret: wechat.NewSecret(a.Secret), APIBase: v.srv.URL, OpenBase: v.srv.URL, HTTPClient: v.srv.Client()})
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

// get calls a WeChat API with GET and decodes the raw JSON answer, keeping
// numbers as json.Number so tests can assert JSON types.
func (v *env) get(path string, q url.Values) map[string]any {
	v.t.Helper()
	resp, err := v.srv.Client().Get(v.srv.URL + path + "?" + q.Encode())
	if err != nil {
		v.t.Fatal(err)
	}
	return decodeAnswer(v.t, resp)
}

// post calls a WeChat API with a body.
func (v *env) post(path string, q url.Values, contentType, body string) map[string]any {
	v.t.Helper()
	u := v.srv.URL + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := v.srv.Client().Post(u, contentType, strings.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	return decodeAnswer(v.t, resp)
}

var ridPattern = regexp.MustCompile(`, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

func decodeAnswer(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %s", b)
	}
	if code, ok := m["errcode"]; ok && code.(json.Number).String() != "0" {
		if !ridPattern.MatchString(m["errmsg"].(string)) {
			t.Fatalf("errmsg without rid: %q", m["errmsg"])
		}
	}
	return m
}

// wantCode asserts an error answer with errcode code.
func wantCode(t *testing.T, m map[string]any, code string) {
	t.Helper()
	got, ok := m["errcode"].(json.Number)
	if !ok || got.String() != code {
		t.Fatalf("errcode = %v, want %s (answer %v)", m["errcode"], code, m)
	}
}

// wantSuccess asserts a token-style success: no errcode at all.
func wantNoErrcode(t *testing.T, m map[string]any) {
	t.Helper()
	if _, ok := m["errcode"]; ok {
		t.Fatalf("success carries errcode: %v", m)
	}
}

func wantOK(t *testing.T, m map[string]any) {
	t.Helper()
	if m["errcode"] != json.Number("0") || m["errmsg"] != "ok" {
		t.Fatalf("want errcode 0 errmsg ok, got %v", m)
	}
}

func wantNumber(t *testing.T, m map[string]any, key string, want int64) {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON number", key, m[key])
	}
	if got, _ := n.Int64(); want >= 0 && got != want {
		t.Fatalf("%s = %d, want %d", key, got, want)
	}
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// wantWeChat asserts err is a *wechat.Error with code.
func wantWeChat(t *testing.T, err error, code int) {
	t.Helper()
	var we *wechat.Error
	if !errors.As(err, &we) || we.Code != code {
		t.Fatalf("err = %v, want errcode %d", err, code)
	}
	if we.RID == "" {
		t.Fatalf("error without rid: %v", err)
	}
}

// page fetches a browser page without following redirects.
func (v *env) page(path string, q url.Values, cookie string) (*http.Response, string) {
	v.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, v.srv.URL+path+"?"+q.Encode(), nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "wxemu_user", Value: cookie})
	}
	resp, err := v.hc.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// qrGrant opens qrconnect for a and returns the grant's uuid.
func (v *env) qrGrant(a emulator.App, redirect, state string) string {
	v.t.Helper()
	resp, body := v.page("/connect/qrconnect", url.Values{"appid": {a.AppID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"snsapi_login"}, "state": {state}}, "")
	uuid := resp.Header.Get("X-Wxemu-Uuid")
	if resp.StatusCode != 200 || uuid == "" {
		v.t.Fatalf("qrconnect: %d %q %s", resp.StatusCode, resp.Header.Get("X-Wxemu-Error"), body)
	}
	return uuid
}

// oauthCode runs a website QR login for user and returns the code.
func (v *env) oauthCode(a emulator.App, userID string) string {
	v.t.Helper()
	uuid := v.qrGrant(a, "https://example.com/cb", "st4te")
	to, err := v.e.Confirm(uuid, userID)
	if err != nil {
		v.t.Fatal(err)
	}
	u, _ := url.Parse(to)
	return u.Query().Get("code")
}

// appToken fetches a cgi-bin/token token for a.
func (v *env) appToken(a emulator.App) wechat.Token {
	v.t.Helper()
	tok, err := v.client(a).AccessToken(context.Background())
	if err != nil {
		v.t.Fatal(err)
	}
	return tok.AccessToken
}

// readBody reads and closes a response body.
func readBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
