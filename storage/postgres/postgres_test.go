package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/postgres"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// testURL is the server the tests run against. `make test` sets it and
// fails before the tests if the server is unreachable; the tests fail too,
// never skip.
func testURL() string {
	if u := os.Getenv("WXGATE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// withParam adds a query parameter to a database URL.
func withParam(rawURL, name, value string) string {
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + name + "=" + value
}

// withHost is rawURL with another host:port.
func withHost(t testing.TB, rawURL, hostport string) string {
	t.Helper()
	scheme, rest, _ := strings.Cut(rawURL, "://")
	i := strings.IndexAny(rest, "/?")
	if i < 0 {
		i = len(rest)
	}
	authority := rest[:i]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return scheme + "://" + authority[:at+1] + hostport + rest[i:]
	}
	return scheme + "://" + hostport + rest[i:]
}

// withUser is rawURL with another user (and password: "user:password").
func withUser(rawURL, userinfo string) string {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	i := strings.IndexAny(rest, "/?")
	if i < 0 {
		i = len(rest)
	}
	hostport := rest[:i]
	if at := strings.LastIndex(hostport, "@"); at >= 0 {
		hostport = hostport[at+1:]
	}
	return scheme + "://" + userinfo + "@" + hostport + rest[i:]
}

// serverAddr is the host:port of testURL.
func serverAddr(t testing.TB) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(testURL())
	if err != nil {
		t.Fatalf("WXGATE_TEST_POSTGRES_URL: %v", err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// admin connects to the test database directly, failing the test with
// what to do if the server cannot be reached.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testURL())
	if err != nil {
		t.Fatalf("PostgreSQL for the tests is unreachable: %v\n"+
			"start it, or point WXGATE_TEST_POSTGRES_URL at one (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// freshSchema returns the name of a schema no test uses yet, dropped with
// everything in it when the test ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	name := "wxgate_test_" + hex.EncodeToString(b[:])
	db := admin(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("dropping the test schema %s: %v", name, err)
		}
	})
	return name
}

// open opens rawURL, failing the test on an error.
func open(t testing.TB, rawURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore is a store on a schema of its own, migrated: the test fails
// if the server is unreachable.
func newStore(t testing.TB) storage.Store {
	t.Helper()
	schema := freshSchema(t) // dropped after the store is closed
	s := open(t, withParam(testURL(), "schema", schema))
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("PostgreSQL for the tests: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storagetest.RunStoreTests(t, func(t *testing.T) storage.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storagetest.BenchStore(b, func(b *testing.B) storage.Store { return newStore(b) })
}
