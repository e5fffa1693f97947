package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// BenchmarkLogin measures, in one run against one emulator, mini-program
// logins per second through the gateway with 64 concurrent clients next to
// raw jscode2session calls per second with the same concurrency. Their
// ratio is the gateway's cost (link the user, seal the session_key, start
// a session). It also reports the logins' p50 and p99 latency.
// db=sqlite/group=off is SQLite with one transaction per write (group
// commit off, as before it existed): the baseline of db=sqlite/group=on,
// the default, in the same run (benchsum prints them side by side).
func BenchmarkLogin(b *testing.B) {
	for _, db := range []string{"sqlite/group=off", "sqlite/group=on", "memory"} {
		b.Run("db="+db, func(b *testing.B) {
			opts := []harnessOption{quiet(), withEmulator(emulator.Behaviour{JSCodeRateScope: "off"})}
			switch db {
			case "memory":
				opts = append(opts, withDatabase("memory"))
			case "sqlite/group=off":
				opts = append(opts, withDatabase("sqlite:?_group_commit=0"))
			}
			benchLogin(b, newHarness(b, opts...))
		})
	}
}

const benchClients = 64

func benchLogin(b *testing.B, h *harness) {
	app := h.apps["mp"]
	users := make([]string, 256)
	for i := range users {
		users[i] = h.user(fmt.Sprintf("u%d", i))
	}
	codes := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			c, err := h.emu.MiniProgramLogin(app.AppID, users[i%len(users)])
			if err != nil {
				b.Fatal(err)
			}
			out[i] = c
		}
		return out
	}
	// Warm both paths (users exist, connections open, token caches full).
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxIdleConns: benchClients}}
	for _, c := range codes(len(users)) {
		login(b, hc, h.url, c)
	}
	raw, err := wechat.New(wechat.Config{AppID: app.AppID, Secret: wechat.NewSecret(app.Secret), APIBase: h.emuURL})
	if err != nil {
		b.Fatal(err)
	}
	rawCodes, gwCodes := codes(b.N), codes(b.N)

	b.ResetTimer()
	rawDur, _ := fanOut(b.N, func(i int) error {
		_, err := raw.Code2Session(context.Background(), rawCodes[i])
		return err
	})
	gwDur, lat := fanOut(b.N, func(i int) error { return login(b, hc, h.url, gwCodes[i]) })
	b.StopTimer()

	rawRate := float64(b.N) / rawDur.Seconds()
	gwRate := float64(b.N) / gwDur.Seconds()
	b.ReportMetric(gwRate, "logins/s")
	b.ReportMetric(rawRate, "raw_jscode2session/s")
	b.ReportMetric(gwRate/rawRate, "ratio")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

func login(b *testing.B, hc *http.Client, base, code string) error {
	resp, err := hc.Post(base+"/auth/miniprogram/login", "application/json", strings.NewReader(`{"app":"mp","code":"`+code+`"}`))
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

// fanOut runs call(0..n-1) on benchClients goroutines and returns the wall
// time and every call's latency, sorted.
func fanOut(n int, call func(i int) error) (time.Duration, []time.Duration) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if err := call(i); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		panic(err)
	}
	slices.Sort(lat)
	return d, lat
}
