package ratelimit

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage/memory"
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
