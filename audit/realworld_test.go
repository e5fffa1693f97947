package audit

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestProjectMarkers: a mini-program project is recognized by its
// markers, never by a folder's name; a web app's manifest.json is not a
// marker; a Node server inside a project stays a server.
func TestProjectMarkers(t *testing.T) {
	call := "const u = 'https://api.weixin.qq.com/cgi-bin/token';\nexport const dev = process.env.NODE_ENV;\n"
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"uni/manifest.json":         `{"name":"shop","mp-weixin":{"appid":"wx0a1b2c3d4e5f6071"}}`,
		"uni/utils/api.js":          call,
		"unipages/pages.json":       `{"pages":[]}`,
		"unipages/utils/api.js":     call,
		"webapp/manifest.json":      `{"name":"site","display":"standalone"}`,
		"webapp/utils/api.js":       call,
		"miniprogram/utils/api.js":  call,
		"taro/project.config.json":  `{"miniprogramRoot":"dist/"}`,
		"taro/src/api.ts":           call,
		"taro/server/index.js":      "const express = require('express');\n" + call,
		"taro/cloudfunctions/a.js":  call,
		"taro/uniCloud/fn/index.js": call,
	})
	res, err := mustScanner(t, Options{}).Scan(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		if f.Kind == KindClientWeChatAPI {
			got[strings.TrimPrefix(f.File, filepath.ToSlash(dir)+"/")] = true
		}
	}
	for _, f := range []string{"uni/utils/api.js", "unipages/utils/api.js", "taro/src/api.ts"} {
		if !got[f] {
			t.Errorf("%s: in a mini-program project, its call of cgi-bin/token was not reported", f)
		}
	}
	for _, f := range []string{"webapp/utils/api.js", "miniprogram/utils/api.js", "taro/server/index.js", "taro/cloudfunctions/a.js", "taro/uniCloud/fn/index.js"} {
		if got[f] {
			t.Errorf("%s: backend code reported as client code", f)
		}
	}
}

// TestCommentsDoNotMakeClientCode: wx. APIs named in comments leave a
// server file a server file; in code they make it client code.
func TestCommentsDoNotMakeClientCode(t *testing.T) {
	body := "const u = 'https://api.weixin.qq.com/sns/jscode2session';\n"
	for _, tc := range []struct {
		src    string
		client bool
	}{
		{"// call wx.login() on the client\n" + body, false},
		{"/**\n * wx.request({ url })\n */\n" + body, false},
		{"const x = 1; // then wx.request(...) on the client\n" + body, false},
		{"wx.request({ url: u });\n" + body, true},
	} {
		r := classify("lib/sdk.js", []byte(tc.src), false)
		if (r == roleClient) != tc.client {
			t.Errorf("client = %v, want %v for:\n%s", r == roleClient, tc.client, tc.src)
		}
	}
}

// TestClientSessionKeyNames: a name that merely contains sessionKey, an
// empty declaration, a type, or a mention of a variable only ever empty is
// not a session_key in client code; reading or storing one is.
func TestClientSessionKeyNames(t *testing.T) {
	s := mustScanner(t, Options{})
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"function getSessionKey() { return null; }\n", false},
		{"Page({ data: { sessionKey: '', session_key: null, hasSessionKey: false } });\n", false},
		{"let sessionKey = '';\nmodule.exports = { sessionKey };\n", false},
		{"interface A { session_key: string; }\n", false},
		{"auth.checkSessionKey().then(refreshSessionKey);\n", false},
		{"wx.setStorageSync('session_key', res.data.session_key);\n", true},
		{"const sessionKey = wx.getStorageSync('sk');\nnew WXBizDataCrypt(APPID, sessionKey);\n", true},
		{"this.setData({ sessionKey: res.data.sk });\n", true},
	} {
		got := false
		for _, f := range s.ScanBytes("pages/a/a.js", []byte(tc.src), true) {
			got = got || f.Kind == KindSessionKey
		}
		if got != tc.want {
			t.Errorf("session_key reported = %v, want %v for:\n%s", got, tc.want, tc.src)
		}
	}
}

// TestCodeView: string contents are blanked except interpolations and
// short names; unterminated strings and stray quotes do not panic.
func TestCodeView(t *testing.T) {
	for in, want := range map[string][]string{
		"log(`GET ${url} now`)":         {"url"},
		`print(f"GET {url}")`:           {"url"},
		`error_log("fetch $tokenUrl");`: {"$tokenUrl"},
		`cfg("WX_SECRET")`:              {"WX_SECRET"},
		`log("the secret is missing")`:  nil,
	} {
		got := codeView(in)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("codeView(%q) = %q, want %q kept", in, got, w)
			}
		}
		if want == nil && strings.Contains(got, "secret") {
			t.Errorf("codeView(%q) = %q: a message's words are kept", in, got)
		}
	}
	for _, bad := range []string{`"`, "`${", `f"{`, `"$`, `'\`, "a = 'unterminated", `x("\\"`} {
		_ = codeView(bad)
		lf := &logFlow{text: []byte(bad), lines: splitLines([]byte(bad)), funcs: map[string]bool{}}
		lf.run()
	}
}

// TestTokenShapes: WeChat-shaped tokens are found under any name next to
// a WeChat API; placeholders, identifiers and other services' tokens are
// not.
func TestTokenShapes(t *testing.T) {
	s := mustScanner(t, Options{})
	tok := "86_" + strings.Repeat("aB3dE6gH9j", 12)
	api := "POST https://api.weixin.qq.com/cgi-bin/menu/create?access_token={{t}}\n"
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"@t = " + tok + "\n" + api, true},
		{"@t = 86_" + strings.Repeat("snake_case_name_", 4) + "\n" + api, false},
		{"@t = {{env_token}}\n" + api, false},
		{"ACCESS_TOKEN = \"ACCESS_TOKEN\"\n" + api, false},
		{"@t = " + tok + "\n", false}, // no WeChat API in the file, no token name
	} {
		got := false
		for _, f := range s.ScanBytes("wechat.http", []byte(tc.src), false) {
			got = got || f.Kind == KindAccessToken
		}
		if got != tc.want {
			t.Errorf("access_token reported = %v, want %v for:\n%s", got, tc.want, tc.src)
		}
	}
}
