package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wxgate/wxgate/storage"
)

// defaultBusyTimeout is how long, in milliseconds, a connection waits for
// a lock another process holds (unless the URI sets _busy_timeout).
const defaultBusyTimeout = "5000"

var errClosed = fmt.Errorf("sqlite: store is closed: %w", storage.ErrUnavailable)

// Store is a storage.Store in a SQLite database. Its methods are safe for
// concurrent use, also by several processes sharing the file.
type Store struct {
	w      *sql.DB // one connection: every write transaction
	r      *sql.DB // a pool for reads (w itself for an in-memory database)
	closed atomic.Bool

	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt // reads, prepared once: parsing costs more than running them

	// wstmts holds the statements of write transactions, prepared at Open
	// on the write connection and never changed after: see wtx.
	wstmts map[string]*sql.Stmt

	// Group commit (group.go): writes go to the writer goroutine on queue
	// unless grouping is off (URI parameter _group_commit=0).
	group      bool
	queue      chan *writeReq
	quit       chan struct{}
	writerDone chan struct{}
}

var _ storage.Store = (*Store)(nil)

// target is a parsed database location.
type target struct {
	uri    string     // "file:" URI of the database, without a query
	query  url.Values // the caller's URI parameters
	file   string     // file system path, "" for an in-memory database
	memory bool
}

// parseTarget reads what follows "sqlite:" in a database URL.
func parseTarget(loc string) (target, error) {
	switch {
	case loc == "":
		return target{}, errors.New(`sqlite: no database path: use sqlite:./wxgate.db, sqlite:/abs/path.db or a sqlite:file: URI`)
	case loc == ":memory:":
		return target{uri: "file::memory:", query: url.Values{}, memory: true}, nil
	case strings.HasPrefix(loc, "file:"):
		return parseFileURI(loc)
	case strings.HasPrefix(loc, "//"):
		// sqlite:///abs/path.db
		if !strings.HasPrefix(loc, "///") {
			return target{}, fmt.Errorf("sqlite: %q: a database URL names no host: use sqlite:/abs/path.db or sqlite:./rel/path.db", "sqlite:"+loc)
		}
		loc = loc[2:]
	}
	if strings.Contains(loc, "?") {
		return target{}, fmt.Errorf("sqlite: %q: parameters need the URI form, sqlite:file:path?name=value", "sqlite:"+loc)
	}
	return target{uri: "file:" + escapePath(loc), query: url.Values{}, file: loc}, nil
}

// parseFileURI reads a SQLite URI: file:path?query, file:///path?query.
func parseFileURI(loc string) (target, error) {
	rest, rawQuery, _ := strings.Cut(strings.TrimPrefix(loc, "file:"), "?")
	rest, _, _ = strings.Cut(rest, "#")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return target{}, fmt.Errorf("sqlite: %q: bad parameters: %v", loc, err)
	}
	p := rest
	if strings.HasPrefix(p, "//") {
		host, path, _ := strings.Cut(p[2:], "/")
		if host != "" && host != "localhost" {
			return target{}, fmt.Errorf("sqlite: %q: a SQLite URI names no host other than localhost", loc)
		}
		p = "/" + path
	}
	if p, err = url.PathUnescape(p); err != nil {
		return target{}, fmt.Errorf("sqlite: %q: bad path: %v", loc, err)
	}
	t := target{uri: "file:" + rest, query: q, file: p}
	if p == "" || p == ":memory:" || q.Get("mode") == "memory" {
		t.file, t.memory = "", true
	}
	return t, nil
}

// escapePath makes a file system path a SQLite URI path.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// dsn is the driver's DSN for the target: the caller's parameters with
// the ones the store depends on forced, plus extra.
func (t target) dsn(extra map[string]string) string {
	q := url.Values{}
	for k, v := range t.query {
		switch k {
		case "_group_commit":
			// The store's own (group.go), not the driver's.
		case "_txlock", "_foreign_keys", "_fk", "_journal_mode", "_journal", "_query_only", "_time_format", "_time_integer_format", "_inttotime", "_texttotime":
			// The store's own, below (or not used: times are integers).
		default:
			q[k] = v
		}
	}
	if !q.Has("_busy_timeout") && !q.Has("_timeout") {
		q.Set("_busy_timeout", defaultBusyTimeout)
	}
	q.Set("_foreign_keys", "1")
	for k, v := range extra {
		if k == "_pragma" {
			q.Add(k, v) // after the caller's pragmas
			continue
		}
		q.Set(k, v)
	}
	return t.uri + "?" + q.Encode()
}

// Open opens (creating if needed) and migrates the SQLite database at loc:
// a path, or a SQLite "file:" URI (see the package documentation).
func Open(ctx context.Context, loc string) (*Store, error) {
	t, err := parseTarget(loc)
	if err != nil {
		return nil, err
	}
	if t.file != "" && t.query.Get("mode") != "ro" {
		if err := createFile(t.file); err != nil {
			return nil, err
		}
	}

	// temp_store=MEMORY keeps the statement and savepoint journals of
	// write transactions (group commit runs each write in a savepoint) in
	// memory rather than in temporary files.
	wopts := map[string]string{"_txlock": "immediate", "_pragma": "temp_store(2)"}
	if !t.memory {
		wopts["_journal_mode"] = "WAL"
		if !t.query.Has("_synchronous") && !t.query.Has("_sync") {
			wopts["_synchronous"] = "NORMAL"
		}
	}
	w, err := sql.Open("sqlite", t.dsn(wopts))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", loc, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	group, err := t.groupCommit()
	if err != nil {
		w.Close()
		return nil, err
	}
	s := &Store{w: w, r: w, stmts: map[string]*sql.Stmt{}, wstmts: map[string]*sql.Stmt{}, group: group}
	if err := connect(ctx, w, t.busyTimeout()); err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	for _, query := range append(writeStatements[:len(writeStatements):len(writeStatements)], savepointStmt, releaseStmt, rollbackToStmt) {
		st, err := w.PrepareContext(ctx, query)
		if err != nil {
			s.Close()
			return nil, fail(ctx, "prepare", err)
		}
		s.wstmts[query] = st
	}
	if !t.memory {
		r, err := sql.Open("sqlite", t.dsn(map[string]string{"_query_only": "1"}))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", loc, err)
		}
		n := min(max(runtime.GOMAXPROCS(0), 4), 16)
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		s.r = r
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.group {
		s.queue, s.quit, s.writerDone = make(chan *writeReq), make(chan struct{}), make(chan struct{})
		go s.writer()
	}
	return s, nil
}

// connect opens the write connection, which sets the journal mode.
// Turning a new database to WAL needs an exclusive lock, and SQLite does
// not wait for that one: while another store opens the same new file, it
// fails at once with SQLITE_BUSY, whatever the busy timeout. connect tries
// again for as long as the busy timeout would have waited.
func connect(ctx context.Context, w *sql.DB, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := w.Conn(ctx)
		if err == nil {
			return c.Close()
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return fail(ctx, "open", err)
		}
		select {
		case <-ctx.Done():
			return fail(ctx, "open", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// busyTimeout is how long a connection waits for a lock (the driver, like
// go-sqlite3, prefers _timeout to _busy_timeout).
func (t target) busyTimeout() time.Duration {
	ms, err := strconv.Atoi(cmp.Or(t.query.Get("_timeout"), t.query.Get("_busy_timeout"), defaultBusyTimeout))
	if err != nil {
		ms, _ = strconv.Atoi(defaultBusyTimeout) // the driver refuses the URI
	}
	return time.Duration(ms) * time.Millisecond
}

// createFile makes the database's directory (0700) and file (0600) if they
// are missing, so that SQLite, which would use 0644, never creates them.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: %w: %w", storage.ErrUnavailable, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: %w: %w", storage.ErrUnavailable, err)
	}
	return f.Close()
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	var one int
	if err := (reads{s}).QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fail(ctx, "ping", err)
	}
	return nil
}

// Close closes the database; later calls fail with an error wrapping
// storage.ErrUnavailable. Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.quit != nil {
		// The writer answers the batch it runs, then stops; writes not yet
		// taken fail with errClosed.
		close(s.quit)
		<-s.writerDone
	}
	s.stmtMu.Lock()
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	for _, st := range s.wstmts { // a write still running prepares its statement again, then fails with w closed
		errs = append(errs, st.Close())
	}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	return errors.Join(append(errs, s.w.Close())...)
}

// reads is a queryer on the read pool that prepares each query once.
// Queries are constants or built from a bounded set of clauses, so the
// cache stays small.
type reads struct{ s *Store }

func (q reads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.s.r.QueryRowContext(ctx, query, args...)
}

func (q reads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.s.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.s.r.QueryContext(ctx, query, args...)
}

// prepared returns the prepared statement for query, or nil if it cannot
// be prepared now (the caller runs the query unprepared and meets the
// same error, reported as usual).
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	s.stmtMu.RLock()
	st, ok := s.stmts[query]
	s.stmtMu.RUnlock()
	if ok {
		return st
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil { // closed meanwhile
		st.Close()
		return nil
	}
	if prev, ok := s.stmts[query]; ok { // prepared meanwhile
		st.Close()
		return prev
	}
	s.stmts[query] = st
	return st
}

// updaterError carries the error of a caller's updater function out of a
// transaction, untouched.
type updaterError struct{ err error }

func (e updaterError) Error() string { return e.err.Error() }

// wtx is a write transaction. The statements of writeStatements run as
// Open prepared them on the write connection (database/sql prepares one
// again if that connection was replaced); any other query runs as it is.
type wtx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// ctx, when set, replaces the callers' contexts: in a group commit
	// one caller giving up must not interrupt the others' transaction.
	ctx context.Context
}

func (t wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.ctx != nil {
		ctx = t.ctx
	}
	if st, ok := t.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.ctx != nil {
		ctx = t.ctx
	}
	if st, ok := t.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.ctx != nil {
		ctx = t.ctx
	}
	if st, ok := t.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// write runs fn in an IMMEDIATE transaction on the write connection and
// commits if it returns nil; it returns once the commit is done. With
// group commit (the default), fn shares its transaction with the writes
// that arrived together with it, inside a savepoint of its own (group.go).
func (s *Store) write(ctx context.Context, op string, fn func(wtx) error) error {
	if s.closed.Load() {
		return errClosed
	}
	if s.group {
		return s.send(ctx, op, fn)
	}
	return s.writeTx(ctx, op, fn)
}

// writeTx runs fn in a transaction of its own.
func (s *Store) writeTx(ctx context.Context, op string, fn func(wtx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(ctx, op, err)
	}
	defer tx.Rollback()
	if err := fn(wtx{tx: tx, stmts: s.wstmts}); err != nil {
		var ue updaterError
		if errors.As(err, &ue) {
			return ue.err
		}
		var sue storage.UpdaterError
		if errors.As(err, &sue) {
			return sue.Err
		}
		return fail(ctx, op, err)
	}
	return fail(ctx, op, tx.Commit())
}

// fail turns a driver error into the storage contract's: the context's
// error when it is done, ErrConflict for a constraint, ErrUnavailable for a
// database that cannot be used now. Errors that are already the
// contract's pass through.
func fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrUnavailable) ||
		errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrBlocked) || errors.Is(err, storage.ErrNoSignup) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("sqlite: %s: %w", op, err)
		}
		return fmt.Errorf("sqlite: %s: %w: %w", op, cerr, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			if se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
				return fmt.Errorf("sqlite: %s: %w: a record it names is missing: %w", op, storage.ErrNotFound, err)
			}
			return fmt.Errorf("sqlite: %s: %w: %w", op, storage.ErrConflict, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_PERM:
			return fmt.Errorf("sqlite: %s: %w: %w", op, storage.ErrUnavailable, err)
		}
	}
	if msg := err.Error(); msg == "sql: database is closed" || msg == "sql: statement is closed" { // database/sql's unexported errors, after Close
		return fmt.Errorf("sqlite: %s: %w: %w", op, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
