package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// call makes a raw control call and returns the status and decoded body.
func (v *env) call(method, path, body string, hdr ...string) (int, map[string]any) {
	v.t.Helper()
	req, _ := http.NewRequest(method, v.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := v.srv.Client().Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	b := readBody(resp)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		v.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	var m map[string]any
	if strings.HasPrefix(b, "{") {
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			v.t.Fatalf("%s %s: %s", method, path, b)
		}
	}
	return resp.StatusCode, m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestControlAPIContract(t *testing.T) {
	v := newEnv(t)
	st, app := v.call("POST", "/_emulator/apps", `{"type":"miniprogram","name":"Shop","open_account":"acme"}`)
	if st != 201 || !reflect.DeepEqual(keys(app), []string{"appid", "callback_domain", "name", "open_account", "secret", "type"}) {
		t.Fatalf("create app: %d %v", st, app)
	}
	if !regexp.MustCompile(`^wx[0-9a-f]{16}$`).MatchString(app["appid"].(string)) || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(app["secret"].(string)) {
		t.Fatalf("generated appid/secret: %v", app)
	}
	appid := app["appid"].(string)
	st, web := v.call("POST", "/_emulator/apps", `{"appid":"wxwebwebwebwebweb0","secret":"s3cr3tvalue","type":"website","callback_domain":"Example.COM:8080"}`)
	if st != 201 || web["callback_domain"] != "example.com:8080" || web["secret"] != "s3cr3tvalue" || web["name"] == "" {
		t.Fatalf("website: %d %v", st, web)
	}
	st, u := v.call("POST", "/_emulator/users", `{"nickname":"李雷","sex":1}`)
	if st != 201 || !reflect.DeepEqual(u, map[string]any{"user_id": "u1"}) {
		t.Fatalf("create user: %d %v", st, u)
	}
	if st, u := v.call("POST", "/_emulator/users", ""); st != 201 || u["user_id"] != "u2" {
		t.Fatalf("empty body: %d %v", st, u)
	}
	st, id := v.call("GET", "/_emulator/users/u1/identity?appid="+appid, "")
	if st != 200 || !reflect.DeepEqual(keys(id), []string{"openid", "session_key", "unionid"}) || id["session_key"] != "" || id["unionid"] == "" {
		t.Fatalf("identity: %d %v", st, id)
	}
	st, login := v.call("POST", "/_emulator/miniprogram/login", `{"appid":"`+appid+`","user_id":"u1"}`)
	if st != 200 || !reflect.DeepEqual(keys(login), []string{"code"}) {
		t.Fatalf("login: %d %v", st, login)
	}
	if _, id := v.call("GET", "/_emulator/users/u1/identity?appid="+appid, ""); id["session_key"] == "" {
		t.Fatal("identity must show the current session_key after a login")
	}
	st, ui := v.call("POST", "/_emulator/miniprogram/userinfo", `{"appid":"`+appid+`","user_id":"u1"}`)
	if st != 200 || !reflect.DeepEqual(keys(ui), []string{"encryptedData", "iv", "rawData", "signature"}) {
		t.Fatalf("userinfo: %d %v", st, ui)
	}
	st, ph := v.call("POST", "/_emulator/miniprogram/phonenumber", `{"appid":"`+appid+`","user_id":"u1"}`)
	if st != 200 || !reflect.DeepEqual(keys(ph), []string{"code", "encryptedData", "iv"}) {
		t.Fatalf("phonenumber: %d %v", st, ph)
	}
	_, mob := v.call("POST", "/_emulator/apps", `{"type":"mobile"}`)
	st, mc := v.call("POST", "/_emulator/mobile/authorize", `{"appid":"`+mob["appid"].(string)+`","user_id":"u1","state":"xyz"}`)
	if st != 200 || mc["state"] != "xyz" || len(mc["code"].(string)) != 32 {
		t.Fatalf("mobile: %d %v", st, mc)
	}
	uuid := v.qrGrant(emulator.App{AppID: "wxwebwebwebwebweb0"}, "http://example.com:8080/cb", "s")
	if st, _ := v.call("GET", "/_emulator/grants?status=pending", ""); st != 200 {
		t.Fatalf("grants: %d", st)
	}
	if st, _ := v.call("POST", "/_emulator/grants/"+uuid+"/scan", `{"user_id":"u1"}`); st != 200 {
		t.Fatalf("scan: %d", st)
	}
	st, conf := v.call("POST", "/_emulator/grants/"+uuid+"/confirm", `{"user_id":"u1"}`)
	if st != 200 || !strings.HasPrefix(conf["redirect"].(string), "http://example.com:8080/cb?code=") {
		t.Fatalf("confirm: %d %v", st, conf)
	}
	uuid2 := v.qrGrant(emulator.App{AppID: "wxwebwebwebwebweb0"}, "http://example.com:8080/cb", "s")
	if st, c := v.call("POST", "/_emulator/grants/"+uuid2+"/cancel", `{"user_id":"u2"}`); st != 200 || c["redirect"] != "http://example.com:8080/cb?state=s" {
		t.Fatalf("cancel: %d %v", st, c)
	}
	st, clk := v.call("POST", "/_emulator/clock", `{"advance_seconds":60}`)
	if st != 200 || clk["now"] != float64(t0.Unix()+60) {
		t.Fatalf("clock: %d %v", st, clk)
	}
	if st, _ := v.call("POST", "/_emulator/faults", `{"path":"/cgi-bin/token","errcode":-1,"count":2,"delay_ms":0}`); st != 200 {
		t.Fatalf("fault: %d", st)
	}
	if st, _ := v.call("DELETE", "/_emulator/faults", ""); st != 200 {
		t.Fatalf("clear faults: %d", st)
	}
	st, stats := v.call("GET", "/_emulator/stats", "")
	if calls, ok := stats["calls"].(map[string]any); st != 200 || !ok || calls["/cgi-bin/token"] != float64(0) {
		t.Fatalf("stats: %d %v", st, stats)
	}
	if st, s := v.call("POST", "/_emulator/apps/"+appid+"/reset_secret", ""); st != 200 || len(s["secret"].(string)) != 32 || s["secret"] == app["secret"] {
		t.Fatalf("reset: %d %v", st, s)
	}
	if st, b := v.call("GET", "/_emulator/behaviour", ""); st != 200 || b["deny_redirect"] != "state_only" || b["strict_state_charset"] != true {
		t.Fatalf("behaviour: %d %v", st, b)
	}
}

func TestControlAPIBadInput(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	web := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	uuid := v.qrGrant(web, "https://example.com/", "s")
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	snapshot := func() string {
		apps := v.e.Apps()
		sort.Slice(apps, func(i, j int) bool { return apps[i].AppID < apps[j].AppID })
		users := v.e.Users()
		g, _ := v.e.GetGrant(uuid)
		b, _ := json.Marshal([]any{apps, users, g, v.e.Now().Unix(), v.e.Faults()})
		return string(b)
	}
	before := snapshot()
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed", "POST", "/_emulator/apps", `{"type":`, 400, "malformed_json"},
		{"not an object", "POST", "/_emulator/apps", `["website"]`, 400, "malformed_json"},
		{"null", "POST", "/_emulator/apps", `null`, 400, "malformed_json"},
		{"trailing data", "POST", "/_emulator/apps", `{"type":"website","callback_domain":"a.com"}{}`, 400, "malformed_json"},
		{"empty body", "POST", "/_emulator/apps", ``, 400, "malformed_json"},
		{"unknown field", "POST", "/_emulator/apps", `{"type":"website","callback_domain":"a.com","colour":"red"}`, 400, "unknown_field"},
		{"wrong JSON type", "POST", "/_emulator/apps", `{"type":7}`, 400, "invalid_argument"},
		{"oversized", "POST", "/_emulator/apps", big, 413, "body_too_large"},
		{"bad type", "POST", "/_emulator/apps", `{"type":"robot"}`, 400, "invalid_argument"},
		{"no callback domain", "POST", "/_emulator/apps", `{"type":"official_account"}`, 400, "invalid_argument"},
		{"callback with scheme", "POST", "/_emulator/apps", `{"type":"website","callback_domain":"https://a.com/"}`, 400, "invalid_argument"},
		{"bad appid", "POST", "/_emulator/apps", `{"type":"mobile","appid":"wx 1"}`, 400, "invalid_argument"},
		{"short secret", "POST", "/_emulator/apps", `{"type":"mobile","secret":"abc"}`, 400, "invalid_argument"},
		{"taken appid", "POST", "/_emulator/apps", `{"type":"mobile","appid":"` + mp.AppID + `"}`, 409, "appid_taken"},
		{"user: bad sex", "POST", "/_emulator/users", `{"sex":3}`, 400, "invalid_argument"},
		{"user: bad id", "POST", "/_emulator/users", `{"user_id":"a/b"}`, 400, "invalid_argument"},
		{"user: taken id", "POST", "/_emulator/users", `{"user_id":"` + uid + `"}`, 409, "user_id_taken"},
		{"user: bad phone", "POST", "/_emulator/users", `{"phone":"+86 138"}`, 400, "invalid_argument"},
		{"user: bad avatar", "POST", "/_emulator/users", `{"headimgurl":"javascript:alert(1)"}`, 400, "invalid_argument"},
		{"user: control chars", "POST", "/_emulator/users", `{"nickname":"a\u0000b"}`, 400, "invalid_argument"},
		{"user: oversized", "POST", "/_emulator/users", big, 413, "body_too_large"},
		{"patch: unknown user", "PATCH", "/_emulator/users/nobody", `{"nickname":"x"}`, 404, "user_not_found"},
		{"patch: unknown field", "PATCH", "/_emulator/users/" + uid, `{"user_id":"x"}`, 400, "unknown_field"},
		{"patch: both avatar fields", "PATCH", "/_emulator/users/" + uid, `{"headimgurl":"","regenerate_avatar":true}`, 400, "invalid_argument"},
		{"identity: no appid", "GET", "/_emulator/users/" + uid + "/identity", ``, 400, "invalid_argument"},
		{"identity: unknown user", "GET", "/_emulator/users/nobody/identity?appid=" + mp.AppID, ``, 404, "user_not_found"},
		{"identity: unknown app", "GET", "/_emulator/users/" + uid + "/identity?appid=wxnope", ``, 404, "app_not_found"},
		{"reset: unknown app", "POST", "/_emulator/apps/wxnope/reset_secret", ``, 404, "app_not_found"},
		{"reset: body", "POST", "/_emulator/apps/" + mp.AppID + "/reset_secret", `{"secret":"mine"}`, 400, "unknown_field"},
		{"grant: unknown", "POST", "/_emulator/grants/nope/confirm", `{"user_id":"` + uid + `"}`, 404, "grant_not_found"},
		{"grant: no user", "POST", "/_emulator/grants/" + uuid + "/scan", `{}`, 400, "invalid_argument"},
		{"grant: unknown user", "POST", "/_emulator/grants/" + uuid + "/scan", `{"user_id":"nobody"}`, 404, "user_not_found"},
		{"grants: bad status", "GET", "/_emulator/grants?status=odd", ``, 400, "invalid_argument"},
		{"login: website app", "POST", "/_emulator/miniprogram/login", `{"appid":"` + web.AppID + `","user_id":"` + uid + `"}`, 400, "wrong_app_type"},
		{"login: unknown app", "POST", "/_emulator/miniprogram/login", `{"appid":"wxnope","user_id":"` + uid + `"}`, 404, "app_not_found"},
		{"login: missing user", "POST", "/_emulator/miniprogram/login", `{"appid":"` + mp.AppID + `"}`, 400, "invalid_argument"},
		{"userinfo: no session", "POST", "/_emulator/miniprogram/userinfo", `{"appid":"` + mp.AppID + `","user_id":"` + uid + `"}`, 409, "no_session"},
		{"mobile: wrong type", "POST", "/_emulator/mobile/authorize", `{"appid":"` + mp.AppID + `","user_id":"` + uid + `"}`, 400, "wrong_app_type"},
		{"clock: negative", "POST", "/_emulator/clock", `{"advance_seconds":-5}`, 400, "invalid_argument"},
		{"clock: missing", "POST", "/_emulator/clock", `{}`, 400, "invalid_argument"},
		{"clock: fraction", "POST", "/_emulator/clock", `{"advance_seconds":1.5}`, 400, "invalid_argument"},
		{"clock: string", "POST", "/_emulator/clock", `{"advance_seconds":"60"}`, 400, "invalid_argument"},
		{"fault: unknown path", "POST", "/_emulator/faults", `{"path":"/x","errcode":1}`, 400, "invalid_argument"},
		{"fault: unknown field", "POST", "/_emulator/faults", `{"path":"/cgi-bin/token","errcode":1,"times":2}`, 400, "unknown_field"},
		{"unknown endpoint", "GET", "/_emulator/nothing", ``, 404, "not_found"},
		{"wrong method", "DELETE", "/_emulator/apps", ``, 405, "method_not_allowed"},
		{"cross-origin write", "POST", "/_emulator/users", `{}`, 403, "cross_origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.code == "cross_origin" {
				hdr = []string{"Origin", "http://evil.example"}
			}
			st, m := v.call(tc.method, tc.path, tc.body, hdr...)
			if st != tc.status || m["error"] != tc.code || m["message"] == "" {
				t.Fatalf("%d %v, want %d %s", st, m, tc.status, tc.code)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("bad input changed the state:\n%s\n%s", before, after)
	}
	// Wrong grant transitions: 409.
	if err := v.e.Scan(uuid, uid); err != nil {
		t.Fatal(err)
	}
	other := v.user()
	if _, err := v.e.Confirm(uuid, other); !errors.Is(err, emulator.ErrWrongUser) {
		t.Fatalf("confirm by another user: %v", err)
	}
	if _, err := v.e.Confirm(uuid, uid); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"scan", "confirm", "cancel"} {
		if st, m := v.call("POST", "/_emulator/grants/"+uuid+"/"+action, `{"user_id":"`+uid+`"}`); st != 409 || m["error"] != "grant_state" {
			t.Fatalf("%s a confirmed grant: %d %v", action, st, m)
		}
	}
}

func TestClientErrors(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	_, err := v.ctl.Identity(ctx, "nobody", "wxnope")
	var ce *emulator.Error
	if !errors.As(err, &ce) || ce.Status != 404 || !errors.Is(err, emulator.ErrAppNotFound) {
		t.Fatalf("%v", err)
	}
	if _, err := v.ctl.AdvanceClock(ctx, -1); err == nil {
		t.Fatal("negative advance")
	}
	now, err := v.ctl.AdvanceClock(ctx, 90*1e9)
	if err != nil || now.Unix() != t0.Unix()+90 || v.e.Now().Unix() != now.Unix() {
		t.Fatalf("%v %v", now, err)
	}
	bad := emulator.NewClient("http://127.0.0.1:1", nil)
	if _, err := bad.CreateUser(ctx, emulator.UserSpec{}); err == nil {
		t.Fatal("unreachable emulator")
	}
	// The typed client covers the listing calls too.
	if _, err := v.ctl.CreateApp(ctx, emulator.AppSpec{Type: wechat.AppTypeMobile}); err != nil {
		t.Fatal(err)
	}
	apps, err := v.ctl.Apps(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("%v %v", apps, err)
	}
	if gs, err := v.ctl.Grants(ctx, "pending"); err != nil || len(gs) != 0 {
		t.Fatalf("%v %v", gs, err)
	}
}
