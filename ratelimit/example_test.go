package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/storage/memory"
)

// Limit logins per client address, behind one trusted reverse proxy.
func Example() {
	limiter, err := ratelimit.New(ratelimit.Options{
		KV:    memory.NewKV(),     // Redis to count across instances
		Key:   ratelimit.NewKey(), // instances sharing a KV share one key
		Rules: []ratelimit.Rule{{Name: ratelimit.LoginIP, Limit: 2, Window: time.Minute}},
	})
	if err != nil {
		panic(err)
	}
	trusted, _ := ratelimit.ParseTrusted([]string{"10.0.0.0/8"})

	r, _ := http.NewRequest("POST", "/auth/miniprogram/login", nil)
	r.RemoteAddr = "10.0.0.5:41000"                           // the proxy
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.20") // the client wrote 6.6.6.6
	ip := ratelimit.ClientIP(r, trusted)
	fmt.Println("client:", ip)

	for range 3 {
		d, err := limiter.Allow(context.Background(), ratelimit.LoginIP, ratelimit.AddrKey(ip))
		if err != nil {
			fmt.Println("503: limits cannot be checked") // fail closed
			continue
		}
		if !d.Allowed {
			fmt.Println("429, Retry-After within two minutes:", d.RetryAfterSeconds() <= 120)
			continue
		}
		fmt.Println("allowed, remaining", d.Remaining)
	}
	// Output:
	// client: 198.51.100.20
	// allowed, remaining 1
	// allowed, remaining 0
	// 429, Retry-After within two minutes: true
}

func ExampleAddrKey() {
	fmt.Println(ratelimit.AddrKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1")))
	fmt.Println(ratelimit.AddrKey(netip.MustParseAddr("::ffff:198.51.100.20")))
	// Output:
	// 2001:db8:1:2::/64
	// 198.51.100.20
}
