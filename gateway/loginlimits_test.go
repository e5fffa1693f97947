package gateway

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

const outcomeLimitsYAML = `security:
  trusted_proxies: ["10.9.0.0/16"]
  rate_limits:
    login_ip: {limit: 40}
    login_failed_ip: {limit: 3}
    login_user: {limit: -1}
    decrypt_ip: {limit: -1}
    decrypt_user: {limit: -1}
    phone_ip: {limit: -1}
    phone_user: {limit: -1}
`

// Many people behind one address (carrier-grade NAT) log in successfully
// far beyond the strict limit, which only failed attempts meet.
func TestLoginLimitsCountFailuresStrictlyAndSuccessesHigh(t *testing.T) {
	h := newHarness(t, withYAML(outcomeLimitsYAML))
	login := func(code string) answer {
		return h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": code})
	}
	for i := range 20 { // 20 people, one address
		h.wantStatus(login(h.wxLogin("mp", h.user("p"+string(rune('a'+i))))), 200, "")
	}
	for range 3 {
		h.wantStatus(login("0"+strings.Repeat("f", 31)), 400, "invalid_code")
	}
	// Three failures: this address is refused, good codes too, before WeChat.
	calls := h.emu.Stats().Calls["/sns/jscode2session"]
	a := login(h.wxLogin("mp", h.user("late")))
	h.wantStatus(a, 429, "rate_limited")
	if h.emu.Stats().Calls["/sns/jscode2session"] != calls {
		t.Error("a refused login reached WeChat")
	}
	evs, _ := h.store.ListEvents(context.Background(), storage.EventFilter{Type: EventRateLimited})
	if len(evs) == 0 || evs[0].Detail["rule"] != "login_failed_ip" {
		t.Errorf("rate-limit events = %+v", evs)
	}
	// Another address behind the trusted proxy is unaffected.
	r := httptest.NewRequest("POST", "/auth/miniprogram/login", strings.NewReader(`{"app":"mp","code":"`+h.wxLogin("mp", h.user("other"))+`"}`))
	r.RemoteAddr = "10.9.0.5:41000"
	r.Header.Set("X-Forwarded-For", "198.51.100.77")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("another address: %d %s", w.Code, w.Body)
	}
	// The success limit still holds against a flood.
	h.clock.advance(2 * time.Minute)
	n := 0
	for ; n < 60; n++ {
		if a := login(h.wxLogin("mp", h.user("f"))); a.status != 200 {
			h.wantStatus(a, 429, "rate_limited")
			break
		}
	}
	if n != 40 {
		t.Fatalf("%d successful logins before the success limit, want 40", n)
	}
}

// shardKV fails for the rate-limit counters of one rule, as a Redis
// Cluster does when that counter's shard is down.
type shardKV struct {
	storage.KV
	down string
}

func (k shardKV) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if strings.HasPrefix(key, "ratelimit:"+k.down+":") {
		return 0, errKVDown
	}
	return k.KV.Incr(ctx, key, ttl)
}

func (k shardKV) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasPrefix(key, "ratelimit:"+k.down+":") {
		return nil, errKVDown
	}
	return k.KV.Get(ctx, key)
}

// The failed-attempt limit fails closed; the success limit fails open.
func TestLoginLimitsOnAFailedShard(t *testing.T) {
	for _, tc := range []struct {
		down   string
		status int
	}{{"login_ip", 200}, {"login_failed_ip", 503}} {
		t.Run(tc.down, func(t *testing.T) {
			h := newHarness(t, withYAML(outcomeLimitsYAML))
			h.gw.kv = shardKV{h.kv, tc.down}
			if err := h.gw.setupProtections(); err != nil {
				t.Fatal(err)
			}
			a := h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", h.user("s"))})
			if a.status != tc.status {
				t.Fatalf("login with the %s counters down: %d %s, want %d", tc.down, a.status, a.raw, tc.status)
			}
		})
	}
}
