package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/redis"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// testURL is the server the tests run against. `make test` sets it and
// fails before the tests if the server is unreachable; the tests fail too,
// never skip.
func testURL() string {
	if u := os.Getenv("WXGATE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// withParam adds a query parameter to a cache URL.
func withParam(rawURL, name, value string) string {
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + name + "=" + url.QueryEscape(value)
}

// withHost is rawURL with another host:port (and userinfo, if not "").
func withHost(t testing.TB, rawURL, hostport, userinfo string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = hostport
	if userinfo != "" {
		user, pw, _ := strings.Cut(userinfo, ":")
		u.User = url.UserPassword(user, pw)
	}
	return u.String()
}

// serverAddr is the host:port of testURL.
func serverAddr(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatalf("WXGATE_TEST_REDIS_URL: %v", err)
	}
	return u.Host
}

// admin is a client of the test server of its own, failing the test with
// what to do if the server cannot be reached.
func admin(t testing.TB) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(testURL())
	if err != nil {
		t.Fatalf("WXGATE_TEST_REDIS_URL: %v", err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis for the tests is unreachable: %v\n"+
			"start it, or point WXGATE_TEST_REDIS_URL at one (default redis://127.0.0.1:6379/0)", err)
	}
	return c
}

// freshPrefix returns a key prefix no test uses yet; its keys are deleted
// when the test ends.
func freshPrefix(t testing.TB) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "wxgate-test:" + hex.EncodeToString(b[:]) + ":"
	c := admin(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("listing the test keys %s*: %v", prefix, err)
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("deleting the test keys %s*: %v", prefix, err)
			}
		}
	})
	return prefix
}

// open opens rawURL, failing the test on an error.
func open(t testing.TB, rawURL string) *redis.KV {
	t.Helper()
	kv, err := redis.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { kv.Close() })
	return kv
}

// newKV is a KV with a key prefix of its own: the test fails if the
// server is unreachable.
func newKV(t testing.TB) storage.KV {
	t.Helper()
	kv := open(t, withParam(testURL(), "prefix", freshPrefix(t)))
	if err := kv.Ping(t.Context()); err != nil {
		t.Fatalf("Redis for the tests: %v", err)
	}
	return kv
}

func TestKV(t *testing.T) {
	storagetest.RunKVTests(t, func(t *testing.T) storage.KV { return newKV(t) })
}

func BenchmarkKV(b *testing.B) {
	storagetest.BenchKV(b, func(b *testing.B) storage.KV { return newKV(b) })
}

// The down-at-start and outage tests make go-redis report failed dials on
// its process-wide logger; they are expected there.
func init() { redis.SetLogger(slog.New(slog.DiscardHandler)) }
