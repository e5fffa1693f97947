package redis

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/internal/neterr"
	"github.com/wxgate/wxgate/storage/internal/storeurl"
)

const (
	// defaultPrefix goes before every key unless the URL sets prefix=.
	defaultPrefix = "wxgate:"
	// defaultTimeout bounds a call whose context has no deadline, and each
	// dial, read and write unless the URL sets their timeouts.
	defaultTimeout = 2 * time.Second
)

var (
	errClosed   = fmt.Errorf("redis: kv is closed: %w", storage.ErrUnavailable)
	errNotFound = fmt.Errorf("redis: key: %w", storage.ErrNotFound)
)

// KV is a storage.KV in Redis. Its methods are safe for concurrent use.
type KV struct {
	c       goredis.UniversalClient
	prefix  string
	where   string // "Redis at host:port", for messages
	timeout time.Duration
	closed  atomic.Bool
}

var _ storage.KV = (*KV)(nil)

// Open returns a KV on the Redis server or Cluster at rawURL (see the
// package documentation for its form and options). It checks the server
// if it can be reached now, but does not fail if it cannot: the KV
// connects when it is used. Open fails for a bad URL, and for a server
// that refuses the login or the database.
func Open(ctx context.Context, rawURL string) (*KV, error) {
	kv, err := newKV(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, kv.timeout)
	defer cancel()
	if err := kv.Ping(ctx); err != nil && !isDown(err) {
		kv.Close()
		return nil, err
	}
	return kv, nil
}

// newKV parses rawURL and makes the client, without connecting.
func newKV(rawURL string) (*KV, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("redis: bad cache URL %s: %s", redactURL(rawURL), fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold the password
		}
		return nil, bad("%v", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("%v", err)
	}
	kv := &KV{prefix: defaultPrefix, timeout: defaultTimeout}
	cluster := false
	switch u.Scheme {
	case "redis", "rediss":
	case "redis+cluster", "rediss+cluster":
		cluster = true
		u.Scheme = strings.TrimSuffix(u.Scheme, "+cluster")
	default:
		return nil, bad("want redis://, rediss://, redis+cluster:// or rediss+cluster://")
	}
	if q.Has("prefix") {
		kv.prefix = q.Get("prefix")
		q.Del("prefix")
	}
	if q.Has("timeout") {
		d, err := time.ParseDuration(q.Get("timeout"))
		if err != nil || d <= 0 {
			return nil, bad("timeout=%q: want a positive duration such as 2s", q.Get("timeout"))
		}
		kv.timeout = d
		q.Del("timeout")
	}
	if q.Has("cluster") {
		switch q.Get("cluster") {
		case "1", "true":
			cluster = true
		case "0", "false":
		default:
			return nil, bad("cluster=%q: want 1 or 0", q.Get("cluster"))
		}
		q.Del("cluster")
	}
	u.RawQuery = q.Encode()

	if cluster {
		opt, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return nil, bad("%s", scrub(strings.TrimPrefix(err.Error(), "redis: "), rawURL))
		}
		opt.ContextTimeoutEnabled = true
		opt.DialTimeout = orDefault(q.Has("dial_timeout"), opt.DialTimeout, kv.timeout)
		opt.ReadTimeout = orDefault(q.Has("read_timeout"), opt.ReadTimeout, kv.timeout)
		opt.WriteTimeout = orDefault(q.Has("write_timeout"), opt.WriteTimeout, kv.timeout)
		opt.PoolTimeout = orDefault(q.Has("pool_timeout"), opt.PoolTimeout, kv.timeout)
		if !q.Has("dialer_retries") {
			opt.DialerRetries = 1
		}
		if !q.Has("max_retries") {
			opt.MaxRetries = -1
		}
		kv.where = "Redis Cluster at " + strings.Join(opt.Addrs, ", ")
		kv.c = goredis.NewClusterClient(opt)
		return kv, nil
	}
	opt, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, bad("%s", scrub(strings.TrimPrefix(err.Error(), "redis: "), rawURL))
	}
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout = orDefault(q.Has("dial_timeout"), opt.DialTimeout, kv.timeout)
	opt.ReadTimeout = orDefault(q.Has("read_timeout"), opt.ReadTimeout, kv.timeout)
	opt.WriteTimeout = orDefault(q.Has("write_timeout"), opt.WriteTimeout, kv.timeout)
	opt.PoolTimeout = orDefault(q.Has("pool_timeout"), opt.PoolTimeout, kv.timeout)
	opt.DialerRetries = 1
	if !q.Has("max_retries") {
		opt.MaxRetries = -1
	}
	kv.where = "Redis at " + opt.Addr
	kv.c = goredis.NewClient(opt)
	return kv, nil
}

func orDefault(set bool, v, def time.Duration) time.Duration {
	if set {
		return v
	}
	return def
}

// redactURL and scrub keep passwords out of errors (see storeurl).
func redactURL(rawURL string) string  { return storeurl.Redact(rawURL) }
func scrub(msg, rawURL string) string { return storeurl.Scrub(msg, rawURL) }

// call starts a call: it refuses a closed KV and a done context, and gives
// a context without deadline the KV's timeout. The caller calls cancel.
func (kv *KV) call(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if kv.closed.Load() {
		return ctx, nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return ctx, nil, fmt.Errorf("redis: %s: %w", op, err)
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, kv.timeout)
	return ctx, cancel, nil
}

// Ping implements storage.KV.
func (kv *KV) Ping(ctx context.Context) error {
	ctx, cancel, err := kv.call(ctx, "ping")
	if err != nil {
		return err
	}
	defer cancel()
	if cc, ok := kv.c.(*goredis.ClusterClient); ok {
		return kv.pingCluster(ctx, cc)
	}
	return kv.fail(ctx, "ping", kv.c.Ping(ctx).Err())
}

// pingCluster checks a Redis Cluster as a whole: a keyless PING answered
// by one live node says nothing while writes fail with CLUSTERDOWN, so
// every master is asked for CLUSTER INFO, and the error names each master
// that is unreachable or reports a cluster_state other than ok.
func (kv *KV) pingCluster(ctx context.Context, cc *goredis.ClusterClient) error {
	var mu sync.Mutex
	var down []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		addr := c.Options().Addr
		info, err := c.ClusterInfo(ctx).Result()
		var problem string
		switch {
		case err != nil:
			problem = "unreachable (" + reason(err) + ")"
		case !strings.Contains(info, "cluster_state:ok"):
			state := "unknown"
			if _, rest, ok := strings.Cut(info, "cluster_state:"); ok {
				state, _, _ = strings.Cut(rest, "\r")
				state = strings.TrimSpace(state)
			}
			problem = "cluster_state " + state
		default:
			return nil
		}
		mu.Lock()
		down = append(down, addr+": "+problem)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return kv.fail(ctx, "ping", err)
	}
	if len(down) > 0 {
		sort.Strings(down)
		return &unavailableError{fmt.Sprintf("redis: ping: %s is not fully up: master %s: %s", kv.where, strings.Join(down, "; master "), checkServer), errors.New(strings.Join(down, "; ")), false}
	}
	return nil
}

// Close closes the client; later calls fail with an error wrapping
// storage.ErrUnavailable. Closing twice is harmless.
func (kv *KV) Close() error {
	if kv.closed.Swap(true) {
		return nil
	}
	if err := kv.c.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// unavailableError is a backend that cannot serve now: its message says
// what to check, and it wraps storage.ErrUnavailable and its cause.
type unavailableError struct {
	msg    string
	cause  error
	config bool // a mistake in the configuration rather than an outage
}

func (e *unavailableError) Error() string   { return e.msg }
func (e *unavailableError) Unwrap() []error { return []error{storage.ErrUnavailable, e.cause} }

const checkServer = "check that it runs and that cache: in the configuration points at it"

// fail turns a client error into the storage contract's: the context's
// error when the context is done (also wrapping ErrUnavailable after a
// deadline: the server did not answer in time), ErrUnavailable with what
// to check for a server that cannot be reached or cannot serve now, and a
// plain error for a command the server refused (such as INCR on a value
// that is not a number).
func (kv *KV) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if kv.closed.Load() {
		return errClosed
	}
	if cerr := ctxErr(ctx); cerr != nil {
		if cerr == context.DeadlineExceeded {
			return &unavailableError{fmt.Sprintf("redis: %s: %s did not answer in time: %s", op, kv.where, checkServer), errors.Join(cerr, err), false}
		}
		return fmt.Errorf("redis: %s: %w: %w", op, cerr, err)
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		msg := strings.TrimPrefix(rerr.Error(), "ERR ")
		switch word, _, _ := strings.Cut(msg, " "); {
		case word == "NOAUTH" || word == "WRONGPASS" || word == "NOPERM" || strings.HasPrefix(msg, "AUTH") ||
			strings.HasPrefix(msg, "invalid password") || strings.HasPrefix(msg, "Client sent AUTH"):
			return &unavailableError{fmt.Sprintf("redis: %s: %s refused the login (%s): check the user name and password in cache: in the configuration", op, kv.where, msg), err, true}
		case strings.HasPrefix(msg, "DB index is out of range") || strings.HasPrefix(msg, "invalid DB index") ||
			strings.HasPrefix(msg, "SELECT is not allowed in cluster mode") || strings.HasPrefix(msg, "This instance has cluster support disabled"):
			return &unavailableError{fmt.Sprintf("redis: %s: %s refused the database (%s): check the database number or the cluster setting in cache: in the configuration", op, kv.where, msg), err, true}
		case word == "LOADING" || word == "MASTERDOWN" || word == "CLUSTERDOWN" || word == "TRYAGAIN" ||
			word == "READONLY" || word == "BUSY" || word == "MISCONF" || word == "OOM":
			return &unavailableError{fmt.Sprintf("redis: %s: %s cannot serve now (%s)", op, kv.where, msg), err, false}
		}
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	if certError(err) {
		return &unavailableError{fmt.Sprintf("redis: %s: %s presented a certificate this host does not trust (%s): check the address in cache: in the configuration, or the trusted roots (SSL_CERT_FILE)", op, kv.where, reason(err)), err, true}
	}
	// Anything else the client reports is about the connection: a refused
	// or timed out dial, a broken connection, no free connection in time.
	return &unavailableError{fmt.Sprintf("redis: %s: %s is unreachable (%s): %s", op, kv.where, reason(err), checkServer), err, false}
}

// isDown reports whether an error of Open's check is an outage (the KV is
// returned and connects later) rather than a mistake to report at once.
func isDown(err error) bool {
	var ue *unavailableError
	return errors.As(err, &ue) && !ue.config
}

// reason says in a few words why the server could not be reached.
func reason(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
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
	case errors.Is(err, goredis.ErrPoolTimeout):
		return "no free connection in time"
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return "connection closed"
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
