package redis_test

import (
	"context"
	"log"
	"time"

	"github.com/wxgate/wxgate/storage/redis"
)

// Open takes Redis's URL, with wxgate's prefix= option to keep the keys
// apart. A server that is down is no error of Open: the KV's calls fail
// fast with storage.ErrUnavailable, saying what to check, and work again
// once the server is back.
func ExampleOpen() {
	ctx := context.Background()
	kv, err := redis.Open(ctx, "rediss://wxgate:PASSWORD@cache.internal:6380/0?prefix=prod:wxgate:")
	if err != nil {
		log.Fatal(err) // a bad URL, a refused login or database
	}
	defer kv.Close()

	// The OAuth state of a browser login: stored once, taken once.
	if ok, err := kv.SetNX(ctx, "state:3q2+7w", []byte("return_to=/account"), 10*time.Minute); err != nil || !ok {
		log.Print(ok, err)
	}
	v, err := kv.Take(ctx, "state:3q2+7w")
	log.Print(string(v), err)
}
