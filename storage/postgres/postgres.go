package postgres

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/internal/neterr"
	"github.com/wxgate/wxgate/storage/internal/storeurl"
)

const (
	// defaultTimeout bounds a call whose context has no deadline.
	defaultTimeout = 30 * time.Second
	// defaultConnectTimeout bounds one connection attempt (unless the URL
	// sets connect_timeout).
	defaultConnectTimeout = 5 * time.Second
	// maxAttempts is how many times a transaction runs when it meets a
	// concurrent one (unique violation on a lookup key, serialization
	// failure, deadlock) before the call gives up.
	maxAttempts = 10
)

var errClosed = fmt.Errorf("postgres: store is closed: %w", storage.ErrUnavailable)

// Store is a storage.Store in a PostgreSQL database. Its methods are safe
// for concurrent use, by any number of processes sharing the database.
type Store struct {
	pool    *pgxpool.Pool
	where   string // "PostgreSQL at host:port", for messages
	schema  string // the schema= option, "" for the search_path's first
	timeout time.Duration
	closed  atomic.Bool

	// ready is set once the schema is known to be migrated; until then
	// every call first tries to migrate, one at a time (initMu is a mutex
	// that a caller can stop waiting for).
	ready  atomic.Bool
	initMu chan struct{}
}

var _ storage.Store = (*Store)(nil)

// schemaName is what the schema= option accepts: a plain identifier that
// PostgreSQL keeps whole (63 bytes).
var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// options are wxgate's own URL parameters, removed before pgx sees the URL.
type options struct {
	schema  string
	timeout time.Duration
	query   url.Values // what is left, for pgx
}

// Open returns a store on the PostgreSQL database at rawURL (see the
// package documentation for its form and options) and migrates its schema
// if the server can be reached now; if it cannot, Open still returns the
// store, which connects and migrates on first use. Open fails for a bad
// URL, a login or database the server refuses, and a schema newer than
// this build.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	base, opts, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	connString := base
	if len(opts.query) > 0 {
		connString += "?" + opts.query.Encode()
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		msg := err.Error()
		if rest, ok := strings.CutPrefix(msg, "cannot parse `"); ok {
			if _, why, ok := strings.Cut(rest, "`: "); ok {
				msg = why // without the URL, shown already
			}
		}
		return nil, fmt.Errorf("postgres: bad database URL %s: %s", redactURL(rawURL), scrub(msg, rawURL))
	}
	if !opts.query.Has("pool_max_conns") {
		cfg.MaxConns = int32(max(4, runtime.GOMAXPROCS(0)))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = "wxgate"
	}
	if opts.schema != "" {
		if _, ok := params["search_path"]; ok {
			return nil, errors.New("postgres: the database URL sets both schema= and search_path=: keep schema=")
		}
		params["search_path"] = pgx.Identifier{opts.schema}.Sanitize()
	}

	pool, err := pgxpool.NewWithConfig(context.WithoutCancel(ctx), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s", scrub(err.Error(), rawURL))
	}
	s := &Store{
		pool:    pool,
		where:   "PostgreSQL at " + addresses(cfg.ConnConfig),
		schema:  opts.schema,
		timeout: opts.timeout,
		initMu:  make(chan struct{}, 1),
	}
	if err := s.init(ctx); err != nil && !isDown(err) {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// parseURL splits wxgate's options off a database URL.
func parseURL(rawURL string) (string, options, error) {
	opts := options{timeout: defaultTimeout}
	scheme, _, _ := strings.Cut(rawURL, "://")
	if scheme != "postgres" && scheme != "postgresql" {
		return "", opts, fmt.Errorf("postgres: bad database URL %s: want postgres://user:password@host:port/database?options", redactURL(rawURL))
	}
	base, rawQuery, _ := strings.Cut(rawURL, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", opts, fmt.Errorf("postgres: bad database URL %s: %s", redactURL(rawURL), scrub(err.Error(), rawURL))
	}
	if q.Has("schema") {
		opts.schema = q.Get("schema")
		if !schemaName.MatchString(opts.schema) {
			return "", opts, fmt.Errorf("postgres: bad database URL %s: schema=%q: use letters, digits and _ (at most 63, not starting with a digit)", redactURL(rawURL), opts.schema)
		}
		q.Del("schema")
	}
	if q.Has("timeout") {
		d, err := time.ParseDuration(q.Get("timeout"))
		if err != nil || d <= 0 {
			return "", opts, fmt.Errorf("postgres: bad database URL %s: timeout=%q: want a positive duration such as 30s", redactURL(rawURL), q.Get("timeout"))
		}
		opts.timeout = d
		q.Del("timeout")
	}
	opts.query = q
	return base, opts, nil
}

// redactURL and scrub keep passwords out of errors (see storeurl).
func redactURL(rawURL string) string  { return storeurl.Redact(rawURL) }
func scrub(msg, rawURL string) string { return storeurl.Scrub(msg, rawURL) }

// addresses names the servers a configuration connects to.
func addresses(c *pgx.ConnConfig) string {
	hosts := []string{net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))}
	for _, f := range c.Fallbacks {
		h := net.JoinHostPort(f.Host, strconv.Itoa(int(f.Port)))
		if !strings.Contains(strings.Join(hosts, " "), h) {
			hosts = append(hosts, h)
		}
	}
	return strings.Join(hosts, ", ")
}

// init migrates the schema unless that is done. Callers queue on initMu
// for as long as their context allows.
func (s *Store) init(ctx context.Context) error {
	select {
	case s.initMu <- struct{}{}:
	case <-ctx.Done():
		return s.fail(ctx, "connect", ctx.Err())
	}
	defer func() { <-s.initMu }()
	if s.ready.Load() {
		return nil
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	s.ready.Store(true)
	return nil
}

// begin starts a call: it refuses a closed store and a done context, gives
// a context without deadline the store's timeout, and migrates the schema
// if that is still to do. The caller calls cancel when done.
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if s.closed.Load() {
		return ctx, nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return ctx, nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	if !s.ready.Load() {
		if err := s.init(ctx); err != nil {
			cancel()
			return ctx, nil, err
		}
	}
	return ctx, cancel, nil
}

// read runs fn, a read on the pool, as a call named op.
func (s *Store) read(ctx context.Context, op string, fn func(context.Context) error) error {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if attempt < 2 && ctx.Err() == nil && pgconn.SafeToRetry(err) {
			s.pool.Reset() // the connection broke before the query left: dial afresh
			continue
		}
		return s.fail(ctx, op, err)
	}
}

// updaterError carries the error of a caller's function out of a
// transaction, untouched.
type updaterError struct{ err error }

func (e updaterError) Error() string { return e.err.Error() }

// write runs fn in a transaction and commits if it returns nil; it runs
// it again when the transaction met a concurrent one (see retryable).
func (s *Store) write(ctx context.Context, op string, fn func(context.Context, pgx.Tx) error) error {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
		if err == nil {
			return nil
		}
		var ue updaterError
		if errors.As(err, &ue) {
			return ue.err
		}
		var sue storage.UpdaterError
		if errors.As(err, &sue) {
			return sue.Err
		}
		if attempt < maxAttempts && ctx.Err() == nil && retryable(err) {
			if connLost(err) {
				s.pool.Reset() // the connection broke before the transaction began: dial afresh
			}
			if err := pause(ctx, attempt); err != nil {
				return s.fail(ctx, op, err)
			}
			continue
		}
		return s.fail(ctx, op, err)
	}
}

// retryConstraints are the unique constraints whose violation means that
// a concurrent transaction created what this one looked for and did not
// find: running again finds it. A violation of any other constraint (a
// taken id or token hash) is the caller's conflict.
var retryConstraints = map[string]bool{
	"identities_openid_index_key": true, // the same identity, created concurrently
	"links_pkey":                  true, // the same unionid, linked concurrently
	"avatars_user_id_key":         true, // the same user's avatar, put concurrently
}

// retryable reports whether a failed transaction may succeed if run again
// at once.
func retryable(err error) bool {
	var mu missingUser
	if errors.As(err, &mu) || errors.Is(err, storage.ErrRaced) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		case "23505":
			return retryConstraints[pgErr.ConstraintName]
		}
		return false
	}
	return pgconn.SafeToRetry(err)
}

// pause waits before attempt+1: not at all after the first attempt (the
// transaction it met has committed), then a few random milliseconds.
func pause(ctx context.Context, attempt int) error {
	if attempt == 1 {
		return nil
	}
	d := time.Duration(rand.Int64N(int64(min(1<<attempt, 50)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Ping implements storage.Store: it connects (and migrates, the first
// time) and asks the server to answer.
func (s *Store) Ping(ctx context.Context) error {
	return s.read(ctx, "ping", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, ";")
		return err
	})
}

// Close closes the pool; later calls fail with an error wrapping
// storage.ErrUnavailable. Closing twice is harmless. Close waits for the
// calls in progress to give back their connections.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// unavailableError is a backend that cannot serve now: its message says
// what to check, and it wraps storage.ErrUnavailable and its cause.
type unavailableError struct {
	msg   string
	cause error
}

func (e *unavailableError) Error() string   { return e.msg }
func (e *unavailableError) Unwrap() []error { return []error{storage.ErrUnavailable, e.cause} }

const checkServer = "check that it runs and that database: in the configuration points at it"

// fail turns a driver error into the storage contract's: ErrConflict for a
// unique violation, ErrNotFound for a missing referenced record,
// ErrUnavailable (with what to check) for a server that cannot serve now,
// and the context's error when the context is done (also wrapping
// ErrUnavailable after a deadline: the server did not answer in time).
// Errors that are already the contract's pass through.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrUnavailable) ||
		errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrBlocked) || errors.Is(err, storage.ErrNoSignup) {
		return err
	}
	if s.closed.Load() {
		return errClosed
	}
	if cerr := ctxErr(ctx); cerr != nil {
		if cerr == context.DeadlineExceeded {
			return &unavailableError{fmt.Sprintf("postgres: %s: %s did not answer in time: %s", op, s.where, checkServer),
				errors.Join(cerr, err)}
		}
		if errors.Is(err, cerr) {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		return fmt.Errorf("postgres: %s: %w: %w", op, cerr, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return s.serverError(op, pgErr, err)
	}
	if certError(err) {
		return &unavailableError{fmt.Sprintf("postgres: %s: %s presented a certificate this host does not trust (%s): check sslmode and sslrootcert in database: in the configuration", op, s.where, reason(err)), err}
	}
	if connLost(err) {
		// The other connections of the pool most likely met the same fate
		// (a restart, a network cut): drop them all, so that the next
		// calls dial afresh instead of failing on them one by one.
		s.pool.Reset()
		return &unavailableError{fmt.Sprintf("postgres: %s: %s is unreachable (%s): %s", op, s.where, reason(err), checkServer), err}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// serverError maps an error the server sent.
func (s *Store) serverError(op string, pgErr *pgconn.PgError, err error) error {
	code := pgErr.Code
	switch {
	case code == "23505":
		return fmt.Errorf("postgres: %s: %w: %s violates %s", op, storage.ErrConflict, pgErr.TableName, pgErr.ConstraintName)
	case code == "23503":
		return fmt.Errorf("postgres: %s: %w: a record it names is missing (%s)", op, storage.ErrNotFound, pgErr.ConstraintName)
	case strings.HasPrefix(code, "28"): // invalid_authorization_specification, invalid_password
		return &unavailableError{fmt.Sprintf("postgres: %s: %s refused the login (%s): check the user name and password in database: in the configuration", op, s.where, pgErr.Message), err}
	case code == "3D000": // invalid_catalog_name
		return &unavailableError{fmt.Sprintf("postgres: %s: %s has no such database (%s): create it, or fix the database name in database: in the configuration", op, s.where, pgErr.Message), err}
	case transient(code), code == "40001", code == "40P01":
		if strings.HasPrefix(code, "57P") || strings.HasPrefix(code, "08") {
			s.pool.Reset() // a shutdown or a restart ends the other connections too
		}
		return &unavailableError{fmt.Sprintf("postgres: %s: %s cannot serve now (%s)", op, s.where, pgErr.Message), err}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// transient reports whether a SQLSTATE says the server cannot serve now
// but may soon: connection exceptions, insufficient resources (too many
// connections, disk full), operator intervention (shutdown, starting up),
// and writes to a read-only server (a standby, during a failover).
func transient(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") ||
		code == "57P01" || code == "57P02" || code == "57P03" || code == "25006"
}

// connLost reports whether err is a failure to reach the server or a
// connection that broke, rather than an error of the query.
func connLost(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// isDown reports whether an error of Open is an outage (the store is
// returned and retries) rather than a mistake to report at once.
func isDown(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrSchemaTooNew) || certError(err) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transient(pgErr.Code)
	}
	return connLost(err)
}

// reason says in a few words why the server could not be reached.
func reason(err error) string {
	var dnsErr *net.DNSError
	var pgErr *pgconn.PgError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &authorityErr):
		return authorityErr.Error()
	case errors.As(err, &hostErr):
		return hostErr.Error()
	case errors.As(err, &invalidErr):
		return invalidErr.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &dnsErr):
		return "cannot resolve " + dnsErr.Name
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.As(err, &pgErr):
		return pgErr.Message
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// ctxErr and certError classify failures as the other networked backend
// does (see neterr).
func ctxErr(ctx context.Context) error { return neterr.CtxErr(ctx) }
func certError(err error) bool         { return neterr.CertError(err) }
