// Package session verifies wxgate sessions. The gateway uses it to
// authenticate its own API, and Go services behind the gateway use it to
// verify the same sessions in-process, from the shared database, with a
// net/http middleware that puts the user in the request context:
//
//	v := session.NewVerifier(session.Options{Store: store, IdleTimeout: 24 * time.Hour})
//	http.Handle("/orders", v.Require(ordersHandler))
//	// in ordersHandler: userID, _ := session.UserID(r.Context())
//
// A session token is "wxgs_" followed by 32 random bytes in unpadded
// base64url (256 bits). Only its SHA-256 is ever stored.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// CookieName is the cookie that carries a browser's session token on plain
// HTTP (development).
const CookieName = "wxgate_session"

// HostCookieName is the session cookie on HTTPS. Browsers accept a
// __Host- cookie only when it is Secure, host-only and for Path=/, so a
// page on a sibling or parent domain cannot plant one (cookie tossing).
const HostCookieName = "__Host-" + CookieName

const (
	tokenPrefix = "wxgs_"
	tokenLen    = len(tokenPrefix) + 43
)

// NewToken returns a fresh session token from crypto/rand.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns what storage keeps of a token: its SHA-256.
func HashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// WellFormed reports whether tok has the shape of a session token, so
// garbage is refused before it costs a storage look-up.
func WellFormed(tok string) bool {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return false
	}
	for i := len(tokenPrefix); i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// FromRequest returns a request's session token: a Bearer token, else the
// session cookie (HostCookieName if the request has one, else CookieName).
// fromCookie says which, since cookie-authenticated state changes need
// cross-site protection. A request with several session cookies of that
// name gets no token: one of them may have been planted by another site
// (DuplicateCookie tells).
func FromRequest(r *http.Request) (tok string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, v, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(v), false
		}
		return "", false
	}
	for _, name := range []string{HostCookieName, CookieName} {
		if vs := CookieValues(r, name); len(vs) == 1 {
			return vs[0], true
		} else if len(vs) > 1 {
			return "", true
		}
	}
	return "", false
}

// CookieValues returns the values of every cookie called name in r.
func CookieValues(r *http.Request, name string) []string {
	var out []string
	for _, c := range r.CookiesNamed(name) {
		out = append(out, c.Value)
	}
	return out
}

// DuplicateCookie reports whether r carries more than one session cookie
// of the name FromRequest reads, which FromRequest refuses.
func DuplicateCookie(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	if n := len(r.CookiesNamed(HostCookieName)); n > 0 {
		return n > 1
	}
	return len(r.CookiesNamed(CookieName)) > 1
}

// Errors of Verify.
var (
	// ErrMissing: the request carries no session token.
	ErrMissing = errors.New("session: no session token")
	// ErrInvalid: the token is malformed, unknown, expired or revoked.
	ErrInvalid = errors.New("session: session expired or revoked")
	// ErrSigned: the session belongs to an app with sign_requests, whose
	// requests this Verifier cannot check (see Options.AcceptSignedApps).
	ErrSigned = errors.New("session: this app's requests must be signed; verify them through the gateway's /auth/verify")
)

// Options configure a Verifier.
type Options struct {
	// Store is the sessions' storage (the gateway's database). Required.
	Store storage.SessionStore
	// IdleTimeout ends a session unused for this long; 0 means no idle
	// limit. Use the gateway's sessions.idle_timeout.
	IdleTimeout time.Duration
	// CacheTTL, if positive, caches verified sessions in memory for this
	// long, so a service verifying every request reads storage at most once
	// per TTL per session. A logout elsewhere then takes up to CacheTTL to
	// be seen here; the gateway itself uses no cache.
	CacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives storage failures while recording activity; nil
	// discards them.
	Logger *slog.Logger
	// AcceptSignedApps lets sessions of apps with sign_requests through
	// without checking their requests' signatures. By default Verify
	// refuses them with ErrSigned: a token captured from such an app must
	// not work unsigned here. Set it only when something in front checks
	// the signatures (the gateway does so for its own API, and its
	// /auth/verify does so for a reverse proxy).
	AcceptSignedApps bool
}

// Verifier checks session tokens. It is safe for concurrent use.
type Verifier struct {
	opt   Options
	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cached
	last  time.Time // last sweep of the cache
}

type cached struct {
	s     storage.Session
	until time.Time
}

// NewVerifier returns a Verifier.
func NewVerifier(opt Options) *Verifier {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{opt: opt, cache: map[[sha256.Size]byte]cached{}}
}

// Verify returns the live session of a token. Expired sessions are deleted;
// the last-seen time is written at most once a minute per session (or
// every tenth of the idle timeout, if shorter), so that verification stays
// a read. Storage failures are returned as they are (wrapping
// storage.ErrUnavailable when the backend is down).
func (v *Verifier) Verify(ctx context.Context, tok string) (storage.Session, error) {
	if tok == "" {
		return storage.Session{}, ErrMissing
	}
	if !WellFormed(tok) {
		return storage.Session{}, ErrInvalid
	}
	h := sha256.Sum256([]byte(tok))
	now := v.opt.Now()
	if v.opt.CacheTTL > 0 {
		v.mu.RLock()
		c, ok := v.cache[h]
		v.mu.RUnlock()
		if ok && now.Before(c.until) && v.live(c.s, now) {
			return c.s, v.signedCheck(c.s)
		}
	}
	s, err := v.opt.Store.GetSessionByTokenHash(ctx, h[:])
	if errors.Is(err, storage.ErrNotFound) {
		v.forget(h)
		return storage.Session{}, ErrInvalid
	}
	if err != nil {
		return storage.Session{}, err
	}
	if !v.live(s, now) {
		v.forget(h)
		if err := v.opt.Store.DeleteSession(ctx, s.ID); err != nil {
			v.opt.Logger.Warn("deleting an expired session failed", "session", s.ID, "err", err)
		}
		return storage.Session{}, ErrInvalid
	}
	if now.Sub(s.LastSeenAt) > v.touchEvery() {
		if err := v.opt.Store.TouchSession(ctx, s.ID, now.UTC()); err != nil && !errors.Is(err, storage.ErrNotFound) {
			v.opt.Logger.Warn("recording session activity failed", "session", s.ID, "err", err)
		} else {
			s.LastSeenAt = now.UTC().Truncate(time.Microsecond)
		}
	}
	if v.opt.CacheTTL > 0 {
		v.remember(h, s, now)
	}
	return s, v.signedCheck(s)
}

// signedCheck refuses a session of an app with sign_requests unless the
// Verifier was told that signatures are checked elsewhere.
func (v *Verifier) signedCheck(s storage.Session) error {
	if len(s.SigningKey) > 0 && !v.opt.AcceptSignedApps {
		return ErrSigned
	}
	return nil
}

func (v *Verifier) live(s storage.Session, now time.Time) bool {
	if !now.Before(s.ExpiresAt) {
		return false
	}
	return v.opt.IdleTimeout <= 0 || now.Sub(s.LastSeenAt) <= v.opt.IdleTimeout
}

func (v *Verifier) touchEvery() time.Duration {
	if v.opt.IdleTimeout > 0 {
		return min(time.Minute, v.opt.IdleTimeout/10)
	}
	return time.Minute
}

func (v *Verifier) remember(h [sha256.Size]byte, s storage.Session, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if now.Sub(v.last) > v.opt.CacheTTL {
		for k, c := range v.cache {
			if !now.Before(c.until) {
				delete(v.cache, k)
			}
		}
		v.last = now
	}
	v.cache[h] = cached{s: s, until: now.Add(v.opt.CacheTTL)}
}

func (v *Verifier) forget(h [sha256.Size]byte) {
	if v.opt.CacheTTL <= 0 {
		return
	}
	v.mu.Lock()
	delete(v.cache, h)
	v.mu.Unlock()
}

// Forget drops a token from the cache, after a logout in this process.
func (v *Verifier) Forget(tok string) { v.forget(sha256.Sum256([]byte(tok))) }

type ctxKey struct{}

// NewContext returns ctx carrying the session.
func NewContext(ctx context.Context, s storage.Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the session Require or Optional put in ctx.
func FromContext(ctx context.Context) (storage.Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(storage.Session)
	return s, ok
}

// UserID returns the wxgate user id of the request's session.
func UserID(ctx context.Context) (string, bool) {
	s, ok := FromContext(ctx)
	return s.UserID, ok && s.UserID != ""
}

// Require lets requests with a live session through to next, with the
// session in the request context, and answers others with 401 (or 503 when
// storage is down) and a JSON error, as the gateway does.
func (v *Verifier) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := FromRequest(r)
		s, err := v.Verify(r.Context(), tok)
		if err != nil {
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), s)))
	})
}

// Optional puts the session in the context when there is a live one and
// lets every request through.
func (v *Verifier) Optional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, _ := FromRequest(r); tok != "" {
			if s, err := v.Verify(r.Context(), tok); err == nil {
				r = r.WithContext(NewContext(r.Context(), s))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusUnauthorized, "session_expired", "the session has expired or was revoked; log in again"
	switch {
	case errors.Is(err, ErrMissing):
		code, msg = "unauthenticated", `log in first, then send the session token as "Authorization: Bearer <token>" (or the wxgate_session cookie)`
	case errors.Is(err, ErrSigned):
		code, msg = "bad_signature", "this app requires signed requests, which this service cannot check; send them through the gateway's forward-auth"
	case !errors.Is(err, ErrInvalid):
		status, code, msg = http.StatusServiceUnavailable, "storage_unavailable", "sessions cannot be checked right now; retry shortly"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="wxgate"`)
	}
	w.WriteHeader(status)
	// The texts are constants without quotes that need escaping.
	_, _ = w.Write([]byte(`{"error":"` + code + `","message":"` + strings.ReplaceAll(msg, `"`, `\"`) + `"}` + "\n"))
}
