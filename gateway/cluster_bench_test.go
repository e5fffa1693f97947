package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
)

// BenchmarkClusterLogin measures mini-program logins per second on
// PostgreSQL and Redis with one gateway instance and with four, 64
// concurrent clients spread over the instances, against one emulator.
// BenchmarkLogin gives SQLite and memory on the same machine.
func BenchmarkClusterLogin(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("postgres+redis/instances=%d", n), func(b *testing.B) {
			c := newCluster(b, clusterOptions{n: n, tokenMode: "stable", quiet: true})
			users := make([]string, 256)
			for i := range users {
				users[i], _ = c.emu.CreateUser(emulator.UserSpec{})
			}
			codes := func(k int) []string {
				out := make([]string, k)
				for i := range out {
					out[i], _ = c.emu.MiniProgramLogin(c.apps["mp"].AppID, users[i%len(users)])
				}
				return out
			}
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxIdleConns: 4 * benchClients}}
			send := func(i int, code string) error {
				resp, err := hc.Post(c.urls[i%n]+"/auth/miniprogram/login", "application/json", strings.NewReader(`{"app":"mp","code":"`+code+`"}`))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 {
					return fmt.Errorf("login: %d %s", resp.StatusCode, body)
				}
				return nil
			}
			for i, code := range codes(len(users)) { // users exist, connections open
				if err := send(i, code); err != nil {
					b.Fatal(err)
				}
			}
			all := codes(b.N)
			b.ResetTimer()
			d, lat := fanOut(b.N, func(i int) error { return send(i, all[i]) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/d.Seconds(), "logins/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		})
	}
}

// BenchmarkTokenFetchesPerExpiry counts upstream cgi-bin/token calls per
// expiry window (classic mode: every call rotates the token) while four
// instances serve 4 x 50 concurrent requests that need it, exactly when it
// expires on WeChat's clock. The target is 1, whatever the instances.
func BenchmarkTokenFetchesPerExpiry(b *testing.B) {
	c := newCluster(b, clusterOptions{n: 4, tokenMode: "classic", quiet: true})
	u, _ := c.emu.CreateUser(emulator.UserSpec{})
	tok, _ := c.login(0, u)
	phone := func(i int, code string) error {
		if st, body := c.post(i%4, "/auth/miniprogram/phone", `{"code":"`+code+`"}`, "Authorization", "Bearer "+tok); st != 200 {
			return fmt.Errorf("phone: %d %s", st, body)
		}
		return nil
	}
	p, _ := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
	if err := phone(0, p.Code); err != nil {
		b.Fatal(err)
	}
	var fetches int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		c.emu.Advance(2*time.Hour + time.Second)
		codes := make([]string, 200)
		for k := range codes {
			p, _ := c.emu.MiniProgramPhoneNumber(c.apps["mp"].AppID, u)
			codes[k] = p.Code
		}
		before := c.emu.Stats().Calls["/cgi-bin/token"]
		b.StartTimer()
		var wg sync.WaitGroup
		errs := make([]error, len(codes))
		for k := range codes {
			wg.Add(1)
			go func(k int) { defer wg.Done(); errs[k] = phone(k, codes[k]) }(k)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		fetches += c.emu.Stats().Calls["/cgi-bin/token"] - before
	}
	b.ReportMetric(float64(fetches)/float64(b.N), "fetches/window")
}
