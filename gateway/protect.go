package gateway

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/signing"
	"github.com/wxgate/wxgate/storage"
)

// setupProtections builds the rate limiter (counters in the shared cache,
// so limits hold across instances), the trusted-proxy list and the
// request-signing verifier from the configuration.
func (s *Server) setupProtections() error {
	trusted, err := ratelimit.ParseTrusted(s.cfg.Security.TrustedProxies)
	if err != nil {
		return fmt.Errorf("gateway: security.trusted_proxies: %w", err)
	}
	s.trusted = trusted
	rules := ratelimit.DefaultRules()
	rl := s.cfg.Security.RateLimits
	over := map[string]config.Rate{
		ratelimit.LoginIP: rl.LoginIP, ratelimit.LoginFailedIP: rl.LoginFailedIP, ratelimit.LoginUser: rl.LoginUser,
		ratelimit.DecryptIP: rl.DecryptIP, ratelimit.DecryptUser: rl.DecryptUser,
		ratelimit.PhoneIP: rl.PhoneIP, ratelimit.PhoneUser: rl.PhoneUser,
	}
	for i := range rules {
		o := over[rules[i].Name]
		switch {
		case o.Limit < 0:
			rules[i].Limit = 0 // off
		case o.Limit > 0:
			rules[i].Limit = o.Limit
		}
		if o.Window > 0 {
			rules[i].Window = time.Duration(o.Window)
		}
	}
	// The limiter hashes IPs and user ids under a key every instance
	// derives alike from the keyring's index key.
	s.limiter, err = ratelimit.New(ratelimit.Options{KV: s.kv, Rules: rules, Key: s.keyring().Index("ratelimit-key"), Now: s.now})
	if err != nil {
		return err
	}
	s.signer = &signing.Verifier{Nonces: s.kv, Window: time.Duration(s.cfg.Security.ReplayWindow), Now: s.now}
	return nil
}

// clientAddr is the client's address: the peer, or, behind a trusted
// proxy, what X-Forwarded-For says.
func (s *Server) clientAddr(r *http.Request) netip.Addr { return ratelimit.ClientIP(r, s.trusted) }

// limit checks a request against a rate-limit rule for a key. A refusal is
// a 429 with Retry-After, counted and recorded; a cache that cannot be
// reached is a 503 (limits fail closed).
func (s *Server) limit(r *http.Request, rule, key, app string) error {
	d, err := s.limiter.Allow(r.Context(), rule, key)
	if err != nil {
		return storageFailure(err)
	}
	if d.Allowed {
		return nil
	}
	s.metrics.rateLimited.WithLabelValues(rule).Inc()
	s.event(r.Context(), r, EventRateLimited, "", app, map[string]string{"rule": rule})
	return errRateLimited.Msg("too many requests; retry in %d seconds", d.RetryAfterSeconds()).After(d.RetryAfterSeconds())
}

// limitIP applies an IP rule to the request's client address. Logins
// (rule LoginIP) are limited by outcome: see limitLogin.
func (s *Server) limitIP(r *http.Request, rule, app string) error {
	if rule == ratelimit.LoginIP {
		return s.limitLogin(r, app)
	}
	return s.limit(r, rule, ratelimit.AddrKey(s.clientAddr(r)), app)
}

// signingKey is a session's request-signing key, handed to the client at
// login for apps with sign_requests. It is derived from the session token's
// hash under the keyring's index key (which never rotates), so nothing
// more is stored, and it is useless without the session token.
func (s *Server) signingKey(tokenHash []byte) []byte {
	return s.keyring().Index("signing-key", hex.EncodeToString(tokenHash))
}

// verifySigned checks the signature of a request of a session whose app
// has sign_requests (replay protection, seed 002). Every refusal answers
// alike; the metric and the audit trail record why.
func (s *Server) verifySigned(r *http.Request, sess storage.Session, body []byte) error {
	a, ok := s.apps.byName[sess.App]
	if !ok || !a.cfg.SignRequests {
		return nil
	}
	if err := s.peekFailures(r, sess.App); err != nil {
		return err
	}
	err := s.signer.Verify(r.Context(), r, body, s.signingKey(sess.TokenHash))
	if err == nil {
		return nil
	}
	reason := "bad_signature"
	switch {
	case errors.Is(err, signing.ErrMissing):
		reason = "missing"
	case errors.Is(err, signing.ErrMalformed):
		reason = "malformed"
	case errors.Is(err, signing.ErrStale):
		reason = "stale"
	case errors.Is(err, signing.ErrReplayed):
		reason = "replayed"
	case !errors.Is(err, signing.ErrBadSignature):
		return storageFailure(err)
	}
	s.noteFailure(r)
	s.metrics.replays.WithLabelValues(reason).Inc()
	s.event(r.Context(), r, EventReplay, sess.UserID, sess.App, map[string]string{"reason": reason})
	return errBadSignature.New()
}

// authenticateSigned authenticates a request and, for apps with
// sign_requests, checks its signature over body.
func (s *Server) authenticateSigned(r *http.Request, body []byte) (storage.Session, error) {
	sess, err := s.authenticate(r)
	if err != nil {
		return sess, err
	}
	return sess, s.verifySigned(r, sess, body)
}
