// Package redis is wxgate's shared cache for several gateway instances: a
// storage.KV in Redis (6.2 or newer) or a Redis Cluster, on the
// go-redis/v9 client.
//
// It is registered for the schemes "redis", "rediss" (TLS) and, for a
// Cluster, "redis+cluster" and "rediss+cluster" (or cluster=1), with
// go-redis's URL parameters (dial_timeout, read_timeout, write_timeout,
// pool_size, pool_timeout, max_retries, ...; addr=host:port for more
// Cluster seed nodes) and two of wxgate's:
//
//	redis://:PASSWORD@cache.internal:6379/0
//	rediss://wxgate:PASSWORD@cache.internal:6380/0?prefix=prod:wxgate:
//	redis+cluster://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000
//
//	prefix=P      put P before every key (default "wxgate:"), so that
//	              deployments, or tests, share one Redis without colliding
//	timeout=DUR   how long a call whose context has no deadline may take
//	              (default 2s)
//
// Every operation touches one key, so the KV works on a Cluster as it does
// on one server. Get, Set, SetNX, Take (GETDEL) and Delete are single
// commands; CompareAndSwap, CompareAndDelete and Incr are short Lua
// scripts (EVALSHA, falling back to EVAL when the server has not cached
// the script, after a restart for instance), atomic on their key. TTLs
// are set in milliseconds, rounded up, with the write that sets them.
//
// # Failing fast, and recovering
//
// A dead Redis must not hold up logins: unless the URL says otherwise,
// dialing, reading and writing each give up after 2s, a call with a
// deadline gives up at its deadline, a call without one after the
// timeout= option, and a failed dial is not tried again within the call.
// Commands are not retried either (max_retries=-1 unless the URL sets
// it): a retried SETNX, GETDEL or INCR whose reply was lost would answer
// wrongly. Every such failure wraps storage.ErrUnavailable and says what to
// check ("Redis at 10.0.0.7:6379 is unreachable (connection refused):
// check that it runs and that cache: in the configuration points at it").
// The connection pool drops broken connections and dials again, so the KV
// works again by itself once the server is back.
//
// Open does not fail because the server is unreachable: it returns the KV,
// whose calls fail as above until the server answers. A bad URL, a server
// that refuses the password or the database number, and a server
// certificate this host does not trust are errors of Open. Errors and
// messages never show the password.
package redis

import (
	"context"

	"github.com/wxgate/wxgate/storage"
)

func init() {
	open := func(ctx context.Context, url string) (storage.KV, error) {
		kv, err := Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return kv, nil
	}
	for _, scheme := range []string{"redis", "rediss", "redis+cluster", "rediss+cluster"} {
		storage.RegisterKV(scheme, open)
	}
}
