package memory

import (
	"fmt"
	"hash/maphash"
	"testing"
	"time"
)

// Expired keys nobody reads again are swept by later writes, so memory
// does not grow with abandoned OAuth states.
func TestKVSweepsExpiredKeys(t *testing.T) {
	ctx := t.Context()
	var now int64
	kv := NewKV()
	kv.now = func() int64 { return now }
	defer kv.Close()

	for i := range 10_000 {
		if err := kv.Set(ctx, fmt.Sprint("state:", i), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := kv.Set(ctx, "keep", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := kv.len(); n != 10_001 {
		t.Fatalf("%d keys stored, want 10001", n)
	}

	now += int64(2 * time.Minute) // the states expire; the sweep is due
	hit := map[uint64]bool{}
	written := 0
	for len(hit) < kvShards { // writes until every shard had one
		k := fmt.Sprint("new:", written)
		hit[maphash.String(kv.seed, k)%kvShards] = true
		if err := kv.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		written++
	}
	if n := kv.len(); n != 1+written {
		t.Errorf("%d keys after the sweep, want %d: expired keys were kept", n, 1+written)
	}
	if _, err := kv.Get(ctx, "keep"); err != nil {
		t.Errorf("the sweep removed a live key: %v", err)
	}

	// Between sweeps, expired keys are invisible all the same.
	now += int64(2 * time.Minute)
	if _, err := kv.Get(ctx, "new:0"); err == nil {
		t.Errorf("an expired key is visible")
	}
}

// len counts the keys held, expired or not.
func (kv *KV) len() int {
	n := 0
	for i := range kv.shards {
		sh := &kv.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
