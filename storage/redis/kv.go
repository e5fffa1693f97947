package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The scripts of the operations that compare before they write. Each
// touches only KEYS[1]; a key past its TTL is absent for them as for every
// command.
var (
	// compareAndSwap: ARGV[1] old value, ARGV[2] new value, ARGV[3] TTL in
	// milliseconds. GET of a missing key is false, which equals no string.
	compareAndSwap = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
	return 1
end
return 0`)
	// compareAndDelete: ARGV[1] the value the key must hold.
	compareAndDelete = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)
	// incr: ARGV[1] the TTL in milliseconds, set only by the SET that
	// creates the counter.
	incr = goredis.NewScript(`
redis.call('SET', KEYS[1], '0', 'PX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])`)
)

// ttl is a TTL as Redis takes it: whole milliseconds, rounded up so that no
// key lives less than asked.
func ttl(op string, d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, fmt.Errorf("redis: %s: ttl %v is not positive", op, d)
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond), nil
}

// Get implements storage.KV.
func (kv *KV) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel, err := kv.call(ctx, "get")
	if err != nil {
		return nil, err
	}
	defer cancel()
	v, err := kv.c.Get(ctx, kv.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, kv.fail(ctx, "get", err)
	}
	return v, nil
}

// Set implements storage.KV.
func (kv *KV) Set(ctx context.Context, key string, value []byte, d time.Duration) error {
	d, err := ttl("set", d)
	if err != nil {
		return err
	}
	ctx, cancel, err := kv.call(ctx, "set")
	if err != nil {
		return err
	}
	defer cancel()
	return kv.fail(ctx, "set", kv.c.Set(ctx, kv.prefix+key, value, d).Err())
}

// SetNX implements storage.KV with SET NX PX.
func (kv *KV) SetNX(ctx context.Context, key string, value []byte, d time.Duration) (bool, error) {
	d, err := ttl("setnx", d)
	if err != nil {
		return false, err
	}
	ctx, cancel, err := kv.call(ctx, "setnx")
	if err != nil {
		return false, err
	}
	defer cancel()
	ok, err := kv.c.SetNX(ctx, kv.prefix+key, value, d).Result()
	if err != nil {
		return false, kv.fail(ctx, "setnx", err)
	}
	return ok, nil
}

// Take implements storage.KV with GETDEL.
func (kv *KV) Take(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel, err := kv.call(ctx, "take")
	if err != nil {
		return nil, err
	}
	defer cancel()
	v, err := kv.c.GetDel(ctx, kv.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, kv.fail(ctx, "take", err)
	}
	return v, nil
}

// Delete implements storage.KV.
func (kv *KV) Delete(ctx context.Context, key string) error {
	ctx, cancel, err := kv.call(ctx, "delete")
	if err != nil {
		return err
	}
	defer cancel()
	return kv.fail(ctx, "delete", kv.c.Del(ctx, kv.prefix+key).Err())
}

// CompareAndSwap implements storage.KV: SET NX PX when old is nil, a
// script otherwise.
func (kv *KV) CompareAndSwap(ctx context.Context, key string, old, new []byte, d time.Duration) (bool, error) {
	if old == nil {
		return kv.SetNX(ctx, key, new, d)
	}
	d, err := ttl("compare and swap", d)
	if err != nil {
		return false, err
	}
	ctx, cancel, err := kv.call(ctx, "compare and swap")
	if err != nil {
		return false, err
	}
	defer cancel()
	n, err := compareAndSwap.Run(ctx, kv.c, []string{kv.prefix + key}, old, new, d.Milliseconds()).Int64()
	if err != nil {
		return false, kv.fail(ctx, "compare and swap", err)
	}
	return n == 1, nil
}

// CompareAndDelete implements storage.KV.
func (kv *KV) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	ctx, cancel, err := kv.call(ctx, "compare and delete")
	if err != nil {
		return false, err
	}
	defer cancel()
	n, err := compareAndDelete.Run(ctx, kv.c, []string{kv.prefix + key}, old).Int64()
	if err != nil {
		return false, kv.fail(ctx, "compare and delete", err)
	}
	return n == 1, nil
}

// Incr implements storage.KV.
func (kv *KV) Incr(ctx context.Context, key string, d time.Duration) (int64, error) {
	d, err := ttl("incr", d)
	if err != nil {
		return 0, err
	}
	ctx, cancel, err := kv.call(ctx, "incr")
	if err != nil {
		return 0, err
	}
	defer cancel()
	n, err := incr.Run(ctx, kv.c, []string{kv.prefix + key}, d.Milliseconds()).Int64()
	if err != nil {
		return 0, kv.fail(ctx, "incr", err)
	}
	return n, nil
}
