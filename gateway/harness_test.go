package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/logging"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/wechat"
)

// harness is a gateway wired to an in-process emulator, with real storage,
// a real keyring and configuration parsed from YAML, as `wxgate serve`
// builds it. Everything the gateway logs and answers is captured so tests
// can search it for secrets.
type harness struct {
	t      testing.TB
	emu    *emulator.Emulator
	emuURL string
	ctl    *emulator.Client
	gw     *Server
	url    string
	cfg    *config.Config
	store  storage.Store
	kv     storage.KV
	apps   map[string]emulator.App // emulator apps by gateway app name
	logs   *syncBuffer
	clock  *testClock
	// keysFile is the keyring file the gateway was started with.
	keysFile string
	// env is the gateway's environment (guarded by mu): app secrets as
	// SECRET_<NAME>, and INTERNAL_KEY.
	env map[string]string

	mu      sync.Mutex
	answers bytes.Buffer // every response body and header the tests read
	codes   []string     // every single-use code the tests obtained
}

func (h *harness) noteCode(c string) string {
	h.mu.Lock()
	h.codes = append(h.codes, c)
	h.mu.Unlock()
	return c
}

// testClock is the gateway's clock: real time plus an offset tests move.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// appDef is an app both registered in the emulator and configured in the
// gateway.
type appDef struct {
	name, typ, openAccount, extra string
	// server is the emulator's server configuration of an official
	// account; "{gateway}" in its ServerURL is the gateway's URL.
	server emulator.ServerSpec
}

var defaultApps = []appDef{
	{name: "mp", typ: "miniprogram", openAccount: "acme"},
	{name: "ios", typ: "mobile", openAccount: "acme"},
	{name: "mp2", typ: "miniprogram"}, // not in an open account: no unionid
	{name: "web", typ: "website", openAccount: "acme"},
	{name: "oa", typ: "official_account", openAccount: "acme"},
	{name: "mpx", typ: "miniprogram", openAccount: "other", extra: "    expose_openid: true\n"},
}

type harnessOption func(*harnessConfig)

type harnessConfig struct {
	emu      emulator.Behaviour
	quiet    bool // discard logs (benchmarks)
	apps     []appDef
	database string // "" = sqlite in a temp dir
	yaml     string // extra top-level YAML
	timeout  string
	env      map[string]string // extra environment
}

func withYAML(y string) harnessOption     { return func(c *harnessConfig) { c.yaml += y } }
func withDatabase(u string) harnessOption { return func(c *harnessConfig) { c.database = u } }
func withTimeout(d string) harnessOption  { return func(c *harnessConfig) { c.timeout = d } }
func withEmulator(b emulator.Behaviour) harnessOption {
	return func(c *harnessConfig) { c.emu = b }
}
func quiet() harnessOption { return func(c *harnessConfig) { c.quiet = true } }
func withEnv(k, v string) harnessOption {
	return func(c *harnessConfig) {
		if c.env == nil {
			c.env = map[string]string{}
		}
		c.env[k] = v
	}
}
func withApps(apps []appDef) harnessOption {
	return func(c *harnessConfig) { c.apps = apps }
}

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	hc := harnessConfig{apps: defaultApps, timeout: "5s"}
	for _, o := range opts {
		o(&hc)
	}
	h := &harness{t: t, apps: map[string]emulator.App{}, logs: &syncBuffer{}, clock: &testClock{}}
	var err error
	h.emu, err = emulator.New(emulator.Options{LongPoll: 200 * time.Millisecond, Behaviour: hc.emu})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(h.emu)
	t.Cleanup(es.Close)
	h.emuURL = es.URL
	h.ctl = emulator.NewClient(es.URL, es.Client())

	// The gateway's listener comes first: its address is the public URL,
	// and the callback domain of the website and official-account apps.
	gs := httptest.NewUnstartedServer(nil)
	t.Cleanup(gs.Close)
	h.url = "http://" + gs.Listener.Addr().String()
	h.env = map[string]string{"INTERNAL_KEY": "internal-key-for-tests-0123456789abcdef"}
	env := h.env
	maps.Copy(env, hc.env)
	var apps strings.Builder
	for _, d := range hc.apps {
		spec := emulator.AppSpec{Type: wechat.AppType(d.typ), Name: d.name, OpenAccount: d.openAccount}
		if d.typ == "website" || d.typ == "official_account" {
			spec.CallbackDomain = gs.Listener.Addr().String()
		}
		spec.ServerSpec = d.server
		spec.ServerURL = strings.ReplaceAll(spec.ServerURL, "{gateway}", h.url)
		a, err := h.emu.CreateApp(spec)
		if err != nil {
			t.Fatal(err)
		}
		h.apps[d.name] = a
		envName := "SECRET_" + strings.ToUpper(d.name)
		env[envName] = a.Secret
		fmt.Fprintf(&apps, "  - name: %s\n    type: %s\n    appid: %s\n    secret_env: %s\n%s", d.name, d.typ, a.AppID, envName, d.extra)
	}
	dir := t.TempDir()
	db := hc.database
	switch {
	case db == "":
		db = "sqlite:" + dir + "/wxgate.db"
	case strings.HasPrefix(db, "sqlite:?"): // parameters for a database in the temp dir
		db = "sqlite:file:" + dir + "/wxgate.db" + strings.TrimPrefix(db, "sqlite:")
	}
	if !strings.Contains(hc.yaml, "security:") {
		// Tests make many requests from one address: limits are off unless
		// a test sets its own.
		hc.yaml += "security:\n  rate_limits:\n"
		for _, r := range []string{"login_ip", "login_failed_ip", "login_user", "decrypt_ip", "decrypt_user", "phone_ip", "phone_user"} {
			hc.yaml += "    " + r + ": {limit: -1}\n"
		}
	}
	y := fmt.Sprintf("listen: 127.0.0.1:0\npublic_url: %s\nwechat:\n  api_base: %s\n  open_base: %s\n  timeout: %s\ndatabase: %s\ncache: memory\nkeys_file: %s/keys\napps:\n%s%s",
		h.url, es.URL, es.URL, hc.timeout, db, dir, apps.String(), hc.yaml)
	lookup := func(k string) (string, bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		v, ok := env[k]
		return v, ok
	}
	h.cfg, err = config.Parse([]byte(y), lookup)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(h.cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	h.keysFile = h.cfg.KeysFile
	ctx := context.Background()
	if strings.HasPrefix(db, "sqlite:") {
		h.store, err = sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"))
	} else {
		h.store, err = storage.Open(ctx, db)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	h.kv = memory.NewKV()
	t.Cleanup(func() { h.kv.Close() })
	// The gateway logs at debug level through the redacting handler, as
	// `wxgate serve` does, so the leak tests check what production logs.
	var gwp atomic.Pointer[Server]
	logger := logging.New(h.logs, "text", slog.LevelDebug, logging.Options{Secrets: func() []string {
		if g := gwp.Load(); g != nil {
			return g.SecretValues()
		}
		return nil
	}})
	if hc.quiet {
		logger = slog.New(slog.DiscardHandler)
	}
	h.gw, err = New(Options{
		Config: h.cfg, Store: h.store, KV: h.kv, Keyring: kr,
		Logger:    logger,
		Now:       h.clock.now,
		LookupEnv: lookup,
	})
	if err != nil {
		t.Fatal(err)
	}
	gwp.Store(h.gw)
	gs.Config.Handler = h.gw
	gs.Start()
	return h
}

// answer is a response with its decoded JSON body.
type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (a answer) obj(k string) map[string]any { m, _ := a.body[k].(map[string]any); return m }

// do sends a request to the gateway. body may be a string (sent as is) or
// a value (sent as JSON). headers are key, value pairs.
func (h *harness) do(method, path string, body any, headers ...string) answer {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	h.mu.Lock()
	h.answers.Write(raw)
	for k, vs := range resp.Header {
		fmt.Fprintf(&h.answers, "\n%s: %s", k, strings.Join(vs, ","))
	}
	h.mu.Unlock()
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// wantStatus fails unless the answer has the status (and error code).
func (h *harness) wantStatus(a answer, status int, code string) {
	h.t.Helper()
	if a.status != status || (code != "" && a.str("error") != code) {
		h.t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, code)
	}
	if status >= 400 && a.str("message") == "" {
		h.t.Fatalf("error answer without a message: %s", a.raw)
	}
}

// user creates an emulator user.
func (h *harness) user(nickname string) string {
	h.t.Helper()
	id, err := h.emu.CreateUser(emulator.UserSpec{Nickname: nickname, City: "Shenzhen"})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// wxLogin is what wx.login does in the mini-program: a code (and a new
// session_key on WeChat's side).
func (h *harness) wxLogin(app, userID string) string {
	h.t.Helper()
	code, err := h.ctl.MiniProgramLogin(context.Background(), h.apps[app].AppID, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.noteCode(code)
}

// mpLogin logs a user into the gateway through a mini-program app and
// returns the answer.
func (h *harness) mpLogin(app, userID string) answer {
	h.t.Helper()
	a := h.do("POST", "/auth/miniprogram/login", map[string]string{"app": app, "code": h.wxLogin(app, userID)})
	h.wantStatus(a, 200, "")
	return a
}

func (h *harness) identity(app, userID string) emulator.Identity {
	h.t.Helper()
	id, err := h.emu.Identity(userID, h.apps[app].AppID)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// secretsSeen lists every secret the emulator issued for these users, plus
// the apps' secrets: the values no answer or log line may contain.
func (h *harness) secretsSeen(users ...string) []string {
	var out []string
	for _, a := range h.apps {
		out = append(out, a.Secret)
		for _, u := range users {
			id, err := h.emu.Identity(u, a.AppID)
			if err != nil {
				continue
			}
			out = append(out, id.OpenID, id.SessionKey)
			if id.UnionID != "" {
				out = append(out, id.UnionID)
			}
		}
	}
	return out
}

// assertNoLeak searches the captured answers and logs for each value.
func (h *harness) assertNoLeak(values ...string) {
	h.t.Helper()
	h.mu.Lock()
	answers := h.answers.String()
	h.mu.Unlock()
	logs := h.logs.String()
	for _, v := range values {
		if v == "" {
			continue
		}
		if strings.Contains(answers, v) {
			h.t.Errorf("a response carries a secret value (%d chars, starts %q)", len(v), v[:min(4, len(v))])
		}
		if strings.Contains(logs, v) {
			h.t.Errorf("the log carries a secret value (%d chars, starts %q)", len(v), v[:min(4, len(v))])
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// serve sends a request straight to a gateway's handler (one not behind
// the harness's server), with a Bearer token.
func (h *harness) serve(gw *Server, method, path, body, tok string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	gw.ServeHTTP(w, r)
	return w
}

// setEnv changes the gateway's environment, as an operator would.
func (h *harness) setEnv(k, v string) {
	h.mu.Lock()
	h.env[k] = v
	h.mu.Unlock()
}
