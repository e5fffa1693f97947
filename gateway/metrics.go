package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wxgate/wxgate/credential"
	"github.com/wxgate/wxgate/wechat"
)

// metrics are the gateway's Prometheus metrics, on a registry of its own
// (two gateways in one process do not collide). Labels are app names,
// endpoint paths, outcomes and errcodes: never a secret, token, code,
// openid or user id.
type metrics struct {
	reg            *prometheus.Registry
	logins         *prometheus.CounterVec
	wechatRequests *prometheus.CounterVec
	wechatLatency  *prometheus.HistogramVec
	wechatErrors   *prometheus.CounterVec
	tokenFetches   *prometheus.CounterVec
	stateFailures  *prometheus.CounterVec
	decryptFails   *prometheus.CounterVec
	rateLimited    *prometheus.CounterVec
	replays        *prometheus.CounterVec
	requests       *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_logins_total", Help: "Logins by app, app type and outcome (ok or the error code answered).",
		}, []string{"app", "type", "outcome"}),
		wechatRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_wechat_requests_total", Help: "Calls to WeChat's APIs by path and HTTP status (0: no answer).",
		}, []string{"path", "status"}),
		wechatLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wxgate_wechat_request_duration_seconds", Help: "Latency of calls to WeChat's APIs by path.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"path"}),
		wechatErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_wechat_errors_total", Help: "WeChat errcodes received, by path and errcode.",
		}, []string{"path", "errcode"}),
		tokenFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_access_token_fetches_total", Help: "App access token fetches from WeChat by app, mode and outcome.",
		}, []string{"app", "mode", "outcome"}),
		stateFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_login_state_failures_total", Help: "Browser callbacks refused by their state (missing, invalid, expired, mismatch: possible login CSRF).",
		}, []string{"reason"}),
		decryptFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_decrypt_failures_total", Help: "Refused decryptions of mini-program data by app and reason.",
		}, []string{"app", "reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_rate_limited_total", Help: "Requests refused by a rate limit, by rule.",
		}, []string{"rule"}),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_signature_rejections_total", Help: "Signed requests refused, by reason (missing, stale, bad_signature, replayed).",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wxgate_http_requests_total", Help: "Requests served by route and status class.",
		}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.logins, m.wechatRequests, m.wechatLatency, m.wechatErrors, m.tokenFetches,
		m.stateFailures, m.decryptFails, m.rateLimited, m.replays, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrument wraps the transport of WeChat calls: latency and status by
// path. The path is the endpoint's (no query string, which holds secrets).
func (m *metrics) instrument(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		path := wechatPath(r.URL.Path)
		m.wechatLatency.WithLabelValues(path).Observe(time.Since(start).Seconds())
		status := "0"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		m.wechatRequests.WithLabelValues(path, status).Inc()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wechatPath keeps label cardinality bounded: the known API paths, else
// "other" (avatar downloads, anything unexpected).
func wechatPath(p string) string {
	switch p {
	case "/sns/jscode2session", "/sns/oauth2/access_token", "/sns/oauth2/refresh_token", "/sns/auth",
		"/sns/userinfo", "/wxa/checksession", "/wxa/business/getuserphonenumber", "/cgi-bin/token", "/cgi-bin/stable_token":
		return p
	}
	return "other"
}

// wechatError counts an errcode WeChat answered.
func (m *metrics) wechatError(err error) {
	var we *wechat.Error
	if errors.As(err, &we) && we.Code != 0 {
		m.wechatErrors.WithLabelValues(wechatPath(we.Path), strconv.Itoa(we.Code)).Inc()
	}
}

// tokenFetched is the credential manager's OnFetch hook.
func (m *metrics) tokenFetched(apps *apps) func(string, credential.Mode, error) {
	return func(appID string, mode credential.Mode, err error) {
		name := "unknown"
		if a, ok := apps.byAppID[appID]; ok {
			name = a.Name()
		}
		outcome := "ok"
		if err != nil {
			outcome = "error"
			m.wechatError(err)
		}
		m.tokenFetches.WithLabelValues(name, string(mode), outcome).Inc()
	}
}
