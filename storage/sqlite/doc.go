// Package sqlite is wxgate's embedded default database: a storage.Store in
// one SQLite file, on the pure-Go modernc.org/sqlite driver (no cgo).
//
// It is registered for the scheme "sqlite":
//
//	sqlite:./wxgate.db              a path, relative to the working directory
//	sqlite:/var/lib/wxgate/wx.db    an absolute path (also sqlite:///var/...)
//	sqlite:file:wx.db?_busy_timeout=10000&_pragma=cache_size(-16000)
//	                                a SQLite URI, with SQLite's and the
//	                                driver's parameters
//	sqlite::memory:                 a private in-memory database (tests)
//
// The parent directory is created (0700) and the file too (0600) when
// missing; SQLite gives its -wal and -shm files the database file's mode.
//
// What Open sets up, whatever the URI says: WAL journal, foreign keys,
// synchronous=NORMAL unless the URI sets it, a busy timeout (5s unless the
// URI sets one) and IMMEDIATE write transactions, so writers take the lock
// when they begin instead of failing halfway. Writes go through one
// connection, so writers of this process queue in Go and give up when their
// context ends; the writes waiting together commit in one transaction, each
// in a savepoint of its own, and each caller is answered after that commit
// (group commit, group.go; the URI parameter _group_commit=0 turns it off).
// Readers use a pool of their own connections and never block writers. Statements are prepared once: those of write transactions
// at Open, reads on first use.
//
// The schema is embedded and migrated at Open in one transaction, recorded
// in the table schema_version. Open refuses a database whose schema is
// newer than this build knows (ErrSchemaTooNew) rather than guess.
//
// Times are stored as integer unix microseconds, UTC. Constraint
// violations are reported as storage.ErrConflict, a write naming a user
// that does not exist as storage.ErrNotFound, and a locked, read-only,
// full or failing disk as storage.ErrUnavailable.
package sqlite

import (
	"context"
	"strings"

	"github.com/wxgate/wxgate/storage"
)

func init() {
	storage.RegisterStore("sqlite", func(ctx context.Context, url string) (storage.Store, error) {
		s, err := Open(ctx, strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, err
		}
		return s, nil
	})
}
