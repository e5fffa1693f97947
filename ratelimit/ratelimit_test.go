package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
)

// recordingKV records the keys and TTLs of Incr calls.
type recordingKV struct {
	storage.KV
	mu   sync.Mutex
	keys []string
	ttls []time.Duration
}

func (k *recordingKV) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	k.mu.Lock()
	k.keys = append(k.keys, key)
	k.ttls = append(k.ttls, ttl)
	k.mu.Unlock()
	return k.KV.Incr(ctx, key, ttl)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// start is the beginning of a one-minute window.
var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newLimiter(t testing.TB, rules ...Rule) (*Limiter, *recordingKV, *clock) {
	t.Helper()
	kv := &recordingKV{KV: memory.NewKV()}
	t.Cleanup(func() { kv.Close() })
	c := &clock{t: start}
	if rules == nil {
		rules = []Rule{{Name: "test", Limit: 3, Window: time.Minute}}
	}
	l, err := New(Options{KV: kv, Rules: rules, Key: []byte("0123456789abcdef0123456789abcdef"), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return l, kv, c
}

func allow(t testing.TB, l *Limiter, rule, key string) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), rule, key)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLimit(t *testing.T) {
	l, _, c := newLimiter(t)
	c.Add(15 * time.Second)
	for i, want := range []Decision{
		{Allowed: true, Limit: 3, Remaining: 2},
		{Allowed: true, Limit: 3, Remaining: 1},
		{Allowed: true, Limit: 3, Remaining: 0},
		// Refused requests count too: the current window's 4 must slide
		// halfway out of the next window (45 s + 30 s) before one more fits.
		{Allowed: false, Limit: 3, RetryAfter: 75 * time.Second},
		{Allowed: false, Limit: 3, RetryAfter: 81 * time.Second},
	} {
		if got := allow(t, l, "test", "192.0.2.1"); got != want {
			t.Fatalf("request %d: %+v, want %+v", i+1, got, want)
		}
	}
	// Other keys have their own counts.
	if d := allow(t, l, "test", "192.0.2.2"); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("another key: %+v", d)
	}
}

func TestRulesAreSeparate(t *testing.T) {
	l, _, _ := newLimiter(t, Rule{Name: "a", Limit: 1, Window: time.Minute}, Rule{Name: "b", Limit: 1, Window: time.Minute})
	if !allow(t, l, "a", "k").Allowed || !allow(t, l, "b", "k").Allowed {
		t.Fatal("the first request of each rule was refused")
	}
	if allow(t, l, "a", "k").Allowed || allow(t, l, "b", "k").Allowed {
		t.Fatal("the second request of a rule was allowed")
	}
}

// The window slides: a burst at the end of one fixed window and another
// at the start of the next do not add up to twice the limit, as they did
// with fixed windows.
func TestSlidingWindow(t *testing.T) {
	l, _, c := newLimiter(t)
	c.Set(start.Add(59 * time.Second))
	for i := range 3 {
		if d := allow(t, l, "test", "u1"); !d.Allowed {
			t.Fatalf("request %d at the end of a window refused: %+v", i+1, d)
		}
	}
	c.Set(start.Add(time.Minute))
	d := allow(t, l, "test", "u1")
	if d.Allowed {
		t.Fatalf("a 4th request a second later, in the next fixed window, was allowed: %+v", d)
	}
	// The previous window's 3 weigh (60-t)/60; with the refused one
	// counted, one more fits once 3*(60-t)/60 + 1 + 1 <= 3: t = 40 s.
	if d.RetryAfter != 40*time.Second {
		t.Fatalf("Retry-After %v, want 40s", d.RetryAfter)
	}
	c.Set(start.Add(time.Minute + 39*time.Second))
	if d, _ := l.Peek(context.Background(), "test", "u1"); d.Allowed {
		t.Fatalf("allowed a second early: %+v", d)
	}
	c.Set(start.Add(time.Minute + 40*time.Second))
	if d := allow(t, l, "test", "u1"); !d.Allowed {
		t.Fatalf("refused at Retry-After: %+v", d)
	}
	// Two windows later nothing of the burst remains.
	c.Set(start.Add(3 * time.Minute))
	if d := allow(t, l, "test", "u1"); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("two windows later: %+v", d)
	}
	// Windows are aligned on the epoch: a burst late in a window with an
	// empty previous one waits for the count to slide out of the next.
	c.Set(start.Add(5*time.Minute + 50*time.Second))
	for range 3 {
		allow(t, l, "test", "u2")
	}
	if d := allow(t, l, "test", "u2"); d.Allowed || d.RetryAfter != 40*time.Second {
		t.Fatalf("late in a window: %+v", d)
	}
}

// Peek tells without counting; a FailOpen rule allows when the KV fails.
func TestPeekAndFailOpen(t *testing.T) {
	l, _, _ := newLimiter(t, Rule{Name: "test", Limit: 2, Window: time.Minute})
	for range 5 {
		if d, err := l.Peek(context.Background(), "test", "k"); err != nil || !d.Allowed || d.Remaining != 1 {
			t.Fatalf("Peek on an empty count: %+v %v", d, err)
		}
	}
	allow(t, l, "test", "k")
	if d, _ := l.Peek(context.Background(), "test", "k"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Peek with one counted: %+v", d)
	}
	allow(t, l, "test", "k")
	if d, _ := l.Peek(context.Background(), "test", "k"); d.Allowed {
		t.Fatalf("Peek at the limit: %+v", d)
	}
	kv := memory.NewKV()
	kv.Close()
	for _, open := range []bool{false, true} {
		l, err := New(Options{KV: kv, Key: NewKey(), Rules: []Rule{{Name: "r", Limit: 5, Window: time.Minute, FailOpen: open}}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Allow(context.Background(), "r", "k")
		if err == nil || d.Allowed != open {
			t.Fatalf("FailOpen %v with the KV down: %+v %v", open, d, err)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    Decision
		want int
	}{
		{Decision{Allowed: true}, 0},
		{Decision{RetryAfter: 0}, 1},
		{Decision{RetryAfter: time.Millisecond}, 1},
		{Decision{RetryAfter: time.Second}, 1},
		{Decision{RetryAfter: time.Second + 1}, 2},
		{Decision{RetryAfter: 59*time.Second + 999*time.Millisecond}, 60},
	} {
		if got := tc.d.RetryAfterSeconds(); got != tc.want {
			t.Errorf("%+v: RetryAfterSeconds = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// 32 goroutines share one limit: exactly Limit requests get through.
func TestConcurrentExact(t *testing.T) {
	l, _, _ := newLimiter(t, Rule{Name: "test", Limit: 100, Window: time.Hour})
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 10 {
				d, err := l.Allow(context.Background(), "test", "203.0.113.9")
				switch {
				case err != nil:
					t.Error(err)
				case d.Allowed:
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 100 || refused.Load() != 220 {
		t.Fatalf("%d allowed, %d refused; want 100 and 220", allowed.Load(), refused.Load())
	}
}

func TestKVKeys(t *testing.T) {
	l, kv, c := newLimiter(t)
	c.Add(30 * time.Second)
	allow(t, l, "test", "198.51.100.23")
	allow(t, l, "test", "198.51.100.24")
	c.Add(time.Minute)
	allow(t, l, "test", "198.51.100.23")
	if len(kv.keys) != 3 {
		t.Fatalf("%d Incr calls", len(kv.keys))
	}
	window := start.Unix() / 60
	for i, k := range kv.keys {
		if strings.Contains(k, "198.51") || strings.Contains(k, "100.2") {
			t.Errorf("KV key %q shows the address", k)
		}
		want := "ratelimit:test:" + strconv.FormatInt(window+int64(i/2), 10) + ":"
		if !strings.HasPrefix(k, want) {
			t.Errorf("KV key %q, want the prefix %q", k, want)
		}
	}
	if kv.keys[0] == kv.keys[1] {
		t.Error("two addresses share a counter")
	}
	// The key stays a whole window past the current one's end.
	if want := 30*time.Second + time.Minute; kv.ttls[0] != want {
		t.Errorf("TTL %v, want %v", kv.ttls[0], want)
	}

	// Instances with the same Options.Key share counters; another key
	// gives other counters.
	same, _ := New(Options{KV: kv, Rules: []Rule{{Name: "test", Limit: 3, Window: time.Minute}}, Key: []byte("0123456789abcdef0123456789abcdef"), Now: c.Now})
	other, _ := New(Options{KV: kv, Rules: []Rule{{Name: "test", Limit: 3, Window: time.Minute}}, Key: []byte("fedcba9876543210fedcba9876543210"), Now: c.Now})
	if a, b := same.kvKey("test", "x", 1), l.kvKey("test", "x", 1); a != b {
		t.Errorf("same key, different counters: %q %q", a, b)
	}
	if a, b := other.kvKey("test", "x", 1), l.kvKey("test", "x", 1); a == b {
		t.Error("different keys, same counter")
	}
	if a, b := l.kvKey("test", "x\x00y", 1), l.kvKey("test\x00x", "y", 1); a == b {
		t.Error("rule and key run together")
	}
}

func TestFailClosed(t *testing.T) {
	l, kv, _ := newLimiter(t)
	kv.Close()
	d, err := l.Allow(context.Background(), "test", "k")
	if d.Allowed {
		t.Fatal("allowed while the KV is down")
	}
	if !errors.Is(err, storage.ErrUnavailable) || !strings.HasPrefix(err.Error(), "ratelimit: ") {
		t.Fatalf("err = %v, want a ratelimit error wrapping storage.ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l2, _, _ := newLimiter(t)
	if d, err := l2.Allow(ctx, "test", "k"); d.Allowed || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %+v, %v", d, err)
	}
}

func TestRuleOff(t *testing.T) {
	l, kv, _ := newLimiter(t, Rule{Name: "off", Limit: 0, Window: time.Minute})
	kv.Close() // an off rule never touches the KV
	for range 100 {
		if d := allow(t, l, "off", "k"); !d.Allowed || d.Limit != 0 {
			t.Fatalf("off rule: %+v", d)
		}
	}
}

func TestUnknownRule(t *testing.T) {
	l, _, _ := newLimiter(t)
	d, err := l.Allow(context.Background(), "nope", "k")
	if err == nil || d.Allowed {
		t.Fatalf("unknown rule: %+v, %v", d, err)
	}
}

func TestNew(t *testing.T) {
	_, err := New(Options{
		Key: []byte("short"),
		Rules: []Rule{
			{Name: "ok", Limit: 1, Window: time.Second},
			{Name: "ok", Limit: 1, Window: time.Second},
			{Name: "Bad-Name", Limit: 1, Window: time.Second},
			{Name: "neg", Limit: -1, Window: time.Second},
			{Name: "fast", Limit: 1, Window: time.Millisecond},
		},
	})
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"Options.KV", "Options.Key", `"ok" is defined twice`, `"Bad-Name"`, "negative", "shorter than a second"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "ratelimit: ") {
			t.Errorf("error line %q lacks the package name", line)
		}
	}

	// nil Rules: the defaults, with seed 002's 10 logins a minute per address.
	kv := memory.NewKV()
	defer kv.Close()
	l, err := New(Options{KV: kv, Key: NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{LoginIP, LoginUser, DecryptIP, DecryptUser, PhoneIP, PhoneUser} {
		if r, ok := l.Rule(name); !ok || r.Limit <= 0 || r.Window <= 0 {
			t.Errorf("default rule %s: %+v %v", name, r, ok)
		}
	}
	if r, _ := l.Rule(LoginFailedIP); r.Limit != 10 || r.Window != time.Minute || r.FailOpen {
		t.Errorf("login_failed_ip default %+v, want 10 a minute, failing closed", r)
	}
	if r, _ := l.Rule(LoginIP); r.Limit != 600 || r.Window != time.Minute || !r.FailOpen {
		t.Errorf("login_ip default %+v, want 600 a minute, failing open", r)
	}
}

// Options.Key is copied: changing the caller's slice changes nothing.
func TestKeyCopied(t *testing.T) {
	kv := memory.NewKV()
	defer kv.Close()
	key := []byte("0123456789abcdef0123456789abcdef")
	l, err := New(Options{KV: kv, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	before := l.kvKey("r", "k", 1)
	key[0] ^= 1
	if after := l.kvKey("r", "k", 1); after != before {
		t.Fatal("the limiter uses the caller's key slice")
	}
}
