package gateway

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/signing"
	"github.com/wxgate/wxgate/storage"
)

const limitsYAML = `security:
  trusted_proxies: ["10.9.0.0/16"]
  rate_limits:
    login_ip: {limit: 3, window: 1m}
    login_user: {limit: 5}
    decrypt_ip: {limit: -1}
    decrypt_user: {limit: 2}
    phone_ip: {limit: -1}
    phone_user: {limit: 1}
`

func TestRateLimits(t *testing.T) {
	h := newHarness(t, withYAML(limitsYAML))
	u := h.user("r")
	login := func(headers ...string) answer {
		return h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}, headers...)
	}
	for range 3 {
		h.wantStatus(login(), 200, "")
	}
	a := login()
	h.wantStatus(a, 429, "rate_limited")
	ra, _ := strconv.Atoi(a.header.Get("Retry-After"))
	if ra < 1 || ra > 120 { // sliding window: up to a window and a part
		t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
	}
	// A refused login never reached WeChat: its code is still good.
	calls := h.emu.Stats().Calls["/sns/jscode2session"]
	login()
	if h.emu.Stats().Calls["/sns/jscode2session"] != calls {
		t.Error("a rate-limited login spent its code at WeChat")
	}
	// X-Forwarded-For from an untrusted peer is ignored: spoofing does not
	// buy a fresh budget.
	h.wantStatus(login("X-Forwarded-For", "203.0.113.7"), 429, "rate_limited")
	// The window slides on the clock: two windows later the count is gone.
	h.clock.advance(2 * time.Minute)
	h.wantStatus(login(), 200, "")

	// Per user: phone numbers, one per minute.
	tok := h.mpLogin("mp", u).str("token")
	phone := func() answer {
		p, _ := h.ctl.MiniProgramPhoneNumber(context.Background(), h.apps["mp"].AppID, u)
		return h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...)
	}
	h.wantStatus(phone(), 200, "")
	h.wantStatus(phone(), 429, "rate_limited")
	// The refusals are counted and recorded.
	m := h.do("GET", "/metrics", nil)
	if metricValue(t, m.raw, "wxgate_rate_limited_total", `rule="login_ip"`) < 2 || metricValue(t, m.raw, "wxgate_rate_limited_total", `rule="phone_user"`) != 1 {
		t.Errorf("rate-limit metrics:\n%s", grepLines(m.raw, "rate_limited"))
	}
	evs, _ := h.store.ListEvents(context.Background(), storage.EventFilter{Type: EventRateLimited})
	if len(evs) < 3 || evs[0].Detail["rule"] != "login_ip" || evs[0].IP != "127.0.0.1" {
		t.Errorf("rate-limit events = %+v", evs)
	}
}

func TestRateLimitsBehindTrustedProxies(t *testing.T) {
	h := newHarness(t, withYAML(limitsYAML))
	// Requests arrive from a trusted proxy: each client has its own budget.
	for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
		u := h.user(client) // one person per client, under the per-user limit
		for i := range 4 {
			r := httptest.NewRequest("POST", "/auth/miniprogram/login", strings.NewReader(`{"app":"mp","code":"`+h.wxLogin("mp", u)+`"}`))
			r.RemoteAddr = "10.9.0.5:41000"
			r.Header.Set("X-Forwarded-For", "6.6.6.6, "+client) // the left part is the client's own claim
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.gw.ServeHTTP(w, r)
			want := 200
			if i == 3 {
				want = 429
			}
			if w.Code != want {
				t.Fatalf("client %s request %d: %d %s", client, i, w.Code, w.Body)
			}
		}
	}
}

// failingKV is a cache that cannot be reached.
type failingKV struct{ storage.KV }

var errKVDown = errors.Join(storage.ErrUnavailable, errors.New("dial tcp: connection refused"))

func (failingKV) Incr(context.Context, string, time.Duration) (int64, error) { return 0, errKVDown }
func (failingKV) Get(context.Context, string) ([]byte, error)                { return nil, errKVDown }

func TestRateLimitsFailClosed(t *testing.T) {
	h := newHarness(t, withYAML(limitsYAML))
	h.gw.limiter = nil
	h.gw.kv = failingKV{h.kv}
	if err := h.gw.setupProtections(); err != nil {
		t.Fatal(err)
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", h.user("x"))}), 503, "storage_unavailable")
}

func TestSignedRequests(t *testing.T) {
	h := newHarness(t, withApps(append(append([]appDef{}, defaultApps...), appDef{name: "mps", typ: "miniprogram", openAccount: "acme", extra: "    sign_requests: true\n"})))
	u := h.user("s")
	a := h.mpLogin("mps", u)
	tok, skey := a.str("token"), a.str("signing_key")
	key, err := signing.ParseKey(skey)
	if err != nil {
		t.Fatalf("login answer's signing_key %q: %v", skey, err)
	}
	if h.mpLogin("mp", u).str("signing_key") != "" {
		t.Error("an app without sign_requests got a signing key")
	}
	p, _ := h.ctl.MiniProgramUserInfo(context.Background(), h.apps["mps"].AppID, u)
	body := []byte(`{"encrypted_data":"` + p.EncryptedData + `","iv":"` + p.IV + `"}`)
	send := func(b []byte, sign func(*http.Request)) answer {
		r, _ := http.NewRequest("POST", h.url+"/auth/miniprogram/decrypt", bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		if sign != nil {
			sign(r)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		out := answer{status: resp.StatusCode, header: resp.Header, raw: buf.String()}
		jsonUnmarshal(out.raw, &out.body)
		return out
	}
	signWith := func(nonce string, at time.Time, b []byte) func(*http.Request) {
		return func(r *http.Request) {
			if err := signing.Sign(r, b, key, at, nonce); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.wantStatus(send(body, nil), 401, "bad_signature")
	h.wantStatus(send(body, signWith("nonce-0000000000001", h.clock.now(), body)), 200, "")
	h.wantStatus(send(body, signWith("nonce-0000000000001", h.clock.now(), body)), 401, "bad_signature") // replayed
	h.wantStatus(send(body, signWith("nonce-0000000000002", h.clock.now().Add(-6*time.Minute), body)), 401, "bad_signature")
	tampered := bytes.Replace(body, []byte(`"iv":"`), []byte(`"iv":"A`), 1)
	h.wantStatus(send(tampered, signWith("nonce-0000000000003", h.clock.now(), body)), 401, "bad_signature")
	// The session's other calls need signatures too.
	h.wantStatus(h.do("GET", "/auth/me", nil, bearer(tok)...), 401, "bad_signature")
	m := h.do("GET", "/metrics", nil)
	for _, reason := range []string{"missing", "replayed", "stale", "bad_signature"} {
		if metricValue(t, m.raw, "wxgate_signature_rejections_total", `reason="`+reason+`"`) < 1 {
			t.Errorf("no %s rejection counted:\n%s", reason, grepLines(m.raw, "signature"))
		}
	}
	evs, _ := h.store.ListEvents(context.Background(), storage.EventFilter{Type: EventReplay})
	if len(evs) < 4 {
		t.Errorf("signature events = %+v", evs)
	}
	// The key is handed out once, in the login answer; never logged.
	if strings.Contains(h.logs.String(), skey) {
		t.Error("the signing key is in the log")
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
