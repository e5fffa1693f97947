package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/credential"
	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/signing"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// Options are what a gateway is built from. Config, Store, KV and Keyring
// are required.
type Options struct {
	Config  *config.Config
	Store   storage.Store
	KV      storage.KV
	Keyring *seal.Keyring
	// HTTPClient calls WeChat; nil means one with the configured timeout.
	HTTPClient *http.Client
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LookupEnv reads secrets from the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Server is the gateway: an http.Handler serving the API of design.md.
type Server struct {
	cfg       *config.Config
	store     storage.Store
	kv        storage.KV
	keys      atomic.Pointer[seal.Keyring]
	apps      *apps
	tokens    *credential.Manager
	sessions  *session.Verifier
	log       *slog.Logger
	now       func() time.Time
	lookupEnv func(string) (string, bool)
	hc        *http.Client
	metrics   *metrics
	limiter   *ratelimit.Limiter
	signer    *signing.Verifier
	trusted   []netip.Prefix
	handler   http.Handler
	// secretValues are the configured secrets' values (AppSecrets, the
	// internal key), for the log redactor to remove wherever they appear.
	secretValues atomic.Pointer[[]string]
	// closers release what Open opened.
	closers []func() error
	// lastReload is when the keyring was last re-read for an unknown key
	// (unix nanoseconds).
	lastReload atomic.Int64
}

// New builds a gateway from opt.
func New(opt Options) (*Server, error) {
	if opt.Config == nil || opt.Store == nil || opt.KV == nil || opt.Keyring == nil {
		return nil, errors.New("gateway: Options.Config, Store, KV and Keyring are required")
	}
	s := &Server{
		cfg:       opt.Config,
		store:     opt.Store,
		kv:        opt.KV,
		log:       opt.Logger,
		now:       opt.Now,
		lookupEnv: opt.LookupEnv,
		hc:        opt.HTTPClient,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lookupEnv == nil {
		s.lookupEnv = os.LookupEnv
	}
	if s.hc == nil {
		s.hc = wechat.NewHTTPClient(time.Duration(s.cfg.WeChat.Timeout))
	}
	s.metrics = newMetrics()
	// Every WeChat call is measured: a copy of the client with an
	// instrumented transport, so the caller's client stays as it was.
	hc := *s.hc
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	hc.Transport = s.metrics.instrument(hc.Transport)
	s.hc = &hc
	s.keys.Store(opt.Keyring)
	var err error
	if s.apps, err = newApps(s.cfg, s.lookupEnv, s.hc); err != nil {
		return nil, err
	}
	s.tokens, err = credential.New(credential.Options{
		KV:      s.kv,
		Clients: s.apps.clientFunc(),
		Mode:    credential.Mode(s.cfg.WeChat.TokenMode),
		Sealer:  keyringSealer{s},
		Now:     s.now,
		Logger:  s.log.With("component", "credential"),
		OnFetch: s.metrics.tokenFetched(s.apps),
		ReloadSecret: func(appID string) bool {
			a, ok := s.apps.byAppID[appID]
			return ok && s.reloadSecret(a)
		},
	})
	if err != nil {
		return nil, err
	}
	if err := s.setupProtections(); err != nil {
		return nil, err
	}
	s.noteSecrets()
	s.sessions = session.NewVerifier(session.Options{
		Store:       s.store,
		IdleTimeout: time.Duration(s.cfg.Sessions.IdleTimeout),
		Now:         s.now,
		Logger:      s.log,
	})
	s.handler = s.middleware(s.routes())
	return s, nil
}

// ServeHTTP serves the gateway's API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Credentials returns the app access-token manager (central control).
func (s *Server) Credentials() *credential.Manager { return s.tokens }

// ReloadSecrets re-reads every app's AppSecret from its environment
// variable or file, for rotation without downtime (SIGHUP).
func (s *Server) ReloadSecrets() error {
	err := s.apps.reloadSecrets(s.cfg, s.lookupEnv, s.hc)
	s.noteSecrets()
	return err
}

// SecretValues returns the values of the configured secrets (AppSecrets
// and the internal API key), for a log redactor (logging.Options.Secrets)
// to remove wherever they appear. The slice is shared: do not modify it.
func (s *Server) SecretValues() []string {
	if p := s.secretValues.Load(); p != nil {
		return *p
	}
	return nil
}

// noteSecrets records the current secret values for SecretValues.
func (s *Server) noteSecrets() {
	var v []string
	for _, a := range s.apps.order {
		if sec := a.secret.Load(); sec != nil && !sec.IsZero() {
			v = append(v, sec.Reveal())
		}
	}
	if k, ok, err := s.cfg.InternalAPIKey(s.lookupEnv); ok && err == nil && k != "" {
		v = append(v, k)
	}
	s.secretValues.Store(&v)
}

// reloadSecret re-reads an app's AppSecret after WeChat refused it.
func (s *Server) reloadSecret(a *app) bool {
	if !s.apps.reloadSecret(a, s.now(), s.cfg, s.lookupEnv, s.hc) {
		return false
	}
	s.noteSecrets()
	s.log.Warn("WeChat refused the AppSecret and a new one was read from the environment or secret file", "app", a.Name())
	return true
}

// SetKeyring swaps in a new keyring (after rotation).
func (s *Server) SetKeyring(k *seal.Keyring) { s.keys.Store(k) }

// ReloadKeyring re-reads the keyring file (SIGHUP, or a key this process
// does not know yet: another instance or `wxgate keys reseal` has moved to
// a rotated keyring).
func (s *Server) ReloadKeyring() error {
	kr, err := seal.Load(s.cfg.KeysFile)
	if err != nil {
		return err
	}
	if old := s.keyring(); old.ActiveKeyID() != kr.ActiveKeyID() || len(old.KeyIDs()) != len(kr.KeyIDs()) {
		s.log.Info("loaded the keyring", "active_key", kr.ActiveKeyID(), "keys", len(kr.KeyIDs()))
	}
	s.keys.Store(kr)
	return nil
}

// reloadForUnknownKey reloads the keyring when sealed names a key that kr
// does not hold, at most every few seconds; it reports whether a reload
// brought that key.
func (s *Server) reloadForUnknownKey(kr *seal.Keyring, sealed []byte) bool {
	id, ok := kr.SealedWith(sealed)
	if !ok || slices.Contains(kr.KeyIDs(), id) {
		return false
	}
	now := time.Now()
	if last := s.lastReload.Load(); last != 0 && now.Sub(time.Unix(0, last)) < 5*time.Second {
		return false
	}
	s.lastReload.Store(now.UnixNano())
	if err := s.ReloadKeyring(); err != nil {
		s.log.Error("a stored value is sealed under a key this gateway does not have, and re-reading the keyring failed", "key", id, "err", err)
		return false
	}
	return slices.Contains(s.keyring().KeyIDs(), id)
}

func (s *Server) keyring() *seal.Keyring { return s.keys.Load() }

// keyringSealer lets the credential manager seal with the current keyring.
type keyringSealer struct{ s *Server }

func (k keyringSealer) Seal(p, aad []byte) ([]byte, error) { return k.s.keyring().Seal(p, aad) }
func (k keyringSealer) Open(c, aad []byte) ([]byte, error) { return k.s.keyring().Open(c, aad) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/auth/miniprogram/login", methods{"POST": s.handleMiniProgramLogin})
	mux.Handle("/auth/miniprogram/decrypt", methods{"POST": s.handleMiniProgramDecrypt})
	mux.Handle("/auth/miniprogram/phone", methods{"POST": s.handleMiniProgramPhone})
	mux.Handle("/auth/mobile/login", methods{"POST": s.handleMobileLogin})
	mux.Handle("/auth/me", methods{"GET": s.handleMe})
	mux.Handle("/auth/logout", methods{"POST": s.handleLogout})
	mux.HandleFunc("/auth/verify", s.handleVerify)
	mux.Handle("/auth/wechat/login", methods{"GET": s.handleWebLogin})
	mux.Handle("/auth/wechat/authorize", methods{"GET": s.handleWebAuthorize})
	mux.Handle("/auth/wechat/callback", methods{"GET": s.handleCallback})
	mux.Handle("/auth/wechat/embed", methods{"GET": s.handleEmbed})
	mux.Handle("/auth/static/", http.StripPrefix("/auth/static/", staticHandler()))
	mux.Handle("/auth/avatars/", methods{"GET": s.handleAvatar})
	mux.Handle("/healthz", methods{"GET": s.handleHealthz})
	mux.Handle("/readyz", methods{"GET": s.handleReadyz})
	mux.Handle("/metrics", methods{"GET": s.metrics.handler().ServeHTTP})
	mux.Handle("/internal/wechat/access_token", methods{"GET": s.handleInternalToken})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "no such endpoint: " + truncate(r.URL.Path, 128)})
	})
	return mux
}

type ctxKey int

const requestIDKey ctxKey = iota

// requestID returns the id middleware gave the request.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware adds a request id, security headers, panic recovery and an
// access log line. The log line has the path but never the query string:
// WeChat sends codes and state there.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newID("req")
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic while handling a request", "request_id", id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, errors.New("panic"))
				}
			}
			s.log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds())
			s.metrics.requests.WithLabelValues(routeLabel(r.URL.Path), statusClass(sw.status)).Inc()
		}()
		next.ServeHTTP(sw, r)
	})
}

// newID returns a random id with a readable prefix ("usr_...").
func newID(prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	return prefix + "_" + hex.EncodeToString(b)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz reports whether the gateway can serve: storage reachable,
// configuration loaded. Each check has its own short deadline.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ready := true
	for name, ping := range map[string]func(context.Context) error{"database": s.store.Ping, "cache": s.kv.Ping} {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := ping(ctx)
		cancel()
		if err != nil {
			ready = false
			checks[name] = "unreachable (the gateway log says why)"
			s.log.Warn("readiness check failed", "check", name, "err", err)
			continue
		}
		checks[name] = "ok"
	}
	checks["config"] = fmt.Sprintf("ok (%d apps)", len(s.apps.order))
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
}

// routes are the paths that label request metrics; others are "other".
var routeNames = map[string]bool{
	"/auth/miniprogram/login": true, "/auth/miniprogram/decrypt": true, "/auth/miniprogram/phone": true,
	"/auth/mobile/login": true, "/auth/me": true, "/auth/logout": true, "/auth/verify": true,
	"/auth/wechat/login": true, "/auth/wechat/authorize": true, "/auth/wechat/callback": true,
	"/auth/wechat/embed": true, "/healthz": true, "/readyz": true, "/metrics": true,
	"/internal/wechat/access_token": true,
}

func routeLabel(p string) string {
	switch {
	case routeNames[p]:
		return p
	case strings.HasPrefix(p, "/auth/avatars/"):
		return "/auth/avatars/"
	case strings.HasPrefix(p, "/auth/static/"):
		return "/auth/static/"
	}
	return "other"
}

func statusClass(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code/100) + "xx"
}
