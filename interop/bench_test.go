package interop

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchClients is how many people log in at once in the benchmarks: 64,
// or $WXGATE_BENCH_CLIENTS.
var benchClients = envInt("WXGATE_BENCH_CLIENTS", 64)

// benchPool is the PostgreSQL connection pool of each provider: one
// connection per client (Hydra deadlocks with fewer: every connection idle
// in a transaction, waiting for another), or $WXGATE_BENCH_POOL.
// Connections idle for benchIdle are closed, so the provider not being
// measured holds next to none and both fit in PostgreSQL's default
// max_connections (100) beside the other tests' connections.
var benchPool = envInt("WXGATE_BENCH_POOL", benchClients)

const benchIdle = "2s"

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// provider is one OpenID provider under benchmark: how a person logs in
// there, once the browser has been sent to its login page.
type provider interface {
	rp() *rpClient
	// signIn takes browser b from the authorization URL to the redirect
	// back to the client, logging in as person i.
	signIn(ctx context.Context, b *browser, authURL string, i int) (*url.URL, error)
}

// BenchmarkOIDCRoundTrip measures full authorization code logins per
// second, 64 people at once, for wxgate and for Ory Hydra on the same
// machine, both on PostgreSQL: authorize, the login (for wxgate: WeChat's
// QR page, scan and confirm in the emulator, the gateway's callback; for
// Hydra: login and consent accepted through its admin API, as a login app
// would), the redirect back with the code, the token request and
// userinfo. Every login is a new browser (no single sign-on).
func BenchmarkOIDCRoundTrip(b *testing.B) {
	for _, name := range []string{"wxgate", "hydra"} {
		b.Run(name, func(b *testing.B) {
			p := benchProvider(b, name)
			rt := benchTransport()
			login := func(ctx context.Context, i int) (tokens, error) {
				return roundTrip(ctx, p, newBrowser(rt), i)
			}
			for i := range benchClients { // warm: people known, connections open
				if _, err := warm(func() (tokens, error) { return login(context.Background(), i) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			d, lat, failed := fanOut(b, b.N, false, func(_, i int) error {
				_, err := login(context.Background(), i)
				return err
			})
			b.StopTimer()
			report(b, d, lat, failed, "logins/s")
		})
	}
}

// BenchmarkOIDCToken measures the token endpoint alone: 64 clients each
// redeem their refresh token (which rotates) as fast as they can, for
// wxgate and for Ory Hydra, both on PostgreSQL.
func BenchmarkOIDCToken(b *testing.B) {
	for _, name := range []string{"wxgate", "hydra"} {
		b.Run(name, func(b *testing.B) {
			p := benchProvider(b, name)
			rt := benchTransport()
			hc := &http.Client{Transport: rt, Timeout: requestTimeout}
			refresh := make([]string, benchClients)
			for w := range refresh {
				t, err := warm(func() (tokens, error) { return roundTrip(context.Background(), p, newBrowser(rt), w) })
				if err != nil {
					b.Fatal(err)
				}
				refresh[w] = t.RefreshToken
			}
			b.ResetTimer()
			d, lat, failed := fanOut(b, b.N, true, func(w, _ int) error {
				t, err := p.rp().refresh(context.Background(), hc, refresh[w])
				if err != nil {
					return err
				}
				refresh[w] = t.RefreshToken
				return nil
			})
			b.StopTimer()
			report(b, d, lat, failed, "tokens/s")
		})
	}
}

// roundTrip is one person's whole login through p: the tokens it ends with.
func roundTrip(ctx context.Context, p provider, b *browser, i int) (tokens, error) {
	c := p.rp()
	ar := c.newAuthRequest("openid profile offline_access")
	back, err := p.signIn(ctx, b, ar.url, i)
	if err != nil {
		return tokens{}, err
	}
	code, err := c.codeFrom(ar, back)
	if err != nil {
		return tokens{}, err
	}
	t, err := c.exchange(ctx, b.hc, ar, code)
	if err != nil {
		return t, err
	}
	if _, err := c.userInfo(ctx, b.hc, t.AccessToken); err != nil {
		return t, err
	}
	return t, nil
}

// warm runs a login before the clock starts, trying up to three times (a
// loaded machine can make a provider time out).
func warm(login func() (tokens, error)) (tokens, error) {
	var err error
	for range 3 {
		var t tokens
		if t, err = login(); err == nil {
			return t, nil
		}
	}
	return tokens{}, err
}

func benchProvider(b *testing.B, name string) provider {
	switch name {
	case "hydra":
		return sharedStack(b, &shared.hydra, func(tb testing.TB) (*hydraStack, func(), error) {
			h, err := startHydra(tb)
			if err != nil {
				return nil, nil, err
			}
			return h, h.stop, nil
		})
	case "wxgate":
		return benchWxgate(b)
	}
	b.Fatalf("no provider %q", name)
	return nil
}

func benchTransport() http.RoundTripper {
	return &http.Transport{MaxIdleConns: 4 * benchClients, MaxIdleConnsPerHost: 2 * benchClients, IdleConnTimeout: time.Minute}
}

// fanOut runs call(worker, 0..n-1) on benchClients workers and returns the
// wall time and the latency of every call that succeeded, sorted. A call
// that fails is counted, not timed; its worker goes on with the next call
// unless stopOnError (a refresh token chain cannot go on after a failure).
// The benchmark fails when every call failed.
func fanOut(b *testing.B, n int, stopOnError bool, call func(worker, i int) error) (time.Duration, []time.Duration, int) {
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if err := call(w, i); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					if stopOnError {
						return
					}
					continue
				}
				lat[i], ok[i] = time.Since(t), true
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	var done []time.Duration
	for i, l := range lat {
		if ok[i] {
			done = append(done, l)
		}
	}
	if len(done) == 0 {
		b.Fatalf("every call failed; the first: %v", firstErr.Load())
	}
	if f := failures.Load(); f > 0 {
		b.Logf("%d of %d calls failed; the first: %v", f, n, firstErr.Load())
	}
	slices.Sort(done)
	return d, done, int(failures.Load())
}

// report gives the rate of successful calls in unit, their median and
// 99th percentile latency, and the calls that failed.
func report(b *testing.B, d time.Duration, lat []time.Duration, failed int, unit string) {
	b.ReportMetric(float64(len(lat))/d.Seconds(), unit)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	b.ReportMetric(float64(failed), "failed")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
