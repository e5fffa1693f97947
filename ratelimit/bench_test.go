package ratelimit

import (
	"context"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	_ "github.com/wxgate/wxgate/storage/redis"
)

// BenchmarkAllow is the cost of one rate-limit check on the memory KV,
// spread over many client addresses as real traffic is.
func BenchmarkAllow(b *testing.B) {
	kv := memory.NewKV()
	defer kv.Close()
	l, err := New(Options{KV: kv, Key: NewKey(), Rules: []Rule{{Name: LoginIP, Limit: 1 << 30, Window: time.Hour}}})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Allow(ctx, LoginIP, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPeek is the cost of a check that does not count (two reads).
func BenchmarkPeek(b *testing.B) {
	kv := memory.NewKV()
	defer kv.Close()
	l, err := New(Options{KV: kv, Key: NewKey(), Rules: []Rule{{Name: LoginIP, Limit: 1 << 30, Window: time.Hour}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Peek(ctx, LoginIP, "198.51.100."+strconv.Itoa(i%256)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllowRedis is one check on the Redis of WXGATE_TEST_REDIS_URL
// (an INCR and a GET, two round trips), as instances sharing Redis pay it.
func BenchmarkAllowRedis(b *testing.B) {
	u := os.Getenv("WXGATE_TEST_REDIS_URL")
	if u == "" {
		b.Skip("WXGATE_TEST_REDIS_URL is not set")
	}
	kv, err := storage.OpenKV(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	defer kv.Close()
	rule := "bench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	l, err := New(Options{KV: kv, Key: NewKey(), Rules: []Rule{{Name: rule, Limit: 1 << 30, Window: 10 * time.Second}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Allow(ctx, rule, "198.51.100."+strconv.Itoa(i%256)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientIP is the cost of finding the client behind two proxies.
func BenchmarkClientIP(b *testing.B) {
	r, _ := http.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:41000"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.20, 10.0.0.2")
	want := netip.MustParseAddr("198.51.100.20")
	b.ReportAllocs()
	for b.Loop() {
		if ClientIP(r, trustedProxies) != want {
			b.Fatal("wrong client")
		}
	}
}
