package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/internal/netproxy"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/redis"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// network is the shared failure-test helpers (storagetest.Network).
var network = storagetest.Network{Server: "Redis", ConfigKey: "cache:"}

func isUnavailable(t *testing.T, what string, err error, addr string) {
	t.Helper()
	network.Unavailable(t, what, err, addr)
}

// prompt tells a call that failed promptly (a refused connection, or the
// 200-300ms the tests allow) from one that waited for the KV's default 2s,
// with room for a loaded machine running the tests with -race.
const prompt = 1500 * time.Millisecond

var (
	within     = storagetest.Within
	eventually = storagetest.Eventually
)

// Keys live under the KV's prefix, in the server's key space, and two
// prefixes do not see each other's keys.
func TestPrefix(t *testing.T) {
	ctx := t.Context()
	pa, pb := freshPrefix(t), freshPrefix(t)
	a, b := open(t, withParam(testURL(), "prefix", pa)), open(t, withParam(testURL(), "prefix", pb))
	if err := a.Set(ctx, "state:1", []byte("a"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "state:1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("another prefix sees the key: %v", err)
	}
	c := admin(t)
	if v, err := c.Get(ctx, pa+"state:1").Result(); err != nil || v != "a" {
		t.Errorf("the server holds %s = %q, %v; want %q", pa+"state:1", v, err, "a")
	}
	if ms, err := c.PTTL(ctx, pa+"state:1").Result(); err != nil || ms <= 59*time.Minute || ms > time.Hour {
		t.Errorf("PTTL = %v, %v; want about an hour", ms, err)
	}

	// Without prefix=, keys go under "wxgate:".
	d := open(t, testURL())
	key := "storagetest-default-prefix:" + strings.TrimSuffix(pa, ":")
	if err := d.Set(ctx, key, []byte("d"), time.Minute); err != nil {
		t.Fatal(err)
	}
	defer c.Del(context.Background(), "wxgate:"+key)
	if v, err := c.Get(ctx, "wxgate:"+key).Result(); err != nil || v != "d" {
		t.Errorf("the default prefix: the server holds %q, %v; want %q", v, err, "d")
	}
}

// A server that flushed its script cache (or restarted) still runs the
// scripts: EVALSHA falls back to EVAL.
func TestScriptCacheFlushed(t *testing.T) {
	ctx := t.Context()
	kv := newKV(t)
	if n, err := kv.Incr(ctx, "counter", time.Hour); err != nil || n != 1 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	if err := admin(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := kv.Incr(ctx, "counter", time.Hour); err != nil || n != 2 {
		t.Errorf("Incr after SCRIPT FLUSH = %d, %v; want 2", n, err)
	}
	if err := kv.Set(ctx, "lease", []byte("a"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := admin(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, err := kv.CompareAndSwap(ctx, "lease", []byte("a"), []byte("b"), time.Hour); err != nil || !ok {
		t.Errorf("CompareAndSwap after SCRIPT FLUSH = %v, %v", ok, err)
	}
	if ok, err := kv.CompareAndDelete(ctx, "lease", []byte("b")); err != nil || !ok {
		t.Errorf("CompareAndDelete after SCRIPT FLUSH = %v, %v", ok, err)
	}
}

// A server that is down when the gateway starts: Open succeeds, calls fail
// at once saying what to check, and work once the server is up.
func TestDownAtStart(t *testing.T) {
	addr := netproxy.ClosedPort(t)
	url := withHost(t, withParam(testURL(), "prefix", freshPrefix(t)), addr, "")

	var kv *redis.KV
	err := within(t, prompt, "Open", func() error {
		var err error
		kv, err = redis.Open(t.Context(), url)
		return err
	})
	if err != nil {
		t.Fatalf("Open with the server down: %v", err)
	}
	defer kv.Close()

	err = within(t, prompt, "Ping", func() error { return kv.Ping(t.Context()) })
	isUnavailable(t, "Ping", err, addr)
	if !strings.Contains(err.Error(), "is unreachable (connection refused)") {
		t.Errorf("Ping: %q does not say the connection was refused", err)
	}
	t.Log(err)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err = within(t, prompt, "SetNX with a 200ms deadline", func() error {
		_, err := kv.SetNX(ctx, "state:1", []byte("v"), time.Minute)
		return err
	})
	isUnavailable(t, "SetNX with a 200ms deadline", err, addr)

	netproxy.New(t, addr, serverAddr(t))
	eventually(t, 10*time.Second, "Ping once the server is up", func() error { return kv.Ping(t.Context()) })
	if ok, err := kv.SetNX(t.Context(), "state:1", []byte("v"), time.Minute); err != nil || !ok {
		t.Fatalf("SetNX once the server is up: %v, %v", ok, err)
	}
}

// The server goes away while the gateway runs, then comes back: calls fail
// fast with ErrUnavailable, then work again on the same client.
func TestRecovery(t *testing.T) {
	ctx := t.Context()
	p := netproxy.New(t, "127.0.0.1:0", serverAddr(t))
	kv := open(t, withHost(t, withParam(testURL(), "prefix", freshPrefix(t)), p.Addr(), ""))
	if err := kv.Set(ctx, "token", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}

	p.Cut()
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, err := kv.Get(ctx, "token"); return err }},
		{"Set", func(ctx context.Context) error { return kv.Set(ctx, "token", []byte("w"), time.Hour) }},
		{"SetNX", func(ctx context.Context) error { _, err := kv.SetNX(ctx, "lease", []byte("me"), time.Hour); return err }},
		{"Take", func(ctx context.Context) error { _, err := kv.Take(ctx, "token"); return err }},
		{"Incr", func(ctx context.Context) error { _, err := kv.Incr(ctx, "counter", time.Hour); return err }},
		{"CompareAndDelete", func(ctx context.Context) error { _, err := kv.CompareAndDelete(ctx, "lease", []byte("me")); return err }},
		{"Ping", kv.Ping},
	}
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := within(t, prompt, c.name+" with the server cut", func() error { return c.call(ctx) })
		cancel()
		isUnavailable(t, c.name+" with the server cut", err, p.Addr())
	}

	p.Restore()
	eventually(t, 10*time.Second, "Get once the server is back", func() error {
		v, err := kv.Get(ctx, "token")
		if err == nil && string(v) != "v" {
			return fmt.Errorf("Get = %q, want %q: a call made while the server was cut was applied", v, "v")
		}
		return err
	})
	if n, err := kv.Incr(ctx, "counter", time.Hour); err != nil || n != 1 {
		t.Errorf("Incr once the server is back = %d, %v; want 1", n, err)
	}
}

// A server that accepts connections but never answers: every call returns
// by its deadline, or by the KV's timeout when it has none.
func TestHungServer(t *testing.T) {
	p := netproxy.New(t, "127.0.0.1:0", serverAddr(t))
	kv := open(t, withHost(t, withParam(withParam(testURL(), "prefix", freshPrefix(t)), "timeout", "300ms"), p.Addr(), ""))
	if err := kv.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.Hang()
	// The pool's idle connection was cut: the first call may meet it.
	if err := within(t, prompt, "Ping with the server hung", func() error { return kv.Ping(t.Context()) }); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping with the server hung: %v; want ErrUnavailable", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := within(t, prompt, "Get with a 200ms deadline", func() error { _, err := kv.Get(ctx, "k"); return err })
	if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with a 200ms deadline: %v; want ErrUnavailable and DeadlineExceeded", err)
	}
	err = within(t, prompt, "Incr without deadline", func() error { _, err := kv.Incr(context.Background(), "k", time.Minute); return err })
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Incr without deadline: %v; want ErrUnavailable after the KV's 300ms timeout", err)
	}
}

// Bad URLs, and a server refusing the login or the database, are errors
// of Open, at once.
func TestOpenErrors(t *testing.T) {
	server := serverAddr(t)
	tests := []struct {
		name, url, want string
	}{
		{"scheme", "memcache://127.0.0.1:11211", "want redis://"},
		{"timeout", withParam(testURL(), "timeout", "soon"), "timeout="},
		{"cluster", withParam(testURL(), "cluster", "yes"), "cluster="},
		{"unknown option", withParam(testURL(), "prefx", "a:"), "prefx"},
		{"database number", "redis://" + server + "/zero", "database number"},
		{"database out of range", "redis://" + server + "/99999", "refused the database"},
		{"no such user", withHost(t, testURL(), server, "wxgate_no_such_user:pw"), "refused the login"},
		{"not a cluster", withParam(testURL(), "cluster", "1"), "refused the database"},
		{"not a cluster (scheme)", strings.Replace(testURL(), "redis://", "redis+cluster://", 1), "refused the database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			kv, err := redis.Open(ctx, tc.url)
			if err == nil {
				kv.Close()
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
	userinfo := "wxgate_no_such_user:" + password
	server := serverAddr(t)
	urls := map[string]string{
		"bad port":    "redis://" + userinfo + "@127.0.0.1:port/0",
		"bad escape":  "redis://" + userinfo + "@127.0.0.1:6379/0?prefix=%zz",
		"bad option":  "redis://" + userinfo + "@127.0.0.1:6379/0?pool_size=many",
		"bad scheme":  "redis+sentinel://" + userinfo + "@127.0.0.1:6379/0",
		"bad db":      "redis://" + userinfo + "@127.0.0.1:6379/x",
		"parameter":   "redis://127.0.0.1:6379/0?password=" + password,
		"escaped":     "redis://u:" + strings.ReplaceAll(password, "-", "%2D") + "@127.0.0.1:6379/0?timeout=x",
		"wrong login": withHost(t, testURL(), server, userinfo),
	}
	for name, rawURL := range urls {
		kv, err := redis.Open(t.Context(), rawURL)
		if err == nil {
			kv.Close()
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	kv := open(t, withHost(t, testURL(), netproxy.ClosedPort(t), userinfo))
	if err := kv.Ping(t.Context()); err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("Ping of a server that is down: %v", err)
	}
}

// A server whose certificate this host does not trust is a mistake to
// report at once, not an outage to wait out.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(nil) // speaks TLS with a certificate nothing here trusts
	defer srv.Close()
	kv, err := redis.Open(t.Context(), "rediss://"+srv.Listener.Addr().String()+"/0")
	if err == nil {
		kv.Close()
		t.Fatal("Open of a server with an untrusted certificate succeeded")
	}
	if !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), "cache:") {
		t.Errorf("Open of a server with an untrusted certificate: %q does not say what to check", err)
	}
	t.Log(err)
}
