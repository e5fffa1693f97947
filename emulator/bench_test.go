package emulator_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// benchServer serves e on a real loopback listener and returns its base URL
// and a keep-alive client with enough idle connections for b.RunParallel.
func benchServer(b *testing.B, e *emulator.Emulator) (string, *http.Client) {
	return benchServerH(b, e)
}

func benchServerH(b *testing.B, e http.Handler) (string, *http.Client) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return "http://" + ln.Addr().String(), &http.Client{Transport: tr}
}

// runCodes sends the pre-built requests (one pre-issued code each) from
// parallel keep-alive clients and reports req/s.
func runCodes(b *testing.B, hc *http.Client, reqs []*http.Request) {
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		for pb.Next() {
			resp, err := hc.Do(reqs[next.Add(1)-1])
			if err != nil {
				failed.Add(1)
				continue
			}
			n, _ := io.ReadFull(resp.Body, buf)
			resp.Body.Close()
			// A success is a JSON object that does not start with errcode.
			if resp.StatusCode != http.StatusOK || n < 3 || string(buf[:3]) == `{"e` {
				failed.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d calls failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// request builds a GET request outside the timed loop.
func request(b *testing.B, u string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	return req
}

func BenchmarkJSCode2Session(b *testing.B) {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	app, _ := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, OpenAccount: "acme"})
	// 45011 allows 100 calls a minute per user: enough users that the
	// limiter stays in the measured path without refusing anything.
	users := make([]string, b.N/100+1)
	for i := range users {
		users[i], _ = e.CreateUser(emulator.UserSpec{})
	}
	base, hc := benchServer(b, e)
	reqs := make([]*http.Request, b.N)
	q := url.Values{"appid": {app.AppID}, "secret": {app.Secret}, "grant_type": {"authorization_code"}}
	for i := range reqs {
		c, err := e.MiniProgramLogin(app.AppID, users[i/100])
		if err != nil {
			b.Fatal(err)
		}
		q.Set("js_code", c)
		reqs[i] = request(b, base+"/sns/jscode2session?"+q.Encode())
	}
	runCodes(b, hc, reqs)
}

func BenchmarkOAuthAccessToken(b *testing.B) {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	app, _ := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMobile, OpenAccount: "acme"})
	uid, _ := e.CreateUser(emulator.UserSpec{})
	base, hc := benchServer(b, e)
	reqs := make([]*http.Request, b.N)
	q := url.Values{"appid": {app.AppID}, "secret": {app.Secret}, "grant_type": {"authorization_code"}}
	for i := range reqs {
		mc, err := e.MobileAuthorize(app.AppID, uid, "s")
		if err != nil {
			b.Fatal(err)
		}
		q.Set("code", mc.Code)
		reqs[i] = request(b, base+"/sns/oauth2/access_token?"+q.Encode())
	}
	runCodes(b, hc, reqs)
}

// BenchmarkJSCode2SessionHandler measures the emulator's own cost of a
// jscode2session call, without the network or an HTTP client.
func BenchmarkJSCode2SessionHandler(b *testing.B) {
	e, err := emulator.New(emulator.Options{Behaviour: emulator.Behaviour{JSCodeRateScope: emulator.RateScopeOff}})
	if err != nil {
		b.Fatal(err)
	}
	app, _ := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, OpenAccount: "acme"})
	uid, _ := e.CreateUser(emulator.UserSpec{})
	reqs := make([]*http.Request, b.N)
	q := url.Values{"appid": {app.AppID}, "secret": {app.Secret}, "grant_type": {"authorization_code"}}
	for i := range reqs {
		c, _ := e.MiniProgramLogin(app.AppID, uid)
		q.Set("js_code", c)
		reqs[i] = httptest.NewRequest(http.MethodGet, "/sns/jscode2session?"+q.Encode(), nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, reqs[i])
		if w.Body.Bytes()[2] == 'e' {
			b.Fatal(w.Body.String())
		}
	}
}
