// Package postgres is wxgate's shared database for several gateway
// instances: a storage.Store in PostgreSQL, on the pgx/v5 driver and its
// connection pool.
//
// It is registered for the schemes "postgres" and "postgresql", with
// PostgreSQL's own URL form and parameters (sslmode, sslrootcert,
// connect_timeout, ...), pgxpool's (pool_max_conns, pool_min_conns,
// pool_max_conn_lifetime, pool_max_conn_idle_time,
// pool_health_check_period, ...) and two of wxgate's:
//
//	postgres://wxgate:PASSWORD@db.internal:5432/wxgate?sslmode=verify-full
//	postgres://wxgate@10.0.0.5/wxgate?schema=gateway&pool_max_conns=20
//
//	schema=NAME   keep wxgate's tables in this schema, created if missing
//	              (letters, digits and _, at most 63): several deployments,
//	              or tests, share one database without colliding. Without
//	              it the tables go to the first schema of the server's
//	              search_path (usually public).
//	timeout=DUR   how long a call whose context has no deadline may take
//	              (default 30s): no call waits forever on a hung server.
//
// Unless the URL says otherwise the pool holds at most max(4, GOMAXPROCS)
// connections, a connection attempt gives up after 5s, and connections
// name themselves application_name=wxgate.
//
// # A server that is down
//
// Open does not fail because the server is unreachable: it returns a
// store whose calls, Ping first, fail promptly with an error wrapping
// storage.ErrUnavailable that says what to check ("PostgreSQL at
// 10.0.0.5:5432 is unreachable (connection refused): check that it runs
// and that database: in the configuration points at it"). The first call
// that reaches the server migrates the schema, under a mutex that honours
// the call's context; until then every call tries again. A bad URL, a
// login the server refuses, a missing database, a server certificate this
// host does not trust and a schema newer than this build are errors of
// Open, as they are no passing outage. Once up,
// the pool reconnects by itself after an outage: a connection lost
// mid-call resets the pool, so that the calls after it dial afresh instead
// of meeting the other dead connections one by one. A call whose context
// has a deadline returns by then, failing with an error that wraps both
// storage.ErrUnavailable and context.DeadlineExceeded.
//
// # Schema and migrations
//
// The schema is embedded and versioned: migrations/NNNN_name.sql, applied
// in order, each recorded in the table schema_migrations. All pending
// migrations run in one transaction that first takes a transaction-scoped
// advisory lock for the schema, so that instances starting together
// migrate once while the others wait, then find nothing to do. A store
// refuses a schema newer than it knows (ErrSchemaTooNew).
//
// # Concurrency
//
// Transactions run at READ COMMITTED. Updaters read their row with SELECT
// ... FOR UPDATE, so concurrent updates of one record queue and none is
// lost. What cannot be locked because it does not exist yet, the first
// login of a person, is guarded by unique constraints: of two instances
// creating the same identity (same openid) or the same unionid link, the
// second's insert waits for the first to commit, fails with a unique
// violation, and the whole transaction runs again, now finding the first's
// user (LinkIdentity's rule 1 or 2). So concurrent first logins on any
// number of instances create exactly one user. A unionid link about to be
// deleted is locked first, and logins joining its user lock it too, so a
// unionid never ends up carried by an identity without leading to its
// user. Serialization failures and deadlocks are retried the same way, up
// to ten attempts. Updater functions may therefore run more than once, as
// the storage contract allows.
//
// Times are timestamptz, which keeps microseconds: they are truncated, not
// rounded, and come back in UTC. Ids are text COLLATE "C", so they sort by
// bytes as in every backend. Unique violations are storage.ErrConflict, a
// record naming a missing user storage.ErrNotFound, and a server that is
// down, starting, shutting down, out of connections or read-only
// storage.ErrUnavailable. Errors and messages never show the password.
package postgres

import (
	"context"

	"github.com/wxgate/wxgate/storage"
)

func init() {
	open := func(ctx context.Context, url string) (storage.Store, error) {
		s, err := Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	storage.RegisterStore("postgres", open)
	storage.RegisterStore("postgresql", open)
}
