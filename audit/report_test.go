package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func corpusFindings(t *testing.T) []Finding {
	t.Helper()
	res, err := mustScanner(t, Options{}).Scan(context.Background(), []string{corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// TestSARIF checks the structure code-scanning tools require of SARIF
// 2.1.0: version, $schema, runs[].tool.driver.name and rules, and for each
// result ruleId, message.text and a physical location with a URI and a
// start line, the rule being one the driver declares.
func TestSARIF(t *testing.T) {
	fs := corpusFindings(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["version"] != "2.1.0" {
		t.Errorf("version %v", doc["version"])
	}
	if s, _ := doc["$schema"].(string); !strings.Contains(s, "sarif-2.1.0") {
		t.Errorf("$schema %v", doc["$schema"])
	}
	runs, _ := doc["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs %v", doc["runs"])
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "wxgate" {
		t.Errorf("driver name %v", driver["name"])
	}
	rules, _ := driver["rules"].([]any)
	ids := map[string]int{}
	for i, r := range rules {
		rm := r.(map[string]any)
		id, _ := rm["id"].(string)
		if id == "" || rm["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule %d: %v", i, rm)
		}
		ids[id] = i
	}
	results, _ := run["results"].([]any)
	if len(results) != len(fs) {
		t.Fatalf("%d results, want %d", len(results), len(fs))
	}
	for i, r := range results {
		rm := r.(map[string]any)
		id, _ := rm["ruleId"].(string)
		idx, ok := ids[id]
		if !ok || int(rm["ruleIndex"].(float64)) != idx {
			t.Errorf("result %d: ruleId %q / ruleIndex %v not a declared rule", i, id, rm["ruleIndex"])
		}
		if msg, _ := rm["message"].(map[string]any)["text"].(string); msg == "" {
			t.Errorf("result %d: no message.text", i)
		}
		locs, _ := rm["locations"].([]any)
		if len(locs) == 0 {
			t.Fatalf("result %d: no locations", i)
		}
		pl := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri, _ := pl["artifactLocation"].(map[string]any)["uri"].(string)
		line, _ := pl["region"].(map[string]any)["startLine"].(float64)
		if uri == "" || strings.HasPrefix(uri, "/") || line < 1 {
			t.Errorf("result %d: uri %q line %v", i, uri, line)
		}
	}
}

func TestJSONReport(t *testing.T) {
	fs := corpusFindings(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != len(fs) {
		t.Fatalf("%d findings, want %d", len(doc.Findings), len(fs))
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"kind", "file", "line", "message", "excerpt", "fingerprint", "fix"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding without %q: %v", k, f)
			}
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != `{
  "findings": []
}` {
		t.Errorf("empty report: %q %v", buf.String(), err)
	}
}

func TestTextReport(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, corpusFindings(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"backend/php/get_openid.php:12: code2session_passthrough:", "What to do:", "AppSecret 重置", "renaming the field does not fix it"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

// TestBaseline: writing the current findings as a baseline and reading it
// back suppresses all of them; the file holds no secret; fingerprints
// survive edits that move lines.
func TestBaseline(t *testing.T) {
	fs := corpusFindings(t)
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := WriteBaseline(path, fs); err != nil {
		t.Fatal(err)
	}
	bl, err := LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if kept, n := bl.Filter(fs); len(kept) != 0 || n != len(fs) {
		t.Errorf("kept %d, suppressed %d of %d", len(kept), n, len(fs))
	}
	raw, _ := os.ReadFile(path)
	for _, f := range fs {
		if f.value != "" && strings.Contains(string(raw), f.value) {
			t.Errorf("the baseline holds a secret of %s:%d", f.File, f.Line)
		}
	}
	// A plain list of fingerprints works too, and a report's JSON.
	for _, doc := range []string{`["` + fs[0].Fingerprint + `"]`, `{"findings":[{"fingerprint":"` + fs[0].Fingerprint + `"}]}`} {
		bl, err := ParseBaseline([]byte(doc))
		if err != nil || bl.Len() != 1 {
			t.Errorf("%s: %v", doc, err)
		}
	}
	for _, bad := range []string{`{`, `[1]`, `[{}]`, `"x"`} {
		if _, err := ParseBaseline([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	// Moving a leak down does not change its fingerprint.
	s := mustScanner(t, Options{})
	src := "wechat:\n  appid: wx0a1b2c3d4e5f6071\n  secret: 8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a\n"
	a := s.ScanBytes("config.yaml", []byte(src), false)
	b := s.ScanBytes("config.yaml", []byte("# comment\n\n"+src), false)
	if len(a) != 1 || len(b) != 1 || a[0].Fingerprint != b[0].Fingerprint || a[0].Line == b[0].Line {
		t.Errorf("fingerprints %v / %v", a, b)
	}
}

// TestVerify checks found appid+secret pairs against an emulator: a valid
// pair is "valid", a wrong secret "invalid", a secret without an appid
// "unverified"; only stable_token is called, never cgi-bin/token.
func TestVerify(t *testing.T) {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	app, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram})
	if err != nil {
		t.Fatal(err)
	}
	src := "APPID=" + app.AppID + "\nWX_APP_SECRET=" + app.Secret + "\n" +
		"OLD_APPID=" + app.AppID + "\nOLD_APP_SECRET=8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a\n" +
		strings.Repeat("LOG_LEVEL=info # far from any appid\n", 20) +
		"LONE_SECRET=5e2d8c1a7f3b9e4d6c0a2b8f1d7e3c9a\n"
	fs := mustScanner(t, Options{}).ScanBytes(".env", []byte(src), false)
	if len(fs) != 3 {
		t.Fatalf("findings %v", lines(fs))
	}
	if err := Verify(context.Background(), fs, VerifyOptions{APIBase: srv.URL}); err != nil {
		t.Fatal(err)
	}
	want := []string{"valid:", "invalid:", "unverified:"}
	for i, f := range fs {
		if !strings.HasPrefix(f.Verified, want[i]) {
			t.Errorf("line %d: verified %q, want %s", f.Line, f.Verified, want[i])
		}
	}
	st := e.Stats()
	if st.Calls["/cgi-bin/token"] != 0 || st.Calls["/cgi-bin/stable_token"] != 2 {
		t.Errorf("calls %v: want two stable_token calls and no cgi-bin/token", st.Calls)
	}
	assertNoValuesPrinted(t, fs, app.Secret)
}
