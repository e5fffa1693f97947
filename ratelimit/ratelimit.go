package ratelimit

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// The gateway's rules.
const (
	LoginIP       = "login_ip"        // successful logins (and login starts) per client address
	LoginFailedIP = "login_failed_ip" // failed login attempts and bad signatures per client address
	LoginUser     = "login_user"      // logins per user
	DecryptIP     = "decrypt_ip"      // decryptions per client address
	DecryptUser   = "decrypt_user"    // decryptions per user
	PhoneIP       = "phone_ip"        // phone-number requests per client address
	PhoneUser     = "phone_user"      // phone-number requests per user
)

// Rule allows Limit requests per Window for each key.
type Rule struct {
	// Name is what Allow is called with: lower-case letters, digits and
	// "_".
	Name string
	// Limit is the number of requests allowed per window; 0 turns the rule
	// off (everything is allowed and the KV is not used).
	Limit int
	// Window is at least a second.
	Window time.Duration
	// FailOpen lets requests through (with the error) when the KV cannot
	// count them. Default false: the rule fails closed. Only for rules
	// whose refusal would hurt more people than their absence: a limit of
	// successful logins per address, which thousands behind one
	// carrier-grade NAT share.
	FailOpen bool
}

// DefaultRules returns the gateway's default rules, all per minute.
//
// In China thousands of real people can share one address (carrier-grade
// NAT on mobile networks, offices, campuses), so a strict per-address
// limit on every login would lock them all out together. Guessing shows
// as failures, not successes: failed login attempts (bad or replayed
// codes, bad signatures, broken states) are limited per address at 10 a
// minute, as seed 002 of the design notes suggests; successful logins per
// address get a limit 60 times higher (600), which only a flood reaches;
// logins per user stay at 10. Decryptions: 30 per address and 10 per
// user; phone numbers: 10 per address and 5 per user, as each spends
// WeChat's paid quota.
func DefaultRules() []Rule {
	return []Rule{
		{Name: LoginIP, Limit: 600, Window: time.Minute, FailOpen: true},
		{Name: LoginFailedIP, Limit: 10, Window: time.Minute},
		{Name: LoginUser, Limit: 10, Window: time.Minute},
		{Name: DecryptIP, Limit: 30, Window: time.Minute},
		{Name: DecryptUser, Limit: 10, Window: time.Minute},
		{Name: PhoneIP, Limit: 10, Window: time.Minute},
		{Name: PhoneUser, Limit: 5, Window: time.Minute},
	}
}

// MinKeySize is the shortest Options.Key accepted.
const MinKeySize = 16

// Options configure a Limiter.
type Options struct {
	// KV holds the counters: the gateway's cache (memory, or Redis for
	// limits across instances). Required.
	KV storage.KV
	// Rules are the rules Allow knows; nil means DefaultRules().
	Rules []Rule
	// Key keys the hash that stands for limited keys in the KV: at least
	// MinKeySize bytes, the same on every instance sharing the KV.
	// Required.
	Key []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limiter checks requests against rules; New makes one. It is safe for
// concurrent use.
type Limiter struct {
	kv    storage.KV
	rules map[string]Rule
	now   func() time.Time
	macs  sync.Pool // of hash.Hash: HMAC-SHA256 under Options.Key
}

// New returns a Limiter, or an error listing every problem of opt.
func New(opt Options) (*Limiter, error) {
	var errs []error
	if opt.KV == nil {
		errs = append(errs, errors.New("ratelimit: Options.KV is required"))
	}
	if len(opt.Key) < MinKeySize {
		errs = append(errs, fmt.Errorf("ratelimit: Options.Key must hold at least %d bytes (the same on every instance)", MinKeySize))
	}
	if opt.Rules == nil {
		opt.Rules = DefaultRules()
	}
	rules := make(map[string]Rule, len(opt.Rules))
	for _, r := range opt.Rules {
		if !validName(r.Name) {
			errs = append(errs, fmt.Errorf("ratelimit: rule name %q: use lower-case letters, digits and _", r.Name))
		} else if _, dup := rules[r.Name]; dup {
			errs = append(errs, fmt.Errorf("ratelimit: rule %q is defined twice", r.Name))
		}
		if r.Limit < 0 {
			errs = append(errs, fmt.Errorf("ratelimit: rule %q: limit %d is negative (0 turns the rule off)", r.Name, r.Limit))
		}
		if r.Window < time.Second {
			errs = append(errs, fmt.Errorf("ratelimit: rule %q: window %v is shorter than a second", r.Name, r.Window))
		}
		rules[r.Name] = r
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	l := &Limiter{kv: opt.KV, rules: rules, now: opt.Now}
	if l.now == nil {
		l.now = time.Now
	}
	key := append([]byte(nil), opt.Key...)
	l.macs.New = func() any { return hmac.New(sha256.New, key) }
	return l, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Rule returns the rule with the name.
func (l *Limiter) Rule(name string) (Rule, bool) {
	r, ok := l.rules[name]
	return r, ok
}

// Decision is the outcome of Allow.
type Decision struct {
	// Allowed says whether the request may go on.
	Allowed bool
	// Limit is the rule's limit (0: the rule is off).
	Limit int
	// Remaining is how many more requests the window allows.
	Remaining int
	// RetryAfter is, when the request is refused, the time until the
	// window ends; zero when it is allowed.
	RetryAfter time.Duration
}

// RetryAfterSeconds is RetryAfter for a Retry-After header: whole seconds,
// rounded up, at least 1 (0 when the request is allowed).
func (d Decision) RetryAfterSeconds() int {
	if d.Allowed {
		return 0
	}
	return max(1, int((d.RetryAfter+time.Second-1)/time.Second))
}

// Allow counts a request of key (a client address from AddrKey, a user
// id) under the named rule and says whether it may go on. Every call
// counts, refused ones too. An unknown rule is an error, and so is a KV
// failure (wrapping storage.ErrUnavailable when the KV is down): both
// come with a refusal, as the limiter fails closed, except for a rule with
// FailOpen, which allows the request and still returns the error.
func (l *Limiter) Allow(ctx context.Context, rule, key string) (Decision, error) {
	return l.check(ctx, rule, key, true)
}

// Peek says whether a request of key would be allowed now, without
// counting it: for a check before the outcome is known, with Allow
// counting the outcome afterwards (successes and failures under separate
// rules). Failures are as Allow's.
func (l *Limiter) Peek(ctx context.Context, rule, key string) (Decision, error) {
	return l.check(ctx, rule, key, false)
}

// check implements a sliding-window counter: per (rule, key) one counter
// per fixed window, and the estimate of the last Window's requests is the
// current window's count plus the previous window's count weighted by how
// much of the previous window the sliding window still covers. It costs
// one Incr and one Get; the burst at a window boundary that plain fixed
// windows allow (2×Limit) is gone, within the estimate's assumption that
// the previous window's requests were spread evenly.
func (l *Limiter) check(ctx context.Context, rule, key string, count bool) (Decision, error) {
	r, ok := l.rules[rule]
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: no rule named %q", rule)
	}
	if r.Limit == 0 {
		return Decision{Allowed: true}, nil
	}
	now := l.now()
	w := int64(r.Window)
	n := floorDiv(now.UnixNano(), w)
	end := time.Unix(0, (n+1)*w)
	left := end.Sub(now)
	fail := func(err error) (Decision, error) {
		return Decision{Allowed: r.FailOpen, Limit: r.Limit}, fmt.Errorf("ratelimit: counting %s: %w", rule, err)
	}
	var cur int64
	var err error
	if count {
		// The key outlives its window by one more, so that the next
		// window can weigh it (and instances whose clocks differ a little
		// still share the count).
		cur, err = l.kv.Incr(ctx, l.kvKey(rule, key, n), left+r.Window)
	} else {
		cur, err = l.counter(ctx, l.kvKey(rule, key, n))
	}
	if err != nil {
		return fail(err)
	}
	prev, err := l.counter(ctx, l.kvKey(rule, key, n-1))
	if err != nil {
		return fail(err)
	}
	// weight is the share of the previous window the sliding window still
	// covers, in (0, 1].
	weight := float64(left) / float64(w)
	est := float64(prev)*weight + float64(cur)
	limit := float64(r.Limit)
	if !count {
		est++ // the request Peek asks about
	}
	d := Decision{Allowed: est <= limit, Limit: r.Limit}
	if d.Allowed {
		d.Remaining = int(limit - est)
		return d, nil
	}
	// Refused: when does the estimate (for one more request) fall to the
	// limit? Within this window only the previous window's weight falls;
	// if the current count alone is over, not before its own window has
	// slid far enough in the next one.
	switch {
	case float64(cur) < limit && prev > 0:
		// prev*(left-t)/w + cur + 1 <= limit  =>  t >= left - (limit-cur-1)*w/prev
		need := float64(w) * (limit - float64(cur) - 1) / float64(prev)
		d.RetryAfter = left - time.Duration(need)
	default:
		// cur*(w-t')/w <= limit-1 in the next window, t' after its start.
		d.RetryAfter = left
		if cur > 0 {
			d.RetryAfter += time.Duration(float64(w) * (1 - (limit-1)/float64(cur)))
		}
	}
	d.RetryAfter = max(d.RetryAfter, time.Second)
	return d, nil
}

// counter reads a window's count; absent counts as 0.
func (l *Limiter) counter(ctx context.Context, key string) (int64, error) {
	v, err := l.kv.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("a counter holds %d bytes that are not an integer", len(v))
	}
	return n, nil
}

// floorDiv is a/b rounded down (b > 0), so that windows before 1970 are
// numbered consistently too.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// kvKey is the counter's KV key: the rule, the window number and a keyed
// hash of rule and key (never the key itself).
func (l *Limiter) kvKey(rule, key string, window int64) string {
	m := l.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(rule))
	m.Write([]byte{0})
	m.Write([]byte(key))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	l.macs.Put(m)
	buf := make([]byte, 0, 80)
	buf = append(buf, "ratelimit:"...)
	buf = append(buf, rule...)
	buf = append(buf, ':')
	buf = strconv.AppendInt(buf, window, 10)
	buf = append(buf, ':')
	buf = base64.RawURLEncoding.AppendEncode(buf, sum[:16])
	return string(buf)
}

// NewKey returns a random key for Options.Key, for a single instance or
// tests; instances sharing a KV must share the key.
func NewKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("ratelimit: crypto/rand failed: " + err.Error())
	}
	return k
}
