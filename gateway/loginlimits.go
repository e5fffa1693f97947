package gateway

import (
	"context"
	"net/http"

	"github.com/wxgate/wxgate/ratelimit"
)

// Logins are limited per client address by their outcome (see
// ratelimit.DefaultRules for why): before a login is handled, both the
// failed-attempt count (strict) and the success count (high) are checked
// without counting; once the answer is written, the attempt counts under
// one of them: a 2xx or 3xx answer as a success, a 400, 401 or 403 as a
// failure (a bad, used or foreign code, a broken state, a bad signature).
// Other answers (429, 5xx: nobody's fault on the client's side) count for
// neither.
//
// Shard or cache failures: the failed-attempt limit fails closed (503), as
// every limit did before, since letting guesses through unlimited is what
// an attacker who can knock out a shard would want; the success limit
// fails open (logged), since a refusal there would lock out everyone
// behind the address while its shard is down, and the failed-attempt
// limit still holds.

type loginAttemptKey struct{}

// loginAttempt is filled in by limitLogin for trackLoginOutcomes.
type loginAttempt struct {
	key string // the client address key; "" when the request is no login
}

// trackLoginOutcomes counts each login attempt's outcome after its answer.
func (s *Server) trackLoginOutcomes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		la := &loginAttempt{}
		orig := r
		r = r.WithContext(context.WithValue(r.Context(), loginAttemptKey{}, la))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		// The mux records the pattern it chose on the request it was
		// given; the metrics middleware reads it from its own.
		orig.Pattern = r.Pattern
		if la.key == "" {
			return
		}
		var rule string
		switch st := sw.status; {
		case st < 400: // 0: nothing written, which net/http sends as 200
			rule = ratelimit.LoginIP
		case st == http.StatusBadRequest || st == http.StatusUnauthorized || st == http.StatusForbidden:
			rule = ratelimit.LoginFailedIP
		default:
			return
		}
		// The client may be gone; the count must still be made.
		ctx := context.WithoutCancel(r.Context())
		if _, err := s.limiter.Allow(ctx, rule, la.key); err != nil {
			s.log.Warn("counting a login attempt failed", "rule", rule, "err", err)
		}
	})
}

// limitLogin checks a login attempt of the request's client address
// against both login rules, without counting it (trackLoginOutcomes does).
func (s *Server) limitLogin(r *http.Request, app string) error {
	key := ratelimit.AddrKey(s.clientAddr(r))
	if err := s.peek(r, ratelimit.LoginFailedIP, key, app); err != nil {
		return err
	}
	if err := s.peek(r, ratelimit.LoginIP, key, app); err != nil {
		return err
	}
	if la, ok := r.Context().Value(loginAttemptKey{}).(*loginAttempt); ok {
		la.key = key
	}
	return nil
}

// peekFailures refuses a request from an address over its failed-attempt
// limit (before a signature is checked).
func (s *Server) peekFailures(r *http.Request, app string) error {
	return s.peek(r, ratelimit.LoginFailedIP, ratelimit.AddrKey(s.clientAddr(r)), app)
}

// noteFailure counts a failed attempt (a bad signature) of the request's
// client address.
func (s *Server) noteFailure(r *http.Request) {
	if _, err := s.limiter.Allow(context.WithoutCancel(r.Context()), ratelimit.LoginFailedIP, ratelimit.AddrKey(s.clientAddr(r))); err != nil {
		s.log.Warn("counting a failed attempt failed", "rule", ratelimit.LoginFailedIP, "err", err)
	}
}

// peek is limit without counting: a refusal is a 429 with Retry-After,
// counted and recorded; a counter that cannot be read fails closed (503)
// unless the rule fails open.
func (s *Server) peek(r *http.Request, rule, key, app string) error {
	d, err := s.limiter.Peek(r.Context(), rule, key)
	if err != nil {
		if d.Allowed { // FailOpen
			s.log.Warn("a rate-limit counter cannot be read; letting the request through, as this rule fails open", "rule", rule, "err", err)
			return nil
		}
		return storageFailure(err)
	}
	if d.Allowed {
		return nil
	}
	s.metrics.rateLimited.WithLabelValues(rule).Inc()
	s.event(r.Context(), r, EventRateLimited, "", app, map[string]string{"rule": rule})
	return errRateLimited.Msg("too many requests; retry in %d seconds", d.RetryAfterSeconds()).After(d.RetryAfterSeconds())
}
