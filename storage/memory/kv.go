package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wxgate/wxgate/storage"
)

const (
	// kvShards spreads keys over independently locked maps so that logins
	// on many cores do not queue on one mutex.
	kvShards = 64
	// sweepEvery is how often, at most, a write sweeps its shard of expired
	// keys nobody read again.
	sweepEvery = int64(30 * time.Second)
)

var (
	errKVClosed   = fmt.Errorf("memory: kv is closed: %w", storage.ErrUnavailable)
	errKVNotFound = fmt.Errorf("memory: key: %w", storage.ErrNotFound)
	errNotInteger = errors.New("memory: value is not an integer")
	errOverflow   = errors.New("memory: increment would overflow")
)

// epoch anchors monoNow: time.Since reads the monotonic clock, so expiry
// does not jump when someone sets the wall clock.
var epoch = time.Now()

func monoNow() int64 { return int64(time.Since(epoch)) }

// KV is a storage.KV in process memory. The zero value is not usable; call
// NewKV.
type KV struct {
	seed   maphash.Seed
	now    func() int64 // nanoseconds on a monotonic clock
	closed atomic.Bool
	shards [kvShards]kvShard
}

type kvShard struct {
	mu        sync.Mutex
	m         map[string]kvEntry
	nextSweep int64
	_         [40]byte // keep shards on separate cache lines
}

type kvEntry struct {
	v   []byte // never modified in place once stored
	exp int64  // expiry on KV.now's clock
}

var _ storage.KV = (*KV)(nil)

// NewKV returns an empty KV.
func NewKV() *KV {
	kv := &KV{seed: maphash.MakeSeed(), now: monoNow}
	for i := range kv.shards {
		kv.shards[i].m = map[string]kvEntry{}
	}
	return kv
}

// shard checks ctx and Close, and returns key's shard, locked, with the
// time of the call; the caller unlocks.
func (kv *KV) shard(ctx context.Context, key string) (*kvShard, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("memory: %w", err)
	}
	if kv.closed.Load() {
		return nil, 0, errKVClosed
	}
	sh := &kv.shards[maphash.String(kv.seed, key)%kvShards]
	sh.mu.Lock()
	if kv.closed.Load() {
		sh.mu.Unlock()
		return nil, 0, errKVClosed
	}
	return sh, kv.now(), nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("memory: ttl %v is not positive", ttl)
	}
	return nil
}

// get returns the live entry at key, dropping it if it has expired.
func (sh *kvShard) get(key string, now int64) (kvEntry, bool) {
	e, ok := sh.m[key]
	if ok && e.exp <= now {
		delete(sh.m, key)
		return kvEntry{}, false
	}
	return e, ok
}

// put stores an entry and, at most every sweepEvery, drops the shard's
// expired keys, so memory does not grow with keys nobody reads again.
func (sh *kvShard) put(key string, e kvEntry, now int64) {
	if now >= sh.nextSweep {
		for k, old := range sh.m {
			if old.exp <= now {
				delete(sh.m, k)
			}
		}
		sh.nextSweep = now + sweepEvery
	}
	sh.m[key] = e
}

// Get implements storage.KV.
func (kv *KV) Get(ctx context.Context, key string) ([]byte, error) {
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return nil, err
	}
	e, ok := sh.get(key, now)
	sh.mu.Unlock()
	if !ok {
		return nil, errKVNotFound
	}
	return bytes.Clone(e.v), nil // stored values are never modified in place
}

// Set implements storage.KV.
func (kv *KV) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	v := bytes.Clone(value)
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return err
	}
	sh.put(key, kvEntry{v: v, exp: now + int64(ttl)}, now)
	sh.mu.Unlock()
	return nil
}

// SetNX implements storage.KV.
func (kv *KV) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	v := bytes.Clone(value)
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return false, err
	}
	defer sh.mu.Unlock()
	if _, ok := sh.get(key, now); ok {
		return false, nil
	}
	sh.put(key, kvEntry{v: v, exp: now + int64(ttl)}, now)
	return true, nil
}

// Take implements storage.KV.
func (kv *KV) Take(ctx context.Context, key string) ([]byte, error) {
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return nil, err
	}
	e, ok := sh.get(key, now)
	if ok {
		delete(sh.m, key)
	}
	sh.mu.Unlock()
	if !ok {
		return nil, errKVNotFound
	}
	return e.v, nil // no longer referenced by the map: no copy needed
}

// Delete implements storage.KV.
func (kv *KV) Delete(ctx context.Context, key string) error {
	sh, _, err := kv.shard(ctx, key)
	if err != nil {
		return err
	}
	delete(sh.m, key)
	sh.mu.Unlock()
	return nil
}

// CompareAndSwap implements storage.KV.
func (kv *KV) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	v := bytes.Clone(new)
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return false, err
	}
	defer sh.mu.Unlock()
	e, ok := sh.get(key, now)
	if old == nil && ok || old != nil && (!ok || !bytes.Equal(e.v, old)) {
		return false, nil
	}
	sh.put(key, kvEntry{v: v, exp: now + int64(ttl)}, now)
	return true, nil
}

// CompareAndDelete implements storage.KV.
func (kv *KV) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return false, err
	}
	defer sh.mu.Unlock()
	e, ok := sh.get(key, now)
	if !ok || !bytes.Equal(e.v, old) {
		return false, nil
	}
	delete(sh.m, key)
	return true, nil
}

// Incr implements storage.KV. The integer is kept as decimal text, as Redis
// keeps it, so Get shows it and Set can seed it.
func (kv *KV) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := checkTTL(ttl); err != nil {
		return 0, err
	}
	sh, now, err := kv.shard(ctx, key)
	if err != nil {
		return 0, err
	}
	defer sh.mu.Unlock()
	e, ok := sh.get(key, now)
	var n int64
	if ok {
		if n, err = strconv.ParseInt(string(e.v), 10, 64); err != nil {
			return 0, errNotInteger
		}
		if n == 1<<63-1 {
			return 0, errOverflow
		}
	} else {
		e.exp = now + int64(ttl)
	}
	n++
	e.v = strconv.AppendInt(nil, n, 10)
	sh.put(key, e, now)
	return n, nil
}

// Ping implements storage.KV: it fails once the KV is closed.
func (kv *KV) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if kv.closed.Load() {
		return errKVClosed
	}
	return nil
}

// Close drops every key; later calls fail with an error wrapping
// storage.ErrUnavailable. Closing twice is harmless.
func (kv *KV) Close() error {
	kv.closed.Store(true)
	for i := range kv.shards {
		sh := &kv.shards[i]
		sh.mu.Lock()
		sh.m = nil
		sh.mu.Unlock()
	}
	return nil
}
