package wechat

import (
	"context"
	"time"
)

// Retry calls fn until it succeeds, fails with an error that is not
// Temporary, has been tried attempts times, or ctx ends, waiting between
// tries with exponential backoff from 100 ms (with jitter-free doubling: the
// calls it guards are rare). Use it only for idempotent calls: checks, user
// info, refresh, stable_token. Never for a call that consumes a single-use
// code.
func Retry(ctx context.Context, attempts int, fn func() error) error {
	wait := 100 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil || !Temporary(err) || ctx.Err() != nil {
			return err
		}
		if i == attempts-1 {
			break
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // no time left for another try
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
	return err
}
