// Package miniprogram_test runs the wxgate-miniprogram npm package's tests
// (node:test, in test/) against a real gateway wired to a real emulator,
// and checks what `npm pack` would publish.
package miniprogram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/wechat"
)

// stack is an emulator and a gateway with two mini-programs: "mp" (plain)
// and "mps" (sign_requests). Its URL also answers GET /_test/logins with
// the number of gateway logins per app, for the single-flight tests.
type stack struct {
	url, emuURL string
	apps        map[string]string // gateway app name → appid
	logs        *bytes.Buffer

	mu     sync.Mutex
	logins map[string]int
}

func newStack(t *testing.T) *stack {
	t.Helper()
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(emu)
	t.Cleanup(es.Close)
	st := &stack{emuURL: es.URL, apps: map[string]string{}, logs: &bytes.Buffer{}, logins: map[string]int{}}

	gs := httptest.NewUnstartedServer(nil)
	t.Cleanup(gs.Close)
	st.url = "http://" + gs.Listener.Addr().String()
	env := map[string]string{}
	var apps strings.Builder
	for _, a := range []struct{ name, extra string }{{"mp", ""}, {"mps", "    sign_requests: true\n"}} {
		app, err := emu.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: a.name, OpenAccount: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		st.apps[a.name] = app.AppID
		env["SECRET_"+strings.ToUpper(a.name)] = app.Secret
		fmt.Fprintf(&apps, "  - name: %s\n    type: miniprogram\n    appid: %s\n    secret_env: SECRET_%s\n%s", a.name, app.AppID, strings.ToUpper(a.name), a.extra)
	}
	dir := t.TempDir()
	limits := "security:\n  rate_limits:\n"
	for _, r := range []string{"login_ip", "login_failed_ip", "login_user", "decrypt_ip", "decrypt_user", "phone_ip", "phone_user"} {
		limits += "    " + r + ": {limit: -1}\n"
	}
	y := fmt.Sprintf("listen: 127.0.0.1:0\npublic_url: %s\nwechat:\n  api_base: %s\n  open_base: %s\n  timeout: 5s\ndatabase: sqlite:%s/wxgate.db\ncache: memory\nkeys_file: %s/keys\napps:\n%s%s",
		st.url, es.URL, es.URL, dir, dir, apps.String(), limits)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Parse([]byte(y), lookup)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "wxgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kv := memory.NewKV()
	t.Cleanup(func() { kv.Close() })
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, st.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw, err := gateway.New(gateway.Options{Config: cfg, Store: store, KV: kv, Keyring: kr, Logger: logger, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_test/logins", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		_ = json.NewEncoder(w).Encode(st.logins)
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/auth/miniprogram/login" {
			// Which app it is for is in the body; count what the gateway
			// answered 200, per app.
			rec := &statusWriter{ResponseWriter: w}
			var body bytes.Buffer
			r.Body = teeBody{r.Body, &body}
			gw.ServeHTTP(rec, r)
			var req struct{ App string }
			_ = json.Unmarshal(body.Bytes(), &req)
			if rec.status == http.StatusOK {
				st.mu.Lock()
				st.logins[req.App]++
				st.mu.Unlock()
			}
			return
		}
		gw.ServeHTTP(w, r)
	}))
	gs.Config.Handler = mux
	gs.Start()
	return st
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

type teeBody struct {
	r interface {
		Read([]byte) (int, error)
		Close() error
	}
	w *bytes.Buffer
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

func (t teeBody) Close() error { return t.r.Close() }

// nodeReady returns the node binary, failing with what to do when Node.js
// or the package's dev dependencies are missing.
func nodeReady(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the wxgate-miniprogram tests need Node.js 18 or later")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "terser")); err != nil {
		t.Fatal("clients/miniprogram/node_modules is missing: run `make deps-mpclient` (npm ci of the pinned dev dependencies)")
	}
	return node
}

// TestNodeSuite runs test/*.test.js against a real gateway and emulator.
func TestNodeSuite(t *testing.T) {
	node := nodeReady(t)
	st := newStack(t)
	apps, _ := json.Marshal(st.apps)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// One test file at a time: the single-flight tests count the
	// gateway's logins.
	files, err := filepath.Glob("test/*.test.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.test.js: %v", err)
	}
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(os.Environ(), "WXGATE_URL="+st.url, "WXGATE_EMULATOR_URL="+st.emuURL, "WXGATE_APPS="+string(apps))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	if !regexp.MustCompile(`(?m)^ℹ fail 0$`).Match(out) || !regexp.MustCompile(`(?m)^ℹ pass [1-9]`).Match(out) ||
		!regexp.MustCompile(`(?m)^ℹ skipped 0$`).Match(out) {
		t.Fatalf("node --test reported failures, skipped tests or none that passed:\n%s", out)
	}
}

// TestPack checks what `npm pack` would publish: the code, its types, the
// README and package.json, and nothing else (no tests, no Go files).
func TestPack(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed: the wxgate-miniprogram tests need Node.js and npm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "pack", "--dry-run", "--json", "--ignore-scripts")
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm pack: %v\n%s", err, stderr.String())
	}
	var packs []struct {
		Name  string
		Files []struct{ Path string }
	}
	if err := json.Unmarshal(out, &packs); err != nil || len(packs) != 1 {
		t.Fatalf("npm pack --json: %v\n%s", err, out)
	}
	var files []string
	for _, f := range packs[0].Files {
		files = append(files, f.Path)
	}
	sort.Strings(files)
	want := []string{"README.md", "index.d.ts", "index.js", "package.json"}
	if packs[0].Name != "wxgate-miniprogram" || !slices.Equal(files, want) {
		t.Fatalf("npm pack would publish %s %v, want wxgate-miniprogram %v", packs[0].Name, files, want)
	}
}

// TestErrorCodesCovered checks that every error code of the gateway's
// catalogue (gateway/errors*.go) becomes a typed error in index.js (a
// subclass of WxgateError, by its code or else by its status), and lists
// the codes index.js does not name yet, so they can be added to KINDS.
func TestErrorCodesCovered(t *testing.T) {
	node := nodeReady(t)
	files, err := filepath.Glob("../../gateway/errors*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no gateway/errors*.go: %v", err)
	}
	statuses := map[string]int{
		"StatusBadRequest": 400, "StatusUnauthorized": 401, "StatusForbidden": 403, "StatusNotFound": 404,
		"StatusMethodNotAllowed": 405, "StatusConflict": 409, "StatusGone": 410, "StatusRequestEntityTooLarge": 413,
		"StatusUnsupportedMediaType": 415, "StatusTooManyRequests": 429, "StatusInternalServerError": 500,
		"StatusBadGateway": 502, "StatusServiceUnavailable": 503, "StatusGatewayTimeout": 504,
	}
	// The catalogue defines each code once: defineError(status, "code", ...).
	codeRE := regexp.MustCompile(`define(?:Retry)?Error\((?:http\.)?(\w+),\s*"([a-z][a-z0-9_]+)"`)
	type entry struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	var codes []entry
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeRE.FindAllSubmatch(src, -1) {
			st, ok := statuses[string(m[1])]
			if !ok {
				if n, err := strconv.Atoi(string(m[1])); err == nil {
					st, ok = n, true
				}
			}
			if !ok {
				t.Errorf("code %s: unknown status %s: add it to this test's table", m[2], m[1])
				continue
			}
			codes = append(codes, entry{string(m[2]), st})
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d error codes in gateway/errors*.go: has the way they are defined changed? Update this test", len(codes))
	}
	in, _ := json.Marshal(codes)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "test/classify.js")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("classify.js: %v\n%s", err, out)
	}
	var got map[string]struct {
		Class string `json:"class"`
		Named bool   `json:"named"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("classify.js: %v\n%s", err, out)
	}
	var unnamed []string
	for _, c := range codes {
		g := got[c.Code]
		if g.Class == "" || g.Class == "WxgateError" {
			t.Errorf("gateway error code %q (%d) has no typed error in index.js: %+v", c.Code, c.Status, g)
		}
		if !g.Named {
			unnamed = append(unnamed, c.Code)
		}
	}
	if len(unnamed) > 0 {
		t.Logf("typed by their status only (add them to KINDS in index.js and to index.d.ts): %v", unnamed)
	}
}
