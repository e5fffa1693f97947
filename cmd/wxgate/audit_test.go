package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const auditAppID = "wx0a1b2c3d4e5f6071"

// auditSecret is the target app's AppSecret, drawn per run so that no
// secret-shaped constant sits in the source.
var auditSecret = func() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}()

var emulatorLine = regexp.MustCompile(`emulator listening on (http://\S+)`)

// relayTarget is a mini-program backend whose WeChat base is the emulator
// the audit command starts (read from the command's stderr when the first
// login arrives). leaky relays jscode2session's answer; otherwise it
// answers with a token of its own.
func relayTarget(t *testing.T, stderr *syncBuffer, leaky bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Code string }
		if r.URL.Path != "/login" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.NotFound(w, r)
			return
		}
		m := emulatorLine.FindStringSubmatch(stderr.String())
		if m == nil {
			http.Error(w, "no emulator yet", http.StatusBadGateway)
			return
		}
		q := url.Values{"appid": {auditAppID}, "secret": {auditSecret}, "js_code": {req.Code}, "grant_type": {"authorization_code"}}
		resp, err := http.Get(m[1] + "/sns/jscode2session?" + q.Encode())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		if leaky {
			io.Copy(w, resp.Body)
			return
		}
		w.Write([]byte(`{"token":"opaque"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAuditCommand(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(auditSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		leaky bool
		code  int
	}{{"relays the answer", true, 1}, {"keeps it", false, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout syncBuffer
			var stderr syncBuffer
			target := relayTarget(t, &stderr, tc.leaky)
			code := run(context.Background(), []string{"audit", "--target", target.URL, "--appid", auditAppID, "--secret-file", secretFile,
				"--emulator-addr", "127.0.0.1:0", "--miniprogram-login", "/login", "--format", "json"}, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			var doc struct {
				Findings []struct{ Kind, File string } `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil {
				t.Fatal(err)
			}
			if tc.leaky && (len(doc.Findings) != 1 || doc.Findings[0].Kind != "session_key" || !strings.HasPrefix(doc.Findings[0].File, "POST "+target.URL+"/login")) {
				t.Errorf("findings %+v", doc.Findings)
			}
			if strings.Contains(stdout.String()+stderr.String(), auditSecret) {
				t.Error("the AppSecret is printed")
			}
		})
	}
}

func TestAuditCommandErrors(t *testing.T) {
	t.Setenv("WXGATE_TEST_AUDIT_SECRET", auditSecret)
	tests := []struct {
		name string
		args []string
		out  string
	}{
		{"no target", []string{"--miniprogram-login", "/l", "--appid", auditAppID, "--secret-env", "WXGATE_TEST_AUDIT_SECRET"}, "--target"},
		{"nothing to audit", []string{"--target", "http://127.0.0.1:1", "--appid", auditAppID, "--secret-env", "WXGATE_TEST_AUDIT_SECRET"}, "--miniprogram-login, --web-login"},
		{"no app", []string{"--target", "http://127.0.0.1:1", "--miniprogram-login", "/l"}, "--appid"},
		{"appid without its secret", []string{"--target", "http://127.0.0.1:1", "--miniprogram-login", "/l", "--appid", auditAppID}, "--secret-env NAME or --secret-file"},
		{"a literal secret is no flag", []string{"--target", "http://127.0.0.1:1", "--secret", auditSecret}, "flag provided but not defined"},
		{"bad login body", []string{"--target", "http://127.0.0.1:1", "--miniprogram-login", "/l", "--appid", auditAppID, "--secret-env", "WXGATE_TEST_AUDIT_SECRET", "--login-body", "[1]"}, "--login-body"},
		{"target down", []string{"--target", "http://127.0.0.1:1", "--miniprogram-login", "/l", "--appid", auditAppID, "--secret-env", "WXGATE_TEST_AUDIT_SECRET", "--emulator-addr", "127.0.0.1:0"}, "connect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := run(context.Background(), append([]string{"audit"}, tc.args...), &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.out) {
				t.Errorf("stderr lacks %q:\n%s", tc.out, stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), auditSecret) && tc.name != "a literal secret is no flag" {
				t.Error("the AppSecret is printed")
			}
		})
	}
}
