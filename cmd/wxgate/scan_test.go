package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

const scanCorpus = "../../audit/testdata/corpus"

// runScanCmd runs `wxgate scan args...` through the dispatcher and returns
// the exit status and outputs.
func runScanCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"scan"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestScanExitStatus(t *testing.T) {
	clean := t.TempDir()
	if err := os.WriteFile(filepath.Join(clean, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout, or stderr for errors
	}{
		{"findings", []string{scanCorpus + "/backend/php"}, 1, "code2session_passthrough"},
		{"clean", []string{clean}, 0, "No WeChat secrets"},
		{"look-alikes only", []string{scanCorpus + "/lookalikes", scanCorpus + "/docs", scanCorpus + "/har/clean.har"}, 0, "No WeChat secrets"},
		{"no path", nil, 2, "name at least one PATH"},
		{"missing path", []string{filepath.Join(clean, "nope")}, 2, "no such file"},
		{"bad format", []string{"--format", "xml", clean}, 2, "--format must be"},
		{"bad flag", []string{"--bogus", clean}, 2, "flag provided but not defined"},
		{"short secret", []string{"--secret", "abc", clean}, 2, "too short"},
		{"unset secret-env", []string{"--secret-env", "WXGATE_TEST_UNSET_VARIABLE", clean}, 2, "not set"},
		{"help", []string{"-h"}, 0, "Usage: wxgate scan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runScanCmd(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.out) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.out, stdout, stderr)
			}
		})
	}
}

func TestScanFormats(t *testing.T) {
	code, out, _ := runScanCmd(t, "--format", "json", scanCorpus)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Findings []struct {
			Kind, File, Message, Excerpt string
			Line                         int
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) < 40 {
		t.Errorf("%d findings", len(doc.Findings))
	}
	for _, f := range doc.Findings {
		if f.Kind == "" || f.File == "" || f.Line < 1 || f.Message == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	code, out, _ = runScanCmd(t, "--format", "sarif", scanCorpus+"/miniprogram")
	if code != 1 || !strings.Contains(out, `"version": "2.1.0"`) || !strings.Contains(out, `"ruleId": "client_decrypt"`) {
		t.Errorf("sarif: exit %d\n%s", code, out)
	}
}

// TestScanSecretsFromEverywhere: --secret, --secret-env and
// WXGATE_SCAN_SECRETS; standard input; the value never printed.
func TestScanSecretsFromEverywhere(t *testing.T) {
	const a, b, c = "5b1d9e3f7a2c4e6b8d0f1a3c5e7b9d2f", "Zm9vYmFyYmF6cXV4MTIzNA==", "cGxhbnRlZC10aGlyZC1zZWNyZXQ="
	dir := t.TempDir()
	enc := base64.StdEncoding.EncodeToString([]byte(`{"debug":"` + a + `"}`))
	if err := os.WriteFile(filepath.Join(dir, "dump.txt"), []byte("blob="+enc+"\nk="+strings.ReplaceAll(b, "=", "%3D")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_KEY", b)
	t.Setenv(scanSecretsEnv, c+",")
	old := scanStdin
	scanStdin = strings.NewReader("GET /x?token=" + c + "\n")
	defer func() { scanStdin = old }()
	code, out, stderr := runScanCmd(t, "--format", "json", "--secret", a, "--secret-env", "TEST_KEY", dir, "-")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"line": 1`, `"line": 2`, `"file": "-"`, "base64-encoded", "url-encoded"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %s:\n%s", want, out)
		}
	}
	for _, v := range []string{a, b, c, enc} {
		if strings.Contains(out+stderr, v) {
			t.Errorf("a secret is printed (starts %q)", v[:4])
		}
	}
}

func TestScanBaseline(t *testing.T) {
	bl := filepath.Join(t.TempDir(), "accepted.json")
	code, _, stderr := runScanCmd(t, "--write-baseline", bl, scanCorpus+"/backend")
	if code != 0 || !strings.Contains(stderr, "accepted finding") {
		t.Fatalf("write-baseline: exit %d: %s", code, stderr)
	}
	code, out, stderr := runScanCmd(t, "--baseline", bl, scanCorpus+"/backend")
	if code != 0 || !strings.Contains(stderr, "not shown") {
		t.Errorf("with the baseline: exit %d\n%s\n%s", code, out, stderr)
	}
	// New leaks elsewhere are still reported.
	if code, _, _ := runScanCmd(t, "--baseline", bl, scanCorpus+"/backend", scanCorpus+"/logs"); code != 1 {
		t.Errorf("new findings with the baseline: exit %d", code)
	}
	if code, _, _ := runScanCmd(t, "--baseline", filepath.Join(t.TempDir(), "missing.json"), scanCorpus); code != 2 {
		t.Errorf("missing baseline: exit %d", code)
	}
}

func TestScanUnreadableFileIsAnError(t *testing.T) {
	if os.Geteuid() == 0 {
		// root reads anything: make the file unreadable another way.
		dir := t.TempDir()
		if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling.js")); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := runScanCmd(t, filepath.Join(dir, "dangling.js")); code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		return
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.js")
	if err := os.WriteFile(p, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runScanCmd(t, dir); code != 2 || !strings.Contains(stderr, "incomplete") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestScanVerify(t *testing.T) {
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
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("wx:\n  appid: "+app.AppID+"\n  secret: "+app.Secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runScanCmd(t, "--verify", "--api-base", srv.URL, dir)
	if code != 1 || !strings.Contains(out, "verified: valid") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, app.Secret) {
		t.Error("the secret is printed")
	}
	if n := e.Stats().Calls["/cgi-bin/token"]; n != 0 {
		t.Errorf("--verify called cgi-bin/token %d times", n)
	}
}
