package oidc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/logging"
	"github.com/wxgate/wxgate/oidc"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/wechat"
)

// libraryLog captures what the protocol library logs through slog's
// default logger (it has no other), through the same redacting handler
// `wxgate serve` installs, so leak tests search it too.
var libraryLog = &syncBuffer{}

func TestMain(m *testing.M) {
	slog.SetDefault(logging.New(libraryLog, "text", slog.LevelDebug, logging.Options{}))
	os.Exit(m.Run())
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

// The relying parties' redirect URIs: nothing listens there, the test
// browser stops at them.
const (
	siteCallback   = "http://127.0.0.1:9/site/callback"
	spaCallback    = "http://127.0.0.1:9/spa/callback"
	otherCallback  = "http://127.0.0.1:9/other/callback"
	siteLoggedOut  = "http://127.0.0.1:9/site/bye"
	siteSecret     = "site-secret-0123456789abcdef0123456789abcdef"
	otherSecret    = "other-secret-0123456789abcdef0123456789abcdef"
	pairwiseSecret = "pairwise-secret-0123456789abcdef0123456789abcd"
)

// stack is an emulator, a gateway with the OpenID provider mounted, and
// everything they log and answer.
type stack struct {
	t      testing.TB
	emu    *emulator.Emulator
	emuURL string
	gw     *gateway.Server
	prov   *oidc.Provider
	url    string // the issuer
	cfg    *config.Config
	kv     storage.KV
	ckv    *countingKV
	clock  testClock

	db, cache string
	keyring   *seal.Keyring
	lookup    func(string) (string, bool)
	apps      map[string]emulator.App
	logs      *syncBuffer

	mu      sync.Mutex
	answers bytes.Buffer
	values  []string // every code and token the tests obtained
}

type stackOption struct {
	yaml  string // replaces the oidc section's top keys
	db    string // a database URL; "" is SQLite in a temporary folder
	cache string // a cache URL; "" is memory
}

func newStack(t testing.TB, opts ...func(*stackOption)) *stack {
	t.Helper()
	var so stackOption
	for _, o := range opts {
		o(&so)
	}
	s := &stack{t: t, apps: map[string]emulator.App{}, logs: &syncBuffer{}}
	var err error
	s.emu, err = emulator.New(emulator.Options{LongPoll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(s.emu)
	t.Cleanup(es.Close)
	s.emuURL = es.URL
	gs := httptest.NewUnstartedServer(nil)
	t.Cleanup(gs.Close)
	s.url = "http://" + gs.Listener.Addr().String()
	env := map[string]string{"SITE_SECRET": siteSecret, "OTHER_SECRET": otherSecret, "PAIRWISE_SECRET": pairwiseSecret}
	var apps strings.Builder
	for _, d := range []struct{ name, typ string }{{"web", "website"}, {"oa", "official_account"}} {
		a, err := s.emu.CreateApp(emulator.AppSpec{Type: wechat.AppType(d.typ), Name: d.name, OpenAccount: "acme", CallbackDomain: gs.Listener.Addr().String()})
		if err != nil {
			t.Fatal(err)
		}
		s.apps[d.name] = a
		env["SECRET_"+strings.ToUpper(d.name)] = a.Secret
		fmt.Fprintf(&apps, "  - name: %s\n    type: %s\n    appid: %s\n    secret_env: SECRET_%s\n", d.name, d.typ, a.AppID, strings.ToUpper(d.name))
	}
	dir := t.TempDir()
	db := so.db
	if db == "" {
		db = "sqlite:" + dir + "/wxgate.db"
	}
	oidcYAML := so.yaml
	if oidcYAML == "" {
		oidcYAML = "oidc:\n"
	}
	y := fmt.Sprintf(`listen: 127.0.0.1:0
public_url: %s
wechat:
  api_base: %s
  open_base: %s
database: %s
cache: memory
keys_file: %s/keys
apps:
%ssecurity:
  rate_limits:
    login_ip: {limit: -1}
    login_failed_ip: {limit: -1}
    login_user: {limit: -1}
%s  clients:
    - id: site
      name: Site
      secret_env: SITE_SECRET
      redirect_uris: [%s]
      post_logout_redirect_uris: [%s]
      scopes: [openid, profile, phone, offline_access]
    - id: spa
      public: true
      redirect_uris: [%s]
      scopes: [openid, profile, offline_access]
    - id: other
      secret_env: OTHER_SECRET
      redirect_uris: [%s]
      scopes: [openid, offline_access]
    - id: pairwise
      secret_env: PAIRWISE_SECRET
      redirect_uris: [%s]
      subject_type: pairwise
      release_unionid: true
`, s.url, es.URL, es.URL, db, dir, apps.String(), oidcYAML, siteCallback, siteLoggedOut, spaCallback, otherCallback, otherCallback)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	s.cfg, err = config.Parse([]byte(y), lookup)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(s.cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var st storage.Store
	if strings.HasPrefix(db, "sqlite:") {
		st, err = sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"))
	} else {
		st, err = storage.Open(ctx, db)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var base storage.KV = memory.NewKV()
	if so.cache != "" {
		if base, err = storage.OpenKV(ctx, so.cache); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { base.Close() })
	s.ckv = &countingKV{KV: base, sets: map[string]int{}}
	s.kv = s.ckv
	var gwp atomic.Pointer[gateway.Server]
	logger := logging.New(s.logs, "text", slog.LevelDebug, logging.Options{Secrets: func() []string {
		if g := gwp.Load(); g != nil {
			return g.SecretValues()
		}
		return nil
	}})
	s.gw, err = gateway.New(gateway.Options{Config: s.cfg, Store: st, KV: s.kv, Keyring: kr, Logger: logger, LookupEnv: lookup, Now: s.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	gwp.Store(s.gw)
	s.prov, err = oidc.Mount(s.gw)
	if err != nil {
		t.Fatal(err)
	}
	gs.Config.Handler = s.gw
	gs.Start()
	s.db, s.cache, s.keyring, s.lookup = db, so.cache, kr, lookup
	return s
}

// instance starts another gateway on the same database, cache and
// keyring (its own connections, as another process would have) and
// returns its URL. The issuer stays the first instance's URL.
func (s *stack) instance() string {
	s.t.Helper()
	ctx := context.Background()
	var st storage.Store
	var err error
	if strings.HasPrefix(s.db, "sqlite:") {
		st, err = sqlite.Open(ctx, strings.TrimPrefix(s.db, "sqlite:"))
	} else {
		st, err = storage.Open(ctx, s.db)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	kv, err := storage.OpenKV(ctx, s.cache)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { kv.Close() })
	logger := logging.New(s.logs, "text", slog.LevelDebug, logging.Options{})
	gw, err := gateway.New(gateway.Options{Config: s.cfg, Store: st, KV: kv, Keyring: s.keyring, Logger: logger, LookupEnv: s.lookup, Now: s.clock.now})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := oidc.Mount(gw); err != nil {
		s.t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	s.t.Cleanup(srv.Close)
	return srv.URL
}

// note remembers a value that must never appear in logs.
func (s *stack) note(v string) string {
	s.mu.Lock()
	s.values = append(s.values, v)
	s.mu.Unlock()
	return v
}

func (s *stack) record(resp *http.Response, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers.Write(raw)
	for k, vs := range resp.Header {
		fmt.Fprintf(&s.answers, "\n%s: %s", k, strings.Join(vs, ","))
	}
}

// user creates a WeChat user in the emulator.
func (s *stack) user(nickname string) string {
	s.t.Helper()
	id, err := s.emu.CreateUser(emulator.UserSpec{Nickname: nickname, City: "Shenzhen", Phone: "13800138000"})
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// wechatSecrets lists what the emulator issued for these users, the
// apps' secrets and the OpenID clients' secrets: values no answer or log
// line may hold.
func (s *stack) wechatSecrets(users ...string) []string {
	out := []string{siteSecret, otherSecret, pairwiseSecret}
	for _, a := range s.apps {
		out = append(out, a.Secret)
		for _, u := range users {
			id, err := s.emu.Identity(u, a.AppID)
			if err != nil {
				continue
			}
			out = append(out, id.OpenID, id.SessionKey, id.UnionID)
		}
	}
	return out
}

// assertNoLeak searches every answer and log line for each value.
func (s *stack) assertNoLeak(values ...string) {
	s.t.Helper()
	s.mu.Lock()
	answers := s.answers.String()
	s.mu.Unlock()
	logs := s.logs.String() + libraryLog.String()
	for _, v := range values {
		if len(v) < 6 {
			continue
		}
		if strings.Contains(answers, v) {
			s.t.Errorf("a response carries a secret value (%d chars, starts %q)", len(v), v[:4])
		}
		if strings.Contains(logs, v) {
			s.t.Errorf("the log carries a secret value (%d chars, starts %q)", len(v), v[:4])
		}
	}
}

// assertLogsClean checks that no code or token the tests saw was logged.
func (s *stack) assertLogsClean() {
	s.t.Helper()
	s.mu.Lock()
	vals := append([]string(nil), s.values...)
	s.mu.Unlock()
	logs := s.logs.String() + libraryLog.String()
	for _, v := range vals {
		if len(v) >= 6 && strings.Contains(logs, v) {
			s.t.Errorf("the log carries a code or token (%d chars, starts %q)", len(v), v[:4])
		}
	}
}

// browser is a person's browser: cookies, no automatic redirects.
type browser struct {
	s  *stack
	c  *http.Client
	ua string
}

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	raw    string
}

func (a answer) location() string { return a.header.Get("Location") }

func (b *browser) get(u string) answer {
	b.s.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.s.url + u
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.s.t.Fatal(err)
	}
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.s.record(resp, raw)
	return answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
}

// follow follows redirects until one leaves the gateway for somewhere
// other than the emulator, or a page answers; it returns the last answer.
func (b *browser) follow(u string) answer {
	b.s.t.Helper()
	for range 20 {
		a := b.get(u)
		if a.status < 300 || a.status >= 400 {
			return a
		}
		next := a.location()
		if strings.HasPrefix(next, "/") {
			next = b.s.url + next
		}
		if !strings.HasPrefix(next, b.s.url) && !strings.HasPrefix(next, b.s.emuURL) {
			return a
		}
		u = strings.TrimSuffix(next, "#wechat_redirect")
	}
	b.s.t.Fatal("too many redirects")
	return answer{}
}

// authorize runs an authorization request in the browser. When the
// gateway needs a WeChat login, the person (user) scans and confirms on
// their phone; user "" means nobody is expected to. It returns the final
// redirect to the client (or the page shown instead).
func (b *browser) authorize(authURL, user string) answer {
	b.s.t.Helper()
	a := b.follow(authURL)
	if a.status == 200 && a.header.Get("X-Wxemu-Uuid") != "" {
		if user == "" {
			b.s.t.Fatalf("the authorization needed a WeChat login")
		}
		uuid := a.header.Get("X-Wxemu-Uuid")
		if err := b.s.emu.Scan(uuid, user); err != nil {
			b.s.t.Fatal(err)
		}
		cb, err := b.s.emu.Confirm(uuid, user)
		if err != nil {
			b.s.t.Fatal(err)
		}
		if u, _ := url.Parse(cb); u != nil {
			b.s.note(u.Query().Get("code"))
		}
		a = b.follow(cb)
	}
	return a
}

// callback parses the redirect to a client's redirect_uri.
func (s *stack) callback(a answer, redirectURI string) url.Values {
	s.t.Helper()
	loc := a.location()
	if a.status != http.StatusFound || !strings.HasPrefix(loc, redirectURI+"?") {
		s.t.Fatalf("want a redirect to %s, got %d %q %s", redirectURI, a.status, loc, a.raw)
	}
	u, err := url.Parse(loc)
	if err != nil {
		s.t.Fatal(err)
	}
	q := u.Query()
	if c := q.Get("code"); c != "" {
		s.note(c)
	}
	return q
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte("a-verifier-of-enough-length-" + fmt.Sprint(time.Now().UnixNano())))
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// authURL builds an authorization URL from parameters.
func (s *stack) authURL(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return s.url + "/oauth2/authorize?" + v.Encode()
}

// post sends a form to the provider, with basic client authentication
// when id is not "".
func (s *stack) post(path string, form url.Values, id, secret string) (int, map[string]any, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return s.send(req)
}

func (s *stack) send(req *http.Request) (int, map[string]any, http.Header) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	s.record(resp, raw)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	if body == nil {
		body = map[string]any{"_raw": string(raw)}
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if v, ok := body[k].(string); ok {
			s.note(v)
		}
	}
	return resp.StatusCode, body, resp.Header
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

// countingKV is the cache, counting what is written under each prefix.
type countingKV struct {
	storage.KV
	mu   sync.Mutex
	sets map[string]int
}

func (c *countingKV) count(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := strings.LastIndex(key, ":"); i > 0 {
		c.sets[key[:i+1]]++
	}
}

func (c *countingKV) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	c.count(key)
	return c.KV.Set(ctx, key, value, ttl)
}

func (c *countingKV) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	c.count(key)
	return c.KV.SetNX(ctx, key, value, ttl)
}

// kvCount is how many authorization requests were ever stored.
func (s *stack) kvCount(t testing.TB) int {
	t.Helper()
	s.ckv.mu.Lock()
	defer s.ckv.mu.Unlock()
	return s.ckv.sets["wxgate:oidc:ar:"]
}

// identity is the person's WeChat identity in one of the stack's apps.
func (s *stack) identity(user, app string) emulator.Identity {
	s.t.Helper()
	id, err := s.emu.Identity(user, s.apps[app].AppID)
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// postBearer sends a POST with a Bearer token and no body.
func (s *stack) postBearer(path, tok string) (int, map[string]any, http.Header) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return s.send(req)
}

// assertNoLeakExcept is assertNoLeak for values, where allowed may appear
// in answers (a claim the operator turned on) but never in logs.
func (s *stack) assertNoLeakExcept(allowed string, values ...string) {
	s.t.Helper()
	var rest []string
	for _, v := range values {
		if v != allowed {
			rest = append(rest, v)
		}
	}
	s.assertNoLeak(rest...)
	if logs := s.logs.String() + libraryLog.String(); allowed != "" && strings.Contains(logs, allowed) {
		s.t.Errorf("the log carries the released unionid")
	}
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
