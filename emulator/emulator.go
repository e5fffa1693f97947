package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure an Emulator. The zero value is a working emulator with
// the documented default behaviour and no apps or users.
type Options struct {
	// Now is the base clock; nil means time.Now. The virtual clock adds an
	// offset to it (Advance, POST /_emulator/clock).
	Now func() time.Time
	// Behaviour sets the options for WeChat's unconfirmed behaviour. Fields
	// it sets override the fixture's behaviour section.
	Behaviour Behaviour
	// Fixture, when not nil, is loaded at start: apps, users, the identity
	// salt and behaviour.
	Fixture *Fixture
	// LongPoll is how long /connect/l/qrconnect holds a request while the
	// grant's state is unchanged; 0 means 25 s.
	LongPoll time.Duration
	// PushTimeout is how long an official account's server has to answer
	// an event push before WeChat tries again; 0 means 5 s, as WeChat.
	PushTimeout time.Duration
	// Logger receives operational logs; nil discards them. The emulator
	// never logs secrets, codes, tokens or session keys.
	Logger *slog.Logger
}

// Emulator is WeChat's login servers in memory. It is an http.Handler and
// safe for concurrent use.
type Emulator struct {
	behaviour Behaviour // effective: every default filled in
	rules     rules
	longPoll  time.Duration
	log       *slog.Logger
	clock     *clock
	salt      []byte
	mux       *http.ServeMux
	// encrypted remembers issued encrypted data for checkencryptedmsg.
	encrypted encryptedLog
	pages     *template.Template

	appsMu sync.RWMutex
	apps   map[string]*app

	usersMu sync.RWMutex
	users   map[string]*user
	userSeq int
	avatars map[string]string // avatar id -> user id

	bindMu   sync.RWMutex
	bindings map[bindingKey]*binding
	byOpenID map[string]*binding

	codes *codeStore

	grantsMu    sync.Mutex
	grants      map[string]*grant
	grantsSwept time.Time

	tokMu         sync.Mutex // user tokens
	userTokens    map[string]*userToken
	refreshTokens map[string]*refreshToken
	tokSwept      time.Time

	appTokMu    sync.Mutex
	appTokens   map[string]*appToken
	appTokSwept time.Time

	wxacodes wxaCodes
	oa       oaState    // parametric QR codes and follows (oaqrcode.go)
	sdk      sdkTickets // the OpenSDK's tickets (sdkqr.go)
	// pushTimeout and pushClient deliver official accounts' event pushes.
	pushTimeout time.Duration
	pushClient  *http.Client

	faults faultTable
	stats  statsTable
}

// New returns an emulator configured by opts. It fails if the behaviour or
// the fixture is invalid, reporting every problem at once.
func New(opts Options) (*Emulator, error) {
	beh := opts.Behaviour
	var fx *Fixture
	if opts.Fixture != nil {
		fx = opts.Fixture
		beh = fx.Behaviour.over(opts.Behaviour)
	}
	if err := beh.Validate(); err != nil {
		return nil, err
	}
	e := &Emulator{
		behaviour:     beh.Effective(),
		rules:         beh.rules(),
		longPoll:      opts.LongPoll,
		log:           opts.Logger,
		clock:         newClock(opts.Now),
		apps:          make(map[string]*app),
		users:         make(map[string]*user),
		avatars:       make(map[string]string),
		bindings:      make(map[bindingKey]*binding),
		byOpenID:      make(map[string]*binding),
		codes:         newCodeStore(),
		grants:        make(map[string]*grant),
		userTokens:    make(map[string]*userToken),
		refreshTokens: make(map[string]*refreshToken),
		appTokens:     make(map[string]*appToken),
		stats:         newStatsTable(),
	}
	e.pushTimeout = opts.PushTimeout
	if e.pushTimeout <= 0 {
		e.pushTimeout = 5 * time.Second
	}
	e.pushClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if e.longPoll <= 0 {
		e.longPoll = 25 * time.Second
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if fx != nil && fx.IdentitySalt != "" {
		e.salt = []byte(fx.IdentitySalt)
	} else {
		e.salt = make([]byte, 32)
		_, _ = rand.Read(e.salt)
	}
	var err error
	if e.pages, err = parsePages(); err != nil {
		return nil, err
	}
	e.routes()
	if fx != nil {
		if err := e.load(fx); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// load creates the fixture's apps and users.
func (e *Emulator) load(fx *Fixture) error {
	var errs []error
	for i, s := range fx.Apps {
		if _, err := e.CreateApp(s); err != nil {
			errs = append(errs, fmt.Errorf("apps[%d]: %w", i, err))
		}
	}
	for i, s := range fx.Users {
		if _, err := e.CreateUser(s); err != nil {
			errs = append(errs, fmt.Errorf("users[%d]: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("emulator: fixture: %w", errors.Join(errs...))
	}
	return nil
}

// Now returns the virtual time.
func (e *Emulator) Now() time.Time { return e.clock.now() }

// Advance moves the virtual clock forward by d (a negative d is ignored)
// and returns the new virtual time. Codes, grants, tokens, quotas and
// watermarks all follow it; waiting long-polls re-check their grants.
func (e *Emulator) Advance(d time.Duration) time.Time { return e.clock.advance(d) }

// Behaviour returns the effective behaviour options.
func (e *Emulator) Behaviour() Behaviour { return e.behaviour }

// ServeHTTP serves WeChat's paths, the control API under /_emulator/ and
// the phone simulator.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
	if e.log.Enabled(r.Context(), slog.LevelDebug) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		e.mux.ServeHTTP(sw, r)
		// Only the path: queries carry secrets, codes and tokens.
		e.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
		return
	}
	e.mux.ServeHTTP(w, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// WeChat's JSON API paths, each counted in Stats and open to faults.
const (
	pathOAuthToken   = "/sns/oauth2/access_token"
	pathRefresh      = "/sns/oauth2/refresh_token"
	pathSnsAuth      = "/sns/auth"
	pathUserInfo     = "/sns/userinfo"
	pathJSCode       = "/sns/jscode2session"
	pathCheckSession = "/wxa/checksession"
	pathPhone        = "/wxa/business/getuserphonenumber"
	pathToken        = "/cgi-bin/token"
	pathStableToken  = "/cgi-bin/stable_token"
)

// WeChat's browser-facing paths, counted in Stats.
const (
	pathQRConnect = "/connect/qrconnect"
	pathAuthorize = "/connect/oauth2/authorize"
	pathQRCode    = "/connect/qrcode"
	pathLongPoll  = "/connect/l/qrconnect"
	pathAvatar    = "/mmopen"
)

var apiPaths = []string{pathOAuthToken, pathRefresh, pathSnsAuth, pathUserInfo, pathJSCode, pathCheckSession, pathPhone, pathToken, pathStableToken, pathWXACode,
	pathUserInfoOA, pathCheckEncrypted, pathPaidUnionID, pathResetSessionKey, pathQRCodeCreate, pathGetTicket}

var pagePaths = []string{pathQRConnect, pathAuthorize, pathQRCode, pathLongPoll, pathAvatar, pathShowQRCode, pathSDKQRConnect}

func (e *Emulator) routes() {
	m := http.NewServeMux()
	e.mux = m
	api := map[string]func(http.ResponseWriter, *http.Request) int{
		pathOAuthToken:   e.handleOAuthToken,
		pathRefresh:      e.handleRefresh,
		pathSnsAuth:      e.handleSnsAuth,
		pathUserInfo:     e.handleUserInfo,
		pathJSCode:       e.handleJSCode2Session,
		pathCheckSession: e.handleCheckSession,
		pathPhone:        e.handlePhoneNumber,
		pathToken:        e.handleToken,
		pathStableToken:  e.handleStableToken,
		pathWXACode:      e.handleWXACode,
		pathQRCodeCreate: e.handleQRCodeCreate,
		pathGetTicket:    e.handleGetTicket,
	}
	e.sdkRoutes(api)
	for p, h := range api {
		m.Handle(p, e.api(p, h))
	}
	m.Handle("GET "+pathQRConnect, e.page(pathQRConnect, e.handleQRConnect))
	m.Handle("GET "+pathAuthorize, e.page(pathAuthorize, e.handleAuthorize))
	m.Handle("GET "+pathQRCode+"/{uuid}", e.page(pathQRCode, e.handleQRCode))
	m.Handle("GET "+pathShowQRCode, e.page(pathShowQRCode, e.handleShowQRCode))
	m.Handle("GET "+pathSDKQRConnect, e.page(pathSDKQRConnect, e.handleSDKQRConnect))
	m.Handle("GET "+pathLongPoll, e.page(pathLongPoll, e.handleLongPoll))
	m.Handle("GET "+pathAvatar+"/{id}/{size}", e.page(pathAvatar, e.handleAvatar))
	e.controlRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodGet {
			http.Redirect(w, r, "/_emulator/phone", http.StatusFound)
			return
		}
		// WeChat answers a path it does not serve as every API answers:
		// HTTP 200 with an errcode (40066 "invalid url"), never a
		// text/plain 404 an SDK cannot parse.
		writeWeChatError(w, 40066, "")
	})
}

// api wraps a JSON API handler: it counts the call, applies a pending fault
// and writes the errcode the handler returns (0: it wrote a success).
func (e *Emulator) api(path string, h func(http.ResponseWriter, *http.Request) int) http.Handler {
	ps := e.stats.paths[path]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.calls.Add(1)
		if f, ok := e.faults.take(path); ok {
			if f.DelayMS > 0 {
				t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			if f.ErrCode != 0 {
				ps.countError(f.ErrCode)
				writeWeChatError(w, f.ErrCode, f.ErrMsg)
				return
			}
		}
		if code := h(w, r); code != 0 {
			ps.countError(code)
			writeWeChatError(w, code, "")
		}
	})
}

// page wraps a browser-facing handler: it counts the call.
func (e *Emulator) page(path string, h http.HandlerFunc) http.Handler {
	ps := e.stats.paths[path]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.calls.Add(1)
		h(w, r)
	})
}

// baseURL is the emulator's base URL as the request's client sees it.
// Generated URLs (QR targets, avatars) are built on it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" || len(host) > 255 || strings.ContainsFunc(host, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_:[]", c))
	}) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// constantEqual compares two strings in constant time.
func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
