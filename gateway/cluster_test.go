package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/internal/netproxy"
	"github.com/wxgate/wxgate/seal"
	_ "github.com/wxgate/wxgate/storage/postgres"
	wxredis "github.com/wxgate/wxgate/storage/redis"
	"github.com/wxgate/wxgate/wechat"
)

// Networked backends for the cluster tests; `make test` sets these and fails
// when the servers are unreachable, so CI never skips them.
func postgresURL() string {
	if u := os.Getenv("WXGATE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func redisURL() string {
	if u := os.Getenv("WXGATE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// withParam adds a query parameter to a backend URL.
func withParam(u, k, v string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + k + "=" + v
}

// cluster is n gateways sharing one PostgreSQL schema and one Redis key
// prefix (each with its own connections, as separate processes would
// have), in front of one emulator.
type cluster struct {
	t      testing.TB
	emu    *emulator.Emulator
	emuCl  *emulator.Client
	gws    []*Server
	urls   []string
	apps   map[string]emulator.App
	redis  *netproxy.Proxy // every instance reaches Redis through it
	schema string          // the instances' PostgreSQL schema
}

type clusterOptions struct {
	n         int
	tokenMode string
	quiet     bool
	// redisTimeout, when set, bounds each Redis call instead of the
	// backend's 2 s default: for tests that count calls under a burst of
	// hundreds of requests rather than measure how fast failures are seen.
	redisTimeout time.Duration
}

func newCluster(t testing.TB, o clusterOptions) *cluster {
	t.Helper()
	// go-redis reports failed dials on its own, process-wide logger: the
	// outage test causes them on purpose.
	wxredis.SetLogger(slog.New(slog.DiscardHandler))
	c := &cluster{t: t, apps: map[string]emulator.App{}}
	var err error
	if c.emu, err = emulator.New(emulator.Options{Behaviour: emulator.Behaviour{JSCodeRateScope: "off", TokenDailyQuota: -1}}); err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(c.emu)
	t.Cleanup(es.Close)
	c.emuCl = emulator.NewClient(es.URL, es.Client())
	for _, d := range []appDef{{name: "mp", typ: "miniprogram", openAccount: "acme"}, {name: "ios", typ: "mobile", openAccount: "acme"}} {
		a, err := c.emu.CreateApp(emulator.AppSpec{Type: wechat.AppType(d.typ), Name: d.name, OpenAccount: d.openAccount})
		if err != nil {
			t.Fatal(err)
		}
		c.apps[d.name] = a
	}
	suffix := randomSuffix()
	c.schema = "wxgate_cluster_" + suffix
	pg := withParam(postgresURL(), "schema", c.schema)
	c.redis = netproxy.New(t, "127.0.0.1:0", strings.Split(strings.TrimPrefix(redisURL(), "redis://"), "/")[0])
	rd := withParam("redis://"+c.redis.Addr()+"/0", "prefix", "wxgate-cluster-"+suffix+":")
	if o.redisTimeout > 0 {
		rd = withParam(rd, "timeout", o.redisTimeout.String())
	}
	dir := t.TempDir()
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys := dir + "/keys"
	if err := seal.WriteFile(keys, kr, false); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SECRET_MP": c.apps["mp"].Secret, "SECRET_IOS": c.apps["ios"].Secret,
		"INTERNAL_KEY": "internal-key-for-tests-0123456789abcdef"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for i := range o.n {
		y := fmt.Sprintf("listen: 127.0.0.1:0\npublic_url: http://127.0.0.1:%d\nwechat:\n  api_base: %s\n  token_mode: %s\n  timeout: 5s\n"+
			"database: %q\ncache: %q\nkeys_file: %s\ninternal:\n  api_key_env: INTERNAL_KEY\n"+
			"security:\n  rate_limits:\n    login_ip: {limit: -1}\n    login_failed_ip: {limit: -1}\n    login_user: {limit: -1}\n    phone_ip: {limit: -1}\n    phone_user: {limit: -1}\n"+
			"apps:\n"+
			"  - {name: mp, type: miniprogram, appid: %s, secret_env: SECRET_MP}\n"+
			"  - {name: ios, type: mobile, appid: %s, secret_env: SECRET_IOS}\n",
			8080+i, es.URL, o.tokenMode, pg, rd, keys, c.apps["mp"].AppID, c.apps["ios"].AppID)
		cfg, err := config.Parse([]byte(y), lookup)
		if err != nil {
			t.Fatalf("config: %v\n%s", err, y)
		}
		var logs io.Writer = io.Discard
		if !o.quiet && testing.Verbose() {
			logs = os.Stderr
		}
		gw, err := Open(context.Background(), cfg, OpenOptions{Logger: slog.New(slog.NewTextHandler(logs, nil)), LookupEnv: lookup})
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { gw.Close() })
		srv := httptest.NewServer(gw)
		t.Cleanup(srv.Close)
		c.gws = append(c.gws, gw)
		c.urls = append(c.urls, srv.URL)
	}
	t.Cleanup(func() {
		dropSchema(c.schema)
		dropKeys("wxgate-cluster-" + suffix + ":")
	})
	return c
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// dropSchema removes a test's PostgreSQL schema.
func dropSchema(schema string) {
	conn, err := pgx.Connect(context.Background(), postgresURL())
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
}

// dropKeys removes a test's Redis keys.
func dropKeys(prefix string) {
	opt, err := goredis.ParseURL(redisURL())
	if err != nil {
		return
	}
	rc := goredis.NewClient(opt)
	defer rc.Close()
	ctx := context.Background()
	iter := rc.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		rc.Del(ctx, iter.Val())
	}
}

// post sends a JSON request to instance i.
func (c *cluster) post(i int, path, body string, headers ...string) (int, string) {
	return c.request(i, "POST", path, body, headers...)
}

func (c *cluster) request(i int, method, path, body string, headers ...string) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.urls[i]+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(headers); k += 2 {
		req.Header.Set(headers[k], headers[k+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *cluster) login(i int, user string) (token, userID string) {
	c.t.Helper()
	code, err := c.emu.MiniProgramLogin(c.apps["mp"].AppID, user)
	if err != nil {
		c.t.Fatal(err)
	}
	st, body := c.post(i, "/auth/miniprogram/login", `{"app":"mp","code":"`+code+`"}`)
	if st != 200 {
		c.t.Fatalf("login on instance %d: %d %s", i, st, body)
	}
	return field(body, "token"), field(body, "id")
}

// field pulls a string field out of a JSON answer (the first occurrence).
func field(body, name string) string {
	k := `"` + name + `":"`
	i := strings.Index(body, k)
	if i < 0 {
		return ""
	}
	rest := body[i+len(k):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestClusterSharesSessionsAndUsers(t *testing.T) {
	c := newCluster(t, clusterOptions{n: 4, tokenMode: "stable"})
	u, _ := c.emu.CreateUser(emulator.UserSpec{Nickname: "Cluster"})
	tok, uid := c.login(0, u)
	// A session created on one instance is valid on all.
	for i := range c.gws {
		if st, body := c.request(i, "GET", "/auth/me", "", "Authorization", "Bearer "+tok); st != 200 || field(body, "id") != uid {
			t.Fatalf("instance %d: /auth/me = %d %s", i, st, body)
		}
	}
	// Logout on one is seen by all, at once.
	if st, _ := c.post(2, "/auth/logout", "", "Authorization", "Bearer "+tok); st != 204 {
		t.Fatalf("logout = %d", st)
	}
	for i := range c.gws {
		if st, _ := c.request(i, "GET", "/auth/verify", "", "Authorization", "Bearer "+tok); st != 401 {
			t.Fatalf("instance %d still accepts a session logged out on instance 2: %d", i, st)
		}
	}
	// Concurrent first logins of one person on different instances (and
	// through two apps of one open account) create one user.
	p, _ := c.emu.CreateUser(emulator.UserSpec{Nickname: "New"})
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for k := range ids {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			if k%2 == 0 {
				_, ids[k] = c.login(k%4, p)
				return
			}
			mc, err := c.emu.MobileAuthorize(c.apps["ios"].AppID, p, "s")
			if err != nil {
				t.Error(err)
				return
			}
			if st, body := c.post(k%4, "/auth/mobile/login", `{"app":"ios","code":"`+mc.Code+`"}`); st == 200 {
				ids[k] = field(body, "id")
			}
		}(k)
	}
	wg.Wait()
	for k := range ids {
		if ids[k] == "" || ids[k] != ids[0] {
			t.Fatalf("concurrent first logins resolved to %v", ids)
		}
	}
}

// TestClusterOneTokenFetchPerExpiry fires 4 x 200 concurrent requests that
// need the app access token exactly when it expires on WeChat's (the
// emulator's) clock, in classic mode, for ten expiry windows: each window
// costs exactly one cgi-bin/token call and no request sees 40001.
func TestClusterOneTokenFetchPerExpiry(t *testing.T) {
	const instances, perInstance, windows = 4, 200, 10
	// 800 requests at once on two shared cores (and the race detector)
	// can queue a Redis call past the default 2 s: what is counted here is
	// token fetches, so a slow call must not count as a failure.
	c := newCluster(t, clusterOptions{n: instances, tokenMode: "classic", quiet: true, redisTimeout: 30 * time.Second})
	u, _ := c.emu.CreateUser(emulator.UserSpec{})
	tok, _ := c.login(0, u)
	// Warm central control: the first token of the run.
	p, _ := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
	if st, body := c.post(0, "/auth/miniprogram/phone", `{"code":"`+p.Code+`"}`, "Authorization", "Bearer "+tok); st != 200 {
		t.Fatalf("warming up: %d %s", st, body)
	}
	for w := range windows {
		// Everyone's cached token expires now, as far as WeChat knows.
		c.emu.Advance(2*time.Hour + time.Second)
		before := c.emu.Stats().Calls["/cgi-bin/token"]
		codes := make([]string, instances*perInstance)
		for k := range codes {
			p, err := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
			if err != nil {
				t.Fatal(err)
			}
			codes[k] = p.Code
		}
		var failed atomic.Int64
		var firstFailure atomic.Value
		var wg sync.WaitGroup
		for k := range codes {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				st, body := c.post(k%instances, "/auth/miniprogram/phone", `{"code":"`+codes[k]+`"}`, "Authorization", "Bearer "+tok)
				if st != 200 {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%d %s", st, body))
				}
			}(k)
		}
		wg.Wait()
		if n := failed.Load(); n != 0 {
			t.Fatalf("window %d: %d of %d requests failed, e.g. %v", w, n, len(codes), firstFailure.Load())
		}
		if fetches := c.emu.Stats().Calls["/cgi-bin/token"] - before; fetches != 1 {
			t.Fatalf("window %d: %d cgi-bin/token calls, want exactly 1", w, c.emu.Stats().Calls["/cgi-bin/token"]-before)
		}
	}
	if n := c.emu.Stats().Errors["/wxa/business/getuserphonenumber"][40001]; n != 0 {
		t.Errorf("WeChat answered 40001 %d times: a token was superseded while in use", n)
	}
}

// TestClusterSurvivesRedisOutage cuts every instance's connection to Redis
// mid-run: requests that need it fail fast with 503, and succeed again
// once it is back, without restarting anything.
func TestClusterSurvivesRedisOutage(t *testing.T) {
	c := newCluster(t, clusterOptions{n: 2, tokenMode: "stable", quiet: true})
	u, _ := c.emu.CreateUser(emulator.UserSpec{})
	tok, _ := c.login(0, u)
	phone := func(i int) (int, time.Duration) {
		p, err := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		st, _ := c.post(i, "/auth/miniprogram/phone", `{"code":"`+p.Code+`"}`, "Authorization", "Bearer "+tok)
		return st, time.Since(t0)
	}
	for i := range c.gws {
		if st, _ := phone(i); st != 200 {
			t.Fatalf("instance %d before the outage: %d", i, st)
		}
	}
	c.redis.Cut()
	for i := range c.gws {
		st, took := phone(i)
		if st != http.StatusServiceUnavailable || took > 3*time.Second {
			t.Fatalf("instance %d during the outage: %d after %v, want a fast 503", i, st, took)
		}
		if st, _ := c.request(i, "GET", "/readyz", ""); st != http.StatusServiceUnavailable {
			t.Errorf("instance %d readyz during the outage: %d", i, st)
		}
	}
	c.redis.Restore()
	deadline := time.Now().Add(10 * time.Second)
	for i := range c.gws {
		for {
			st, _ := phone(i)
			if st == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d did not recover after Redis came back: %d", i, st)
			}
			time.Sleep(50 * time.Millisecond) // polling a condition, bounded by the deadline
		}
	}
}

// TestPostgresHoldsNoPlaintext reads every row of every wxgate table in
// PostgreSQL and searches it for the secret values a run stored.
func TestPostgresHoldsNoPlaintext(t *testing.T) {
	c := newCluster(t, clusterOptions{n: 1, tokenMode: "stable", quiet: true})
	u, _ := c.emu.CreateUser(emulator.UserSpec{Nickname: "PlainPG"})
	tok, _ := c.login(0, u)
	p, _ := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
	st, body := c.post(0, "/auth/miniprogram/phone", `{"code":"`+p.Code+`"}`, "Authorization", "Bearer "+tok)
	if st != 200 {
		t.Fatalf("phone: %d %s", st, body)
	}
	mc, _ := c.emu.MobileAuthorize(c.apps["ios"].AppID, u, "s")
	if st, body := c.post(0, "/auth/mobile/login", `{"app":"ios","code":"`+mc.Code+`"}`); st != 200 {
		t.Fatalf("mobile login: %d %s", st, body)
	}
	secrets := []string{field(body, "phone_number"), field(body, "pure_phone_number"), tok}
	for _, app := range []string{"mp", "ios"} {
		id, _ := c.emu.Identity(u, c.apps[app].AppID)
		secrets = append(secrets, id.OpenID, id.UnionID, id.SessionKey)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, postgresURL())
	if err != nil {
		t.Fatalf("PostgreSQL is unreachable (it must run for this test): %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", c.schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables in %s: %v %v", c.schema, tables, err)
	}
	var dump bytes.Buffer
	for _, tb := range tables {
		rows, err := conn.Query(ctx, "SELECT row_to_json(t)::text FROM "+pgx.Identifier{c.schema, tb}.Sanitize()+" t")
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			dump.WriteString(l)
		}
	}
	n := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		n++
		// bytea columns show as hex in JSON: search both forms.
		if bytes.Contains(dump.Bytes(), []byte(s)) || bytes.Contains(dump.Bytes(), []byte(hex.EncodeToString([]byte(s)))) {
			t.Errorf("PostgreSQL holds a secret value in plain text (%d chars, starts %q)", len(s), s[:4])
		}
	}
	if n < 8 || !bytes.Contains(dump.Bytes(), []byte("PlainPG")) {
		t.Fatalf("searched %d values in %d bytes (nickname present: %v): the test proves nothing", n, dump.Len(), bytes.Contains(dump.Bytes(), []byte("PlainPG")))
	}
}
