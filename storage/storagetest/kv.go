package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Short TTLs for the expiry checks, and how long a key may outlive its TTL
// before the suite calls it immortal.
const (
	shortTTL  = 150 * time.Millisecond
	expiryMax = 5 * time.Second
)

// RunKVTests checks that the KVs newKV returns meet the contract of
// storage.KV. newKV is called once per subtest; the KV may hold other keys
// (the suite's keys are unique to the run), and should be closed in
// t.Cleanup (one subtest closes it itself first, so Close must tolerate a
// second call).
func RunKVTests(t *testing.T, newKV func(t *testing.T) storage.KV) {
	tests := []struct {
		name string
		run  func(*testing.T, storage.KV)
	}{
		{"GetSet", testKVGetSet},
		{"SetNX", testKVSetNX},
		{"Take", testKVTake},
		{"Delete", testKVDelete},
		{"CompareAndSwap", testKVCompareAndSwap},
		{"CompareAndDelete", testKVCompareAndDelete},
		{"Incr", testKVIncr},
		{"Expiry", testKVExpiry},
		{"ExpiredForEveryOperation", testKVExpiredForEveryOperation},
		{"IncrKeepsTTL", testKVIncrKeepsTTL},
		{"Copies", testKVCopies},
		{"HostileInput", testKVHostileInput},
		{"ConcurrentSetNX", testKVConcurrentSetNX},
		{"ConcurrentIncr", testKVConcurrentIncr},
		{"ConcurrentTake", testKVConcurrentTake},
		{"ConcurrentCompareAndSwap", testKVConcurrentCompareAndSwap},
		{"CancelledContext", testKVCancelledContext},
		{"Close", testKVClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newKV(t))
		})
	}
}

// key returns a key unique to this run and test.
func key(t testing.TB, name string) string {
	return "storagetest:" + runID + ":" + t.Name() + ":" + name
}

// value fails the test unless key holds want.
func value(t testing.TB, kv storage.KV, key string, want []byte) {
	t.Helper()
	got, err := kv.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v, want %q", key, err, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) = %q, want %q", key, got, want)
	}
}

// absent fails the test unless key is absent.
func absent(t testing.TB, kv storage.KV, key string) {
	t.Helper()
	got, err := kv.Get(t.Context(), key)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%s) = %q, %v; want ErrNotFound", key, got, err)
	}
}

// gone reports whether key is absent, failing the test on other errors.
func gone(t testing.TB, kv storage.KV, key string) bool {
	t.Helper()
	_, err := kv.Get(t.Context(), key)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return err != nil
}

// expires waits for key to disappear, and fails the test if it does so
// before ttl has passed since start or not within expiryMax.
func expires(t testing.TB, kv storage.KV, key string, start time.Time, ttl time.Duration) {
	t.Helper()
	eventually(t, expiryMax, "expiry of "+key, func() bool { return gone(t, kv, key) })
	if took := time.Since(start); took < ttl {
		t.Errorf("%s expired after %v, before its TTL of %v", key, took, ttl)
	}
}

func testKVGetSet(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "k")
	absent(t, kv, k)
	noErr(t, kv.Set(ctx, k, []byte("one"), time.Hour), "Set")
	value(t, kv, k, []byte("one"))
	noErr(t, kv.Set(ctx, k, []byte("two"), time.Hour), "Set(replace)")
	value(t, kv, k, []byte("two"))
	absent(t, kv, key(t, "other"))
}

func testKVSetNX(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "k")
	if ok := must(kv.SetNX(ctx, k, []byte("first"), time.Hour))(t); !ok {
		t.Fatalf("SetNX on an absent key = false")
	}
	value(t, kv, k, []byte("first"))
	if ok := must(kv.SetNX(ctx, k, []byte("second"), time.Hour))(t); ok {
		t.Fatalf("SetNX on a present key = true")
	}
	value(t, kv, k, []byte("first"))
}

func testKVTake(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "state")
	noErr(t, kv.Set(ctx, k, []byte("nonce"), time.Hour), "Set")
	if got := must(kv.Take(ctx, k))(t); string(got) != "nonce" {
		t.Fatalf("Take = %q, want %q", got, "nonce")
	}
	absent(t, kv, k)
	_, err := kv.Take(ctx, k)
	isErr(t, err, storage.ErrNotFound, "Take again")
	_, err = kv.Take(ctx, key(t, "never"))
	isErr(t, err, storage.ErrNotFound, "Take(missing)")
}

func testKVDelete(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k, other := key(t, "k"), key(t, "other")
	noErr(t, kv.Set(ctx, k, []byte("v"), time.Hour), "Set")
	noErr(t, kv.Set(ctx, other, []byte("w"), time.Hour), "Set")
	noErr(t, kv.Delete(ctx, k), "Delete")
	absent(t, kv, k)
	noErr(t, kv.Delete(ctx, k), "Delete again")
	noErr(t, kv.Delete(ctx, key(t, "never")), "Delete(missing)")
	value(t, kv, other, []byte("w"))
}

func testKVCompareAndSwap(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "lease")
	cas := func(old, new []byte, want bool) {
		t.Helper()
		if ok := must(kv.CompareAndSwap(ctx, k, old, new, time.Hour))(t); ok != want {
			t.Fatalf("CompareAndSwap(%q -> %q) = %v, want %v", old, new, ok, want)
		}
	}
	cas([]byte("x"), []byte("a"), false) // absent is not "x"
	absent(t, kv, k)
	cas(nil, []byte("a"), true) // nil: only if absent
	value(t, kv, k, []byte("a"))
	cas(nil, []byte("b"), false)
	value(t, kv, k, []byte("a"))
	cas([]byte("b"), []byte("c"), false)
	value(t, kv, k, []byte("a"))
	cas([]byte("a"), []byte("b"), true)
	value(t, kv, k, []byte("b"))
	cas([]byte("b"), []byte("b"), true)
	value(t, kv, k, []byte("b"))
}

func testKVCompareAndDelete(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "lease")
	if ok := must(kv.CompareAndDelete(ctx, k, []byte("a")))(t); ok {
		t.Fatalf("CompareAndDelete(missing) = true")
	}
	noErr(t, kv.Set(ctx, k, []byte("a"), time.Hour), "Set")
	if ok := must(kv.CompareAndDelete(ctx, k, []byte("b")))(t); ok {
		t.Fatalf("CompareAndDelete(other value) = true")
	}
	value(t, kv, k, []byte("a"))
	if ok := must(kv.CompareAndDelete(ctx, k, []byte("a")))(t); !ok {
		t.Fatalf("CompareAndDelete(value) = false")
	}
	absent(t, kv, k)
}

func testKVIncr(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	a, b := key(t, "a"), key(t, "b")
	for want := int64(1); want <= 3; want++ {
		if n := must(kv.Incr(ctx, a, time.Hour))(t); n != want {
			t.Fatalf("Incr(a) = %d, want %d", n, want)
		}
	}
	if n := must(kv.Incr(ctx, b, time.Hour))(t); n != 1 {
		t.Fatalf("Incr(b) = %d, want 1", n)
	}
	noErr(t, kv.Delete(ctx, a), "Delete")
	if n := must(kv.Incr(ctx, a, time.Hour))(t); n != 1 {
		t.Fatalf("Incr after Delete = %d, want 1", n)
	}
}

// Every way of setting a TTL makes the key disappear after it, and not
// before.
func testKVExpiry(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	long := key(t, "long")
	noErr(t, kv.Set(ctx, long, []byte("v"), time.Hour), "Set(long)")

	set, replaced, setnx, cas := key(t, "set"), key(t, "replaced"), key(t, "setnx"), key(t, "cas")
	noErr(t, kv.Set(ctx, replaced, []byte("v"), time.Hour), "Set")
	noErr(t, kv.Set(ctx, cas, []byte("v"), time.Hour), "Set")

	start := time.Now()
	noErr(t, kv.Set(ctx, set, []byte("v"), shortTTL), "Set")
	noErr(t, kv.Set(ctx, replaced, []byte("w"), shortTTL), "Set(replace with short TTL)")
	if ok := must(kv.SetNX(ctx, setnx, []byte("v"), shortTTL))(t); !ok {
		t.Fatalf("SetNX = false")
	}
	if ok := must(kv.CompareAndSwap(ctx, cas, []byte("v"), []byte("w"), shortTTL))(t); !ok {
		t.Fatalf("CompareAndSwap = false")
	}
	got, err := kv.Get(ctx, set)
	if time.Since(start) < shortTTL && (err != nil || string(got) != "v") {
		t.Fatalf("Get before the TTL = %q, %v; want %q", got, err, "v")
	}
	for _, k := range []string{set, replaced, setnx, cas} {
		expires(t, kv, k, start, shortTTL)
	}
	value(t, kv, long, []byte("v"))
}

// A key past its TTL is gone for every operation, not only for Get.
func testKVExpiredForEveryOperation(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	names := []string{"setnx", "take", "cas-nil", "cas-old", "cad", "incr", "last"}
	k := map[string]string{}
	for _, n := range names {
		k[n] = key(t, n)
	}
	start := time.Now()
	for _, n := range names {
		if n == "incr" {
			for range 3 {
				must(kv.Incr(ctx, k[n], shortTTL))(t)
			}
			continue
		}
		noErr(t, kv.Set(ctx, k[n], []byte("old"), shortTTL), "Set")
	}
	// "last" was set last with the same TTL: once it is gone, so are the
	// others, which no Get has touched.
	expires(t, kv, k["last"], start, shortTTL)

	if ok := must(kv.SetNX(ctx, k["setnx"], []byte("new"), time.Hour))(t); !ok {
		t.Errorf("SetNX on an expired key = false")
	}
	if v, err := kv.Take(ctx, k["take"]); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Take on an expired key = %q, %v; want ErrNotFound", v, err)
	}
	if ok := must(kv.CompareAndSwap(ctx, k["cas-nil"], nil, []byte("new"), time.Hour))(t); !ok {
		t.Errorf("CompareAndSwap(nil) on an expired key = false")
	}
	if ok := must(kv.CompareAndSwap(ctx, k["cas-old"], []byte("old"), []byte("new"), time.Hour))(t); ok {
		t.Errorf("CompareAndSwap(old value) on an expired key = true")
	}
	if ok := must(kv.CompareAndDelete(ctx, k["cad"], []byte("old")))(t); ok {
		t.Errorf("CompareAndDelete(old value) on an expired key = true")
	}
	if n := must(kv.Incr(ctx, k["incr"], time.Hour))(t); n != 1 {
		t.Errorf("Incr on an expired counter = %d, want 1", n)
	}
	absent(t, kv, k["cas-old"])
}

// Incr sets the TTL only when it creates the key: a fixed window.
func testKVIncrKeepsTTL(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	const ttl = 300 * time.Millisecond
	var k string
	var start time.Time
	for attempt := 0; ; attempt++ {
		// Both increments must land within the window for the check to
		// mean anything; on a machine too loaded for that, try again.
		k = key(t, fmt.Sprint("window", attempt))
		start = time.Now()
		first := must(kv.Incr(ctx, k, ttl))(t)
		second := must(kv.Incr(ctx, k, time.Hour))(t)
		if time.Since(start) < ttl {
			if first != 1 || second != 2 {
				t.Fatalf("Incr, Incr = %d, %d; want 1, 2", first, second)
			}
			break
		}
		if attempt == 5 {
			t.Fatalf("two increments never fitted in %v", ttl)
		}
	}
	expires(t, kv, k, start, ttl)
	if n := must(kv.Incr(ctx, k, time.Hour))(t); n != 1 {
		t.Errorf("Incr in the next window = %d, want 1", n)
	}
}

// The KV keeps its own copies: callers may reuse their buffers.
func testKVCopies(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	a, b, c := key(t, "a"), key(t, "b"), key(t, "c")
	buf := []byte("value")
	noErr(t, kv.Set(ctx, a, buf, time.Hour), "Set")
	buf[0] = 'X'
	value(t, kv, a, []byte("value"))
	got := must(kv.Get(ctx, a))(t)
	got[0] = 'Y'
	value(t, kv, a, []byte("value"))

	buf = []byte("value")
	must(kv.SetNX(ctx, b, buf, time.Hour))(t)
	buf[0] = 'X'
	value(t, kv, b, []byte("value"))

	buf = []byte("value")
	must(kv.CompareAndSwap(ctx, c, nil, buf, time.Hour))(t)
	buf[0] = 'X'
	value(t, kv, c, []byte("value"))
	old := []byte("value")
	if ok := must(kv.CompareAndSwap(ctx, c, old, []byte("next"), time.Hour))(t); !ok {
		t.Fatalf("CompareAndSwap = false")
	}
	old[0] = 'X'
	value(t, kv, c, []byte("next"))
}

func testKVHostileInput(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	binary := make([]byte, 64<<10)
	for i := range binary {
		binary[i] = byte(i*13 + i>>8)
	}
	keys := []string{
		key(t, "🐼 微信 \t\r\n{braces}*?[]"),
		key(t, strings.Repeat("长", 1500)),
		key(t, "") + "\x00\xff",
	}
	for _, k := range keys {
		noErr(t, kv.Set(ctx, k, binary, time.Hour), "Set")
		value(t, kv, k, binary)
	}
	if ok := must(kv.CompareAndDelete(ctx, keys[0], binary[:len(binary)-1]))(t); ok {
		t.Errorf("CompareAndDelete with a prefix of the value = true")
	}
	if ok := must(kv.CompareAndDelete(ctx, keys[0], binary))(t); !ok {
		t.Errorf("CompareAndDelete with the binary value = false")
	}

	// An empty value is a value: the key is present.
	empty := key(t, "empty")
	noErr(t, kv.Set(ctx, empty, []byte{}, time.Hour), "Set(empty)")
	if got, err := kv.Get(ctx, empty); err != nil || len(got) != 0 {
		t.Errorf("Get(empty) = %q, %v; want an empty value", got, err)
	}
	if ok := must(kv.SetNX(ctx, empty, []byte("x"), time.Hour))(t); ok {
		t.Errorf("SetNX over an empty value = true")
	}
	if got, err := kv.Take(ctx, empty); err != nil || len(got) != 0 {
		t.Errorf("Take(empty) = %q, %v; want an empty value", got, err)
	}
	absent(t, kv, empty)
}

func testKVConcurrentSetNX(t *testing.T, kv storage.KV) {
	const n = 32
	ctx, k := t.Context(), key(t, "nonce")
	won := make([]bool, n)
	errs := make([]error, n)
	together(n, func(i int) { won[i], errs[i] = kv.SetNX(ctx, k, fmt.Appendf(nil, "%d", i), time.Hour) })
	winner := -1
	for i := range n {
		noErr(t, errs[i], "SetNX")
		if won[i] {
			if winner >= 0 {
				t.Fatalf("SetNX: both %d and %d won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("SetNX: nobody won")
	}
	value(t, kv, k, fmt.Appendf(nil, "%d", winner))
}

func testKVConcurrentIncr(t *testing.T, kv storage.KV) {
	const n, each = 32, 50
	ctx, k := t.Context(), key(t, "counter")
	got := make([][]int64, n)
	errs := make([]error, n)
	together(n, func(i int) {
		for range each {
			v, err := kv.Incr(ctx, k, time.Hour)
			if err != nil {
				errs[i] = err
				return
			}
			got[i] = append(got[i], v)
		}
	})
	var all []int64
	for i := range n {
		noErr(t, errs[i], "Incr")
		all = append(all, got[i]...)
	}
	slices.Sort(all)
	for i, v := range all {
		if v != int64(i+1) {
			t.Fatalf("%d concurrent increments returned %v...; want each of 1..%d once", n*each, all[:i+1], n*each)
		}
	}
	if v := must(kv.Incr(ctx, k, time.Hour))(t); v != n*each+1 {
		t.Errorf("Incr after %d increments = %d", n*each, v)
	}
}

func testKVConcurrentTake(t *testing.T, kv storage.KV) {
	const n = 32
	ctx, k := t.Context(), key(t, "state")
	noErr(t, kv.Set(ctx, k, []byte("single use"), time.Hour), "Set")
	vals := make([][]byte, n)
	errs := make([]error, n)
	together(n, func(i int) { vals[i], errs[i] = kv.Take(ctx, k) })
	takers := 0
	for i := range n {
		switch {
		case errs[i] == nil:
			takers++
			if string(vals[i]) != "single use" {
				t.Errorf("Take = %q", vals[i])
			}
		case !errors.Is(errs[i], storage.ErrNotFound):
			t.Errorf("Take: %v", errs[i])
		}
	}
	if takers != 1 {
		t.Errorf("%d goroutines took the value, want 1", takers)
	}
}

func testKVConcurrentCompareAndSwap(t *testing.T, kv storage.KV) {
	const n = 32
	ctx, k := t.Context(), key(t, "lease")
	noErr(t, kv.Set(ctx, k, []byte("free"), time.Hour), "Set")
	won := make([]bool, n)
	deleted := make([]bool, n)
	errs := make([]error, n)
	together(n, func(i int) {
		if won[i], errs[i] = kv.CompareAndSwap(ctx, k, []byte("free"), fmt.Appendf(nil, "holder %d", i), time.Hour); errs[i] != nil || !won[i] {
			return
		}
		// The holder releases; only it can.
		deleted[i], errs[i] = kv.CompareAndDelete(ctx, k, fmt.Appendf(nil, "holder %d", i))
	})
	winners := 0
	for i := range n {
		noErr(t, errs[i], "CompareAndSwap")
		if won[i] {
			winners++
			if !deleted[i] {
				t.Errorf("holder %d could not release", i)
			}
		}
	}
	if winners != 1 {
		t.Errorf("%d goroutines swapped, want 1", winners)
	}
	absent(t, kv, k)
}

func testKVCancelledContext(t *testing.T, kv storage.KV) {
	live := t.Context()
	present, fresh, counter := key(t, "present"), key(t, "fresh"), key(t, "counter")
	noErr(t, kv.Set(live, present, []byte("v"), time.Hour), "Set")
	must(kv.Incr(live, counter, time.Hour))(t)
	cancelled, cancel := context.WithCancel(live)
	cancel()
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, err := kv.Get(ctx, present); return err }},
		{"Set", func(ctx context.Context) error { return kv.Set(ctx, fresh, []byte("x"), time.Hour) }},
		{"SetNX", func(ctx context.Context) error { _, err := kv.SetNX(ctx, fresh, []byte("x"), time.Hour); return err }},
		{"Take", func(ctx context.Context) error { _, err := kv.Take(ctx, present); return err }},
		{"Delete", func(ctx context.Context) error { return kv.Delete(ctx, present) }},
		{"CompareAndSwap", func(ctx context.Context) error {
			_, err := kv.CompareAndSwap(ctx, present, []byte("v"), []byte("x"), time.Hour)
			return err
		}},
		{"CompareAndDelete", func(ctx context.Context) error { _, err := kv.CompareAndDelete(ctx, present, []byte("v")); return err }},
		{"Incr", func(ctx context.Context) error { _, err := kv.Incr(ctx, counter, time.Hour); return err }},
		{"Ping", func(ctx context.Context) error { return kv.Ping(ctx) }},
	}
	for _, c := range calls {
		err := promptly(t, c.name, func() error { return c.call(cancelled) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one wrapping context.Canceled", c.name, err)
		}
	}
	value(t, kv, present, []byte("v"))
	absent(t, kv, fresh)
	if n := must(kv.Incr(live, counter, time.Hour))(t); n != 2 {
		t.Errorf("Incr = %d after a cancelled Incr, want 2", n)
	}
}

func testKVClose(t *testing.T, kv storage.KV) {
	ctx := t.Context()
	k := key(t, "k")
	noErr(t, kv.Set(ctx, k, []byte("v"), time.Hour), "Set")
	noErr(t, kv.Ping(ctx), "Ping")
	noErr(t, kv.Close(), "Close")
	isErr(t, kv.Ping(ctx), storage.ErrUnavailable, "Ping after Close")
	err := promptly(t, "Get after Close", func() error { _, err := kv.Get(ctx, k); return err })
	isErr(t, err, storage.ErrUnavailable, "Get after Close")
	err = promptly(t, "SetNX after Close", func() error { _, err := kv.SetNX(ctx, k, []byte("v"), time.Hour); return err })
	isErr(t, err, storage.ErrUnavailable, "SetNX after Close")
}
