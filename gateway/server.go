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
	webhook   *webhook // accounts.webhook_url; nil when unset
	lookupEnv func(string) (string, bool)
	hc        *http.Client
	avatars   *avatarFetcher
	metrics   *metrics
	limiter   *ratelimit.Limiter
	signer    *signing.Verifier
	trusted   []netip.Prefix
	handler   http.Handler
	// mux routes requests; Handle adds to it.
	mux *http.ServeMux
	// secretValues are the configured secrets' values (AppSecrets, the
	// internal key), for the log redactor to remove wherever they appear.
	secretValues atomic.Pointer[[]string]
	// closers release what Open opened.
	closers []func() error
	// bg tracks background jobs, which Close stops and waits for.
	bg *background
	// lastReload is when the keyring was last re-read for an unknown key
	// (unix nanoseconds).
	lastReload atomic.Int64
	// scans wakes waiting scan logins (scan.go).
	scans scanHub
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
		bg:        newBackground(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.webhook = s.newWebhook()
	if s.lookupEnv == nil {
		s.lookupEnv = os.LookupEnv
	}
	if s.hc == nil {
		s.hc = wechat.NewHTTPClient(time.Duration(s.cfg.WeChat.Timeout))
	}
	s.metrics = newMetrics()
	s.registerOpsMetrics()
	// Every WeChat call is measured: a copy of the client with an
	// instrumented transport, so the caller's client stays as it was.
	hc := *s.hc
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	hc.Transport = s.metrics.instrument(hc.Transport)
	s.hc = &hc
	avatarBases := []string{s.cfg.WeChat.APIBase, s.cfg.WeChat.OpenBase}
	if s.cfg.Dev {
		avatarBases = append(avatarBases, s.cfg.PublicURL)
	}
	s.avatars = newAvatarFetcher(avatarBases, s.metrics.instrument)
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
		// The gateway checks signatures itself (verifySigned).
		AcceptSignedApps: true,
	})
	s.handler = s.middleware(s.publicOnly(s.trackLoginOutcomes(s.routes())))
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
		if t, k, err := a.cfg.EventSecrets(s.lookupEnv); err == nil {
			v = append(v, nonEmpty(t, k)...) // an official account's Token and EncodingAESKey
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
	now := s.now()
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

// routes registers every endpoint with a Go 1.22 pattern ("METHOD /path").
// The pattern that served a request (r.Pattern) labels its metrics, so a
// new route needs nothing else. A GET route also answers HEAD.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	mux.HandleFunc("POST /auth/miniprogram/login", s.handleMiniProgramLogin)
	mux.HandleFunc("POST /auth/miniprogram/decrypt", s.handleMiniProgramDecrypt)
	mux.HandleFunc("POST /auth/miniprogram/phone", s.handleMiniProgramPhone)
	mux.HandleFunc("POST /auth/mobile/login", s.handleMobileLogin)
	mux.HandleFunc("GET /auth/me", s.handleMe)
	mux.HandleFunc("POST /auth/logout", s.handleLogout)
	mux.HandleFunc("/auth/verify", s.handleVerify) // any method: reverse proxies forward theirs
	mux.HandleFunc("GET /auth/wechat/login", s.handleWebLogin)
	mux.HandleFunc("GET /auth/wechat/authorize", s.handleWebAuthorize)
	mux.HandleFunc("GET /auth/wechat/callback", s.handleCallback)
	mux.HandleFunc("GET /auth/wechat/embed", s.handleEmbed)
	mux.HandleFunc("GET /auth/wechat/scan", s.handleScanPage)
	mux.HandleFunc("POST /auth/wechat/scan/start", s.handleScanStart)
	mux.HandleFunc("GET /auth/wechat/scan/wait", s.handleScanWait)
	mux.HandleFunc("POST /auth/miniprogram/scan", s.handleMiniProgramScan)
	mux.HandleFunc("POST /auth/miniprogram/scan/confirm", s.handleMiniProgramScanConfirm)
	mux.HandleFunc("POST /auth/miniprogram/scan/cancel", s.handleMiniProgramScanCancel)
	mux.HandleFunc("POST /auth/mobile/qr-signature", s.handleMobileQRSignature)
	mux.HandleFunc("GET /wechat/events/{app}", s.handleEventCheck)
	mux.HandleFunc("POST /wechat/events/{app}", s.handleEvent)
	mux.Handle("GET /auth/static/", http.StripPrefix("/auth/static/", staticHandler()))
	mux.HandleFunc("GET /auth/avatars/", s.handleAvatar)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /internal/wechat/access_token", s.handleInternalToken)
	mux.HandleFunc("POST /internal/wechat/access_token/refresh", s.handleInternalTokenRefresh)
	mux.Handle("/admin/api/", s.adminHandler())
	return s.unrouted(mux)
}

// unrouted answers requests no pattern matches in JSON, as every other
// error: 404 not_found, or 405 method_not_allowed with the mux's Allow
// header when the path exists under other methods.
func (s *Server) unrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own answer (plain text) tells 404 from 405.
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			allow := probe.header.Get("Allow")
			w.Header().Set("Allow", allow)
			s.writeError(w, r, errMethodNotAllowed.Msg("use %s for %s", strings.ReplaceAll(allow, ", ", " or "), truncate(r.URL.Path, 128)))
			return
		}
		s.writeError(w, r, errNotFound.Msg("no such endpoint: %s", truncate(r.URL.Path, 128)))
	})
}

// statusProbe records a handler's status and headers, discarding its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

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
			s.metrics.requests.WithLabelValues(routeLabel(r), statusClass(sw.status)).Inc()
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
	writeJSON(w, http.StatusOK, healthAnswer{Status: "ok"})
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
	writeJSON(w, status, readyAnswer{Ready: ready, Checks: checks})
}

// routeLabel is the metric label of a request's route: the path of the
// pattern that served it, "other" for requests no route matched (their
// paths are unbounded).
func routeLabel(r *http.Request) string {
	if r.Pattern == "" {
		return "other"
	}
	_, path, found := strings.Cut(r.Pattern, " ")
	if !found {
		return r.Pattern
	}
	return path
}

func statusClass(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code/100) + "xx"
}

// healthAnswer is the JSON of GET /healthz.
type healthAnswer struct {
	Status string `json:"status"`
}

// readyAnswer is the JSON of GET /readyz: each check's outcome.
type readyAnswer struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}
