// Package memory keeps wxgate's durable Store and ephemeral KV in process
// memory: the default cache, and a database for tests and demos that may
// forget everything when the process exits.
//
// Both are registered for the URL "memory" (or "memory:"); every Open
// returns a new, empty instance, so two stores in one process never share
// state. Values are copied in and out, every operation is safe for
// concurrent use, times are kept as UTC truncated to the microsecond like
// every other backend, and KV keys expire by the monotonic clock: lazily on
// access, and by an occasional sweep on writes so that expired keys nobody
// reads again do not pile up.
package memory

import (
	"context"
	"fmt"

	"github.com/wxgate/wxgate/storage"
)

func init() {
	storage.RegisterStore("memory", func(ctx context.Context, url string) (storage.Store, error) {
		if err := checkURL(url); err != nil {
			return nil, err
		}
		return New(), nil
	})
	storage.RegisterKV("memory", func(ctx context.Context, url string) (storage.KV, error) {
		if err := checkURL(url); err != nil {
			return nil, err
		}
		return NewKV(), nil
	})
}

// checkURL accepts "memory" and "memory:": the backend has no options, and
// silently ignoring some would hide a typo such as "memory:./wxgate.db".
func checkURL(url string) error {
	if url == "memory" || url == "memory:" {
		return nil
	}
	return fmt.Errorf("memory: unexpected URL %q: the memory backend takes no options (use \"memory\")", url)
}
