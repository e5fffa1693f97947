package postgres_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wxgate/wxgate/internal/netproxy"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/postgres"
	"github.com/wxgate/wxgate/storage/storagetest"
)

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// request is a login of person n to app.
func request(app string, n int, union bool) storage.LinkRequest {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := storage.LinkRequest{
		Identity: storage.Identity{
			ID: fmt.Sprintf("idn-%s-%d", app, n), AppID: app,
			OpenIDIndex: sum(fmt.Sprint(app, n)), OpenID: sum("sealed"),
			CreatedAt: at, UpdatedAt: at, LastLoginAt: at,
		},
		NewUser: storage.User{ID: fmt.Sprintf("usr-%s-%d", app, n), Nickname: "n", CreatedAt: at, UpdatedAt: at},
	}
	if union {
		r.Identity.UnionIDIndex = sum(fmt.Sprint("union", n))
	}
	return r
}

// migrationCount is the number of embedded migrations.
func migrationCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// migrations returns the rows of a schema's schema_migrations: how many,
// and how many distinct transactions applied them.
func migrations(t *testing.T, schema string) (rows, transactions, version int) {
	t.Helper()
	err := admin(t).QueryRow(t.Context(), `SELECT count(*), count(DISTINCT applied_at), coalesce(max(version), 0) FROM `+
		pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&rows, &transactions, &version)
	if err != nil {
		t.Fatal(err)
	}
	return rows, transactions, version
}

// Eight instances starting at once on a new schema: every one comes up,
// and the schema is migrated once, in one transaction.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	schema := freshSchema(t)
	url := withParam(testURL(), "schema", schema)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Ping(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	n := migrationCount(t)
	if rows, txs, v := migrations(t, schema); rows != n || txs != 1 || v != n {
		t.Errorf("schema_migrations: %d rows from %d transactions, version %d; want %d rows from 1 transaction, version %d", rows, txs, v, n, n)
	}
}

// A reopened store keeps its data and migrates nothing again.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	schema := freshSchema(t)
	url := withParam(testURL(), "schema", schema)
	s := open(t, url)
	first, err := s.LinkIdentity(ctx, request("wxa", 1, true))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, txsBefore, _ := migrations(t, schema)

	s = open(t, url)
	res, err := s.LinkIdentity(ctx, request("wxb", 1, true))
	if err != nil || res.User.ID != first.User.ID || res.CreatedUser {
		t.Fatalf("after reopening: second app linked to %q (created %v), %v; want %q", res.User.ID, res.CreatedUser, err, first.User.ID)
	}
	if rows, txs, _ := migrations(t, schema); rows != migrationCount(t) || txs != txsBefore {
		t.Errorf("after reopening: %d migrations from %d transactions, want %d from %d", rows, txs, migrationCount(t), txsBefore)
	}
}

// A schema migrated by a newer wxgate is refused, saying so.
func TestSchemaTooNew(t *testing.T) {
	schema := freshSchema(t)
	url := withParam(testURL(), "schema", schema)
	open(t, url).Close()
	_, err := admin(t).Exec(t.Context(), `INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+
		` (version, name) VALUES (999, '0999_future.sql')`)
	if err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open of a schema at version 999 succeeded")
	}
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 999") {
		t.Errorf("Open of a schema at version 999: %v; want ErrSchemaTooNew naming the version", err)
	}
}

// Logins of one person on four instances at once, to two apps with a
// shared unionid, each recording a session_key and starting a session:
// one user, one identity per app, every update and session kept.
func TestConcurrentLoginsOnInstances(t *testing.T) {
	const instances, each = 4, 8
	ctx := t.Context()
	url := withParam(testURL(), "schema", freshSchema(t))
	stores := make([]*postgres.Store, instances)
	for i := range stores {
		stores[i] = open(t, url)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, instances*each)
	users := make([]string, instances*each)
	for i := range errs {
		req := request(fmt.Sprint("wxapp", i%2), 7, true)
		req.Identity.ID, req.NewUser.ID = fmt.Sprint("idn-", i), fmt.Sprint("usr-", i)
		req.Update = func(idn storage.Identity) (storage.Identity, error) {
			idn.Scope += "+"
			return idn, nil
		}
		req.Session = &storage.Session{ID: fmt.Sprint("ses-", i), TokenHash: sum(fmt.Sprint("token", i))}
		wg.Go(func() {
			<-start
			res, err := stores[i%instances].LinkIdentity(ctx, req)
			errs[i], users[i] = err, res.User.ID
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		if users[i] != users[0] {
			t.Errorf("login %d resolved to user %q, login 0 to %q", i, users[i], users[0])
		}
	}
	s := stores[0]
	if n := len(must(s.ScanUsers(ctx, "", 100))); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	idns := must(s.ListIdentities(ctx, users[0]))
	if len(idns) != 2 {
		t.Fatalf("%d identities, want 2", len(idns))
	}
	for _, idn := range idns {
		if want := strings.Repeat("+", instances*each/2); idn.Scope != want {
			t.Errorf("identity of %s: scope %q, want %q: an update was lost or applied twice", idn.AppID, idn.Scope, want)
		}
	}
	if n := must(s.DeleteUserSessions(ctx, users[0])); n != instances*each {
		t.Errorf("%d sessions, want %d", n, instances*each)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// network is the shared failure-test helpers (storagetest.Network).
var network = storagetest.Network{Server: "PostgreSQL", ConfigKey: "database:"}

func isUnavailable(t *testing.T, what string, err error, addr string) {
	t.Helper()
	network.Unavailable(t, what, err, addr)
}

// prompt tells a call that failed promptly from one that hung until the
// store's default timeout (30s) or pgx's connection timeout (5s), with
// room for a loaded machine running the tests with -race.
const prompt = 2 * time.Second

var (
	within     = storagetest.Within
	eventually = storagetest.Eventually
)

// A server that is down when the gateway starts: Open succeeds, calls fail
// at once saying what to check, and the first call after the server
// comes up migrates the schema and works.
func TestDownAtStart(t *testing.T) {
	addr := netproxy.ClosedPort(t)
	schema := freshSchema(t)
	url := withHost(t, withParam(testURL(), "schema", schema), addr)

	var s *postgres.Store
	err := within(t, prompt, "Open", func() error {
		var err error
		s, err = postgres.Open(t.Context(), url)
		return err
	})
	if err != nil {
		t.Fatalf("Open with the server down: %v", err)
	}
	defer s.Close()

	err = within(t, prompt, "Ping", func() error { return s.Ping(t.Context()) })
	isUnavailable(t, "Ping", err, addr)
	t.Log(err)
	if !strings.Contains(err.Error(), "is unreachable (connection refused)") {
		t.Errorf("Ping: %q does not say the connection was refused", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err = within(t, prompt, "GetUser with a 200ms deadline", func() error { _, err := s.GetUser(ctx, "usr-1"); return err })
	isUnavailable(t, "GetUser with a 200ms deadline", err, addr)

	netproxy.New(t, addr, serverAddr(t))
	eventually(t, 10*time.Second, "Ping once the server is up", func() error { return s.Ping(t.Context()) })
	if _, err := s.LinkIdentity(t.Context(), request("wxa", 1, true)); err != nil {
		t.Fatalf("LinkIdentity once the server is up: %v", err)
	}
	if rows, _, _ := migrations(t, schema); rows != migrationCount(t) {
		t.Errorf("%d migrations applied on first use, want %d", rows, migrationCount(t))
	}
}

// The server goes away while the gateway runs, then comes back: calls fail
// fast with ErrUnavailable, then work again on the same store.
func TestRecovery(t *testing.T) {
	ctx := t.Context()
	p := netproxy.New(t, "127.0.0.1:0", serverAddr(t))
	s := open(t, withHost(t, withParam(testURL(), "schema", freshSchema(t)), p.Addr()))
	first, err := s.LinkIdentity(ctx, request("wxa", 1, true))
	if err != nil {
		t.Fatal(err)
	}

	p.Cut()
	for i := range 3 { // the pool's connections were cut, and new ones are refused
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := within(t, prompt, "GetUser with the server cut", func() error { _, err := s.GetUser(ctx, first.User.ID); return err })
		cancel()
		isUnavailable(t, fmt.Sprint("GetUser #", i, " with the server cut"), err, p.Addr())
	}
	err = within(t, prompt, "LinkIdentity with the server cut", func() error { _, err := s.LinkIdentity(ctx, request("wxb", 1, true)); return err })
	isUnavailable(t, "LinkIdentity with the server cut", err, p.Addr())
	isUnavailable(t, "Ping with the server cut", s.Ping(ctx), p.Addr())

	p.Restore()
	eventually(t, 10*time.Second, "GetUser once the server is back", func() error { _, err := s.GetUser(ctx, first.User.ID); return err })
	res, err := s.LinkIdentity(ctx, request("wxb", 1, true))
	if err != nil || res.User.ID != first.User.ID {
		t.Fatalf("LinkIdentity once the server is back: user %q, %v; want %q", res.User.ID, err, first.User.ID)
	}
}

// Connections the server ends (an administrator, a restart) fail the
// call that meets them with ErrUnavailable; the calls after it reconnect.
func TestTerminatedConnections(t *testing.T) {
	ctx := t.Context()
	app := freshSchema(t) // a name of its own, for the schema and the connections
	url := withParam(withParam(testURL(), "schema", app), "application_name", app)
	s := open(t, url)
	first, err := s.LinkIdentity(ctx, request("wxa", 1, true))
	if err != nil {
		t.Fatal(err)
	}
	var terminated int
	err = admin(t).QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&terminated)
	if err != nil || terminated == 0 {
		t.Fatalf("terminating the store's connections: %d, %v", terminated, err)
	}
	// The pool pings a connection idle for over a second before using it,
	// and would replace it: on a slow machine the call may succeed.
	_, err = s.GetUser(ctx, first.User.ID)
	if err != nil && !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("GetUser on a terminated connection: %v; want ErrUnavailable", err)
	}
	t.Log(err)
	if _, err := s.GetUser(ctx, first.User.ID); err != nil {
		t.Errorf("GetUser after the connections were terminated: %v", err)
	}
}

// A server that accepts connections but never answers: every call returns
// by its deadline, or by the store's timeout when it has none.
func TestHungServer(t *testing.T) {
	p := netproxy.New(t, "127.0.0.1:0", serverAddr(t))
	url := withHost(t, withParam(withParam(testURL(), "schema", freshSchema(t)), "timeout", "300ms"), p.Addr())
	s := open(t, url)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.Hang()
	// The pool's idle connection was cut: the first call meets it, fails,
	// and drops it.
	err := within(t, prompt, "Ping with the server hung", func() error { return s.Ping(t.Context()) })
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping with the server hung: %v; want ErrUnavailable", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err = within(t, prompt, "GetUser with a 200ms deadline", func() error { _, err := s.GetUser(ctx, "usr-1"); return err })
	if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetUser with a 200ms deadline: %v; want ErrUnavailable and DeadlineExceeded", err)
	}
	err = within(t, prompt, "LinkIdentity without deadline", func() error {
		_, err := s.LinkIdentity(context.Background(), request("wxa", 1, false))
		return err
	})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("LinkIdentity without deadline: %v; want ErrUnavailable after the store's 300ms timeout", err)
	}

	// A store opened while the server hangs is returned when Open's
	// context ends, and works once the server answers.
	ctx, cancel = context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var s2 *postgres.Store
	err = within(t, prompt, "Open with the server hung", func() error {
		var err error
		s2, err = postgres.Open(ctx, url)
		return err
	})
	if err != nil {
		t.Fatalf("Open with the server hung: %v", err)
	}
	defer s2.Close()
	p.Restore()
	eventually(t, 10*time.Second, "Ping once the server answers", func() error { return s2.Ping(t.Context()) })
}

// Bad URLs and logins are errors of Open, at once.
func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"scheme", "mysql://root@127.0.0.1/test", "want postgres://"},
		{"schema", withParam(testURL(), "schema", "1-bad"), "schema="},
		{"timeout", withParam(testURL(), "timeout", "-1s"), "timeout="},
		{"pool option", withParam(testURL(), "pool_max_conns", "many"), "pool_max_conns"},
		{"schema and search_path", withParam(withParam(testURL(), "schema", "a"), "search_path", "b"), "search_path"},
		{"no such user", withUser(testURL(), "wxgate_no_such_role"), "refused the login"},
		{"no such database", strings.Replace(testURL(), "/test", "/wxgate_no_such_database", 1), "no such database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			s, err := postgres.Open(ctx, tc.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", tc.url)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%s): %q does not mention %q", tc.url, err, tc.want)
			}
			t.Log(err)
		})
	}
}

// A password never shows in an error.
func TestPasswordNeverShown(t *testing.T) {
	const password = "s3cr3t-Pa55"
	withPassword := func(rawURL string) string { return withUser(rawURL, "wxgate_no_such_role:"+password) }
	down := withHost(t, withPassword("postgres://127.0.0.1/test?sslmode=disable"), netproxy.ClosedPort(t))
	urls := map[string]string{
		"bad option":  withPassword("postgres://127.0.0.1/test?pool_max_conns=x"),
		"bad port":    withPassword("postgres://127.0.0.1:port/test"),
		"bad query":   withPassword("postgres://127.0.0.1/test?a=%zz"),
		"bad schema":  withPassword("postgres://127.0.0.1/test?schema=a-b"),
		"bad scheme":  strings.Replace(withPassword("postgres://127.0.0.1/test"), "postgres", "postgress", 1),
		"wrong login": withPassword(testURL()),
		"parameter":   "postgres://127.0.0.1/test?pool_max_conns=x&password=" + password,
		"escaped":     "postgres://u:" + strings.ReplaceAll(password, "-", "%2D") + "@127.0.0.1/test?timeout=x",
	}
	for name, rawURL := range urls {
		s, err := postgres.Open(t.Context(), rawURL)
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), password) || strings.Contains(fmt.Sprintf("%+v", err), password) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	s := open(t, down)
	if err := s.Ping(t.Context()); err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("Ping of a server that is down: %v", err)
	}
}

// A server whose certificate this host does not trust is a mistake to
// report at once, not an outage to wait out.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(nil) // for its certificate, which nothing here trusts
	cert := srv.TLS.Certificates[0]
	srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // PostgreSQL's TLS: an SSLRequest, 'S', then the handshake
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := io.ReadFull(c, make([]byte, 8)); err != nil {
					return
				}
				c.Write([]byte("S"))
				tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
			}()
		}
	}()
	s, err := postgres.Open(t.Context(), "postgres://wxgate@"+ln.Addr().String()+"/wxgate?sslmode=verify-full")
	if err == nil {
		s.Close()
		t.Fatal("Open of a server with an untrusted certificate succeeded")
	}
	if !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), "sslrootcert") {
		t.Errorf("Open of a server with an untrusted certificate: %q does not say what to check", err)
	}
	t.Log(err)
}
