package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustScanner(t testing.TB, o Options) *Scanner {
	t.Helper()
	s, err := NewScanner(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func lines(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d %s", f.Line, f.Kind))
	}
	return out
}

// TestSecretEveryEncoding plants a known AppSecret and a known session_key
// (--secret) in every common encoding; each is found, with the kind its
// shape says, and no output shows them.
func TestSecretEveryEncoding(t *testing.T) {
	const secret = "4f9c2a7e1b3d5c6a8e0f2b4d6a8c0e1f"
	const key = "q8Zx+Fk2/Lm9Pn4Rs7Tu1w=="
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct{ name, line string }{
		{"raw", "x = " + secret},
		{"url-encoded key", "k=" + url.QueryEscape(key)},
		{"lower-case escapes", "k=" + strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(url.QueryEscape(key))},
		{"json-escaped slash", `{"k":"` + strings.ReplaceAll(key, "/", `\/`) + `"}`},
		{"json \\u escapes", `{"k":"q8Zx\u002bFk2\u002fLm9Pn4Rs7Tu1w\u003d\u003d"}`},
		{"base64", "blob " + b64(secret)},
		{"base64 inside a longer blob, offset 1", "blob " + b64("x"+secret+"tail")},
		{"base64 inside a longer blob, offset 2", "blob " + b64("xy"+secret+"tail")},
		{"base64url", "blob " + base64.RawURLEncoding.EncodeToString([]byte("{\"s\":\""+key+"\"}"))},
		{"hex", "h=" + hex.EncodeToString([]byte(key))},
		{"upper-case hex", "H=" + strings.ToUpper(hex.EncodeToString([]byte(secret)))},
		{"split over a query string", "GET /x?a=" + secret[:16] + "&b=" + secret[16:] + " 200"},
	}
	var text strings.Builder
	for _, c := range cases {
		text.WriteString(c.line + "\n")
	}
	s := mustScanner(t, Options{Secrets: []string{secret, key}})
	fs := s.ScanBytes("capture.log", []byte(text.String()), false)
	got := map[int]Kind{}
	for _, f := range fs {
		got[f.Line] = f.Kind
	}
	for i, c := range cases {
		if _, ok := got[i+1]; !ok {
			t.Errorf("%s (line %d): not found", c.name, i+1)
		}
	}
	for _, f := range fs {
		if f.Kind != KindAppSecret && f.Kind != KindSessionKey {
			t.Errorf("line %d: kind %s", f.Line, f.Kind)
		}
	}
	assertNoValuesPrinted(t, fs, secret, key)
}

// assertNoValuesPrinted renders findings in every format and searches the
// output for each value and its common encodings.
func assertNoValuesPrinted(t *testing.T, fs []Finding, values ...string) {
	t.Helper()
	var out bytes.Buffer
	for _, f := range []string{FormatText, FormatJSON, FormatSARIF} {
		if err := WriteReport(&out, f, fs, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range values {
		for _, n := range newNeedle(KindAppSecret, v, "").variants {
			if strings.Contains(out.String(), n.Text) {
				t.Errorf("the report shows a planted value (%s form, starts %q)", n.How, n.Text[:4])
			}
		}
	}
}

func TestSecretTooShort(t *testing.T) {
	if _, err := NewScanner(Options{Secrets: []string{"abc"}}); err == nil {
		t.Fatal("a 3-character secret was accepted")
	}
}

// TestChunkedScanMatchesWholeScan: a file over the size cap is read in
// overlapping chunks and gives exactly the findings (and lines) of a whole
// read, including leaks that straddle chunk boundaries.
func TestChunkedScanMatchesWholeScan(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		switch {
		case i%397 == 0:
			fmt.Fprintf(&b, "2024-06-01 INFO GET /sns/jscode2session?appid=wx0a1b2c3d4e5f6071&secret=%032x&js_code=X\n", 0x9e3779b97f4a7c15*uint64(i+1))
		case i%211 == 0:
			fmt.Fprintf(&b, `answer {"session_key":"%s","openid":"oAbC1dEfGhIjKlMnOpQrStUvWxYz"}`+"\n", base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("k%015d", i))))
		default:
			fmt.Fprintf(&b, "2024-06-01 INFO request %d served in %dms for /api/orders?page=%d\n", i, i%97, i%13)
		}
	}
	data := []byte(b.String())
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	whole := mustScanner(t, Options{}).ScanBytes(filepath.ToSlash(path), data, false)
	if len(whole) < 20 {
		t.Fatalf("whole read: %d findings, want the planted ones", len(whole))
	}
	for _, size := range []int64{4096, 1000, 65536} {
		res, err := mustScanner(t, Options{MaxFileSize: size}).Scan(context.Background(), []string{path})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lines(res.Findings), lines(whole)) {
			t.Errorf("chunks of %d: %v\nwhole: %v", size, lines(res.Findings), lines(whole))
		}
		if res.Stats.Bytes != int64(len(data)) {
			t.Errorf("chunks of %d: %d bytes scanned, want %d", size, res.Stats.Bytes, len(data))
		}
		// A stream (standard input) is read in chunks too.
		res, err = mustScanner(t, Options{MaxFileSize: size}).ScanReader(filepath.ToSlash(path), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lines(res.Findings), lines(whole)) {
			t.Errorf("stream in chunks of %d: %v\nwhole: %v", size, lines(res.Findings), lines(whole))
		}
	}
}

// TestWalkSkips: .git, vendored folders, binary files and binary
// extensions are skipped, unless All.
func TestWalkSkips(t *testing.T) {
	dir := t.TempDir()
	leak := "const cfg = { appid: 'wx0a1b2c3d4e5f6071', secret: '8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a' };\n"
	writeFiles(t, dir, map[string]string{
		"src/config.js":                 leak,
		".git/config":                   leak,
		"node_modules/pkg/index.js":     leak,
		"vendor/lib/cfg.php":            leak,
		"miniprogram_npm/x/index.js":    leak,
		"assets/logo.png":               leak,
		"build/blob.bin":                "\x00\x01" + leak,
		"cloudfunctions/login/index.js": leak,
	})
	res, err := mustScanner(t, Options{}).Scan(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range res.Findings {
		files = append(files, strings.TrimPrefix(f.File, filepath.ToSlash(dir)+"/"))
	}
	if want := []string{"cloudfunctions/login/index.js", "src/config.js"}; !slices.Equal(files, want) {
		t.Errorf("default: findings in %v, want %v", files, want)
	}
	if res.Stats.Skipped != 1 { // the binary .bin; .png and vendored folders are never opened
		t.Errorf("skipped %d, want 1", res.Stats.Skipped)
	}
	res, err = mustScanner(t, Options{All: true}).Scan(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 8 {
		t.Errorf("All: %d findings, want 8: %v", len(res.Findings), lines(res.Findings))
	}
}

func TestScanMissingPath(t *testing.T) {
	if _, err := mustScanner(t, Options{}).Scan(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Fatal("no error for a missing path")
	}
}

// TestRoles: the same JavaScript is client-side code in a mini-program
// project (jscode2session from the client is a finding) and backend code
// in a Node server (calling it is the job).
func TestRoles(t *testing.T) {
	js := "const url = 'https://api.weixin.qq.com/sns/jscode2session?appid=' + APPID;\nwx.request({ url });\n"
	node := "const express = require('express');\nconst url = 'https://api.weixin.qq.com/sns/jscode2session?appid=' + process.env.APPID;\n"
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"mp/project.config.json": `{"appid":"wx0a1b2c3d4e5f6071"}`,
		"mp/pages/a/a.js":        "const url = 'https://api.weixin.qq.com/sns/jscode2session';\n",
		"web/bundle.js":          js,
		"server/login.js":        node,
	})
	res, err := mustScanner(t, Options{}).Scan(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[strings.TrimPrefix(f.File, filepath.ToSlash(dir)+"/")] = f.Kind == KindClientWeChatAPI
	}
	for _, f := range []string{"mp/pages/a/a.js", "web/bundle.js"} {
		if !got[f] {
			t.Errorf("%s: client_wechat_api not reported", f)
		}
	}
	if _, ok := got["server/login.js"]; ok {
		t.Error("server/login.js: a Node backend calling jscode2session was reported")
	}
}

func TestScanReaderHAR(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "har/miniprogram.har"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mustScanner(t, Options{}).ScanReader("-", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, l := range loadManifest(t) {
		if l.File == "har/miniprogram.har" {
			want++
		}
	}
	if len(res.Findings) != want {
		t.Errorf("stdin HAR: %d findings, want %d", len(res.Findings), want)
	}
	for _, f := range res.Findings {
		if f.File != "-" {
			t.Errorf("file %q, want -", f.File)
		}
	}
}

// TestMalformedHARScannedAsText: a .har that is not JSON is still read,
// as text, with a note.
func TestMalformedHARScannedAsText(t *testing.T) {
	var notes []error
	s := mustScanner(t, Options{Warn: func(err error) { notes = append(notes, err) }})
	fs := s.ScanBytes("broken.har", []byte(`{"log": {"entries": [ GET /x?appid=wx0a1b2c3d4e5f6071&secret=8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a`), false)
	if len(fs) != 1 || fs[0].Kind != KindAppSecret {
		t.Errorf("findings %v", lines(fs))
	}
	if len(notes) != 1 || !strings.Contains(notes[0].Error(), ErrScannedAsText.Error()) {
		t.Errorf("notes %v", notes)
	}
}

// TestCorpusOutputsHoldNoSecret renders the whole corpus report in every
// format and searches it for every leaked value the scan found.
func TestCorpusOutputsHoldNoSecret(t *testing.T) {
	res, err := mustScanner(t, Options{}).Scan(context.Background(), []string{corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, f := range res.Findings {
		if f.value != "" {
			values = append(values, f.value)
		}
	}
	if len(values) < 25 {
		t.Fatalf("only %d findings carry a value", len(values))
	}
	assertNoValuesPrinted(t, res.Findings, values...)
	for _, f := range res.Findings {
		if strings.Contains(f.Fingerprint, f.value) && f.value != "" {
			t.Errorf("%s:%d: the fingerprint holds the value", f.File, f.Line)
		}
	}
}

func TestPassthrough(t *testing.T) {
	tests := []struct {
		name, file, code string
		want             int // line of the finding, 0 for none
	}{
		{"php echo", "a.php", "<?php\n$r = file_get_contents(\"https://api.weixin.qq.com/sns/jscode2session?appid=$a&secret=$s&js_code=$c\");\necho $r;\n", 3},
		{"php extracts openid", "a.php", "<?php\n$r = json_decode(file_get_contents(\"https://api.weixin.qq.com/sns/jscode2session?js_code=$c\"), true);\necho json_encode(['openid' => $r['openid']]);\n", 0},
		{"php curl then echo", "a.php", "<?php\n$ch = curl_init();\ncurl_setopt($ch, CURLOPT_URL, \"https://api.weixin.qq.com/sns/jscode2session?js_code=$c\");\n$out = curl_exec($ch);\nexit($out);\n", 5},
		{"php unset before echo", "a.php", "<?php\n$d = json_decode(file_get_contents(\"https://api.weixin.qq.com/sns/jscode2session?js_code=$c\"), true);\nunset($d['session_key']);\necho json_encode($d);\n", 0},
		{"express send", "a.js", "const express = require('express');\napp.get('/l', async (req, res) => {\n  const r = await axios.get(`https://api.weixin.qq.com/sns/jscode2session?js_code=${req.query.code}`);\n  res.send(r.data);\n});\n", 4},
		{"express openid only", "a.js", "const express = require('express');\napp.get('/l', async (req, res) => {\n  const r = await axios.get(`https://api.weixin.qq.com/sns/jscode2session?js_code=${req.query.code}`);\n  res.send({ openid: r.data.openid });\n});\n", 0},
		{"pipe", "a.js", "const express = require('express');\napp.get('/l', (req, res) => {\n  request('https://api.weixin.qq.com/sns/jscode2session?js_code=' + req.query.code).pipe(res);\n});\n", 3},
		{"cloud function returns the SDK answer", "cloudfunctions/login/index.js", "exports.main = async (event) => {\n  const r = await got(`https://api.weixin.qq.com/sns/jscode2session?js_code=${event.code}`).json();\n  return r;\n};\n", 3},
		{"python helper only", "a.py", "import requests\n\ndef c2s(code):\n    return requests.get('https://api.weixin.qq.com/sns/jscode2session', params={'js_code': code}).json()\n", 0},
		{"python route returns the dict", "a.py", "import requests\n\n@app.post('/login')\ndef login(body):\n    r = requests.get('https://api.weixin.qq.com/sns/jscode2session', params={'js_code': body.code})\n    return r.json()\n", 6},
		{"python route returns openid", "a.py", "import requests\n\n@app.post('/login')\ndef login(body):\n    r = requests.get('https://api.weixin.qq.com/sns/jscode2session', params={'js_code': body.code})\n    return {'openid': r.json()['openid']}\n", 0},
		{"go io.Copy", "a.go", "package x\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tresp, _ := http.Get(\"https://api.weixin.qq.com/sns/jscode2session?js_code=\" + r.FormValue(\"code\"))\n\tio.Copy(w, resp.Body)\n}\n", 5},
		{"go decode into a map", "a.go", "package x\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tresp, _ := http.Get(\"https://api.weixin.qq.com/sns/jscode2session?js_code=\" + r.FormValue(\"code\"))\n\tvar m map[string]any\n\tjson.NewDecoder(resp.Body).Decode(&m)\n\tjson.NewEncoder(w).Encode(m)\n}\n", 7},
		{"java helper in a service", "S.java", "@Service\npublic class S {\n    public String session(String code) {\n        String url = \"https://api.weixin.qq.com/sns/jscode2session?js_code=\" + code;\n        return restTemplate.getForObject(url, String.class);\n    }\n}\n", 0},
		{"no jscode2session at all", "a.js", "const express = require('express');\napp.get('/x', (req, res) => res.json(req.query));\n", 0},
	}
	s := mustScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, f := range s.ScanBytes(tc.file, []byte(tc.code), false) {
				if f.Kind == KindCode2SessionPassthrough {
					got = append(got, f.Line)
				}
			}
			var want []int
			if tc.want > 0 {
				want = []int{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("lines %v, want %v", got, want)
			}
		})
	}
}

func TestSecretName(t *testing.T) {
	tests := map[string]int{
		"secret": 2, "appSecret": 2, "APP_SECRET": 2, "WX_APP_SECRET": 2, "wechat.miniapp.secret": 2, "AppSecret": 2,
		"$secret": 2, "data-appsecret": 1, "client_secret": 1, "WEIXIN_CLIENT_SECRET": 1, "secretValue": 1,
		"SECRET_KEY": 0, "jwt_secret": 0, "SESSION_SECRET": 0, "secret_md5": 0, "secretName": 0, "secret_env": 0,
		"token": 0, "appid": 0, "secretary": 0,
	}
	for name, want := range tests {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"3edf87da6dc2bd9a148492b81d6e1f89": "3edf…(32)",
		"short":                            "…(5)",
		"q8Zx+Fk2/Lm9Pn4Rs7Tu1w==":         "q8Zx…(24)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	got := redactRuns("GET /sns/jscode2session?appid=wx0a1b2c3d4e5f6071&key=q8Zx+Fk2/Lm9Pn4Rs7Tu1w== ok")
	if strings.Contains(got, "Lm9Pn4") || !strings.Contains(got, "/sns/jscode2session") {
		t.Errorf("redactRuns: %q", got)
	}
}
