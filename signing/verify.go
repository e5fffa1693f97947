package signing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Verifier checks signed requests. Its fields are read at every call; set
// them before use. It is safe for concurrent use.
type Verifier struct {
	// Nonces remembers used nonces: the gateway's KV, shared by every
	// instance (with Redis, a nonce is single-use cluster-wide). Required.
	Nonces storage.KV
	// Window is how far a timestamp may be from Now, either way; zero or
	// negative means DefaultWindow. Nonces are kept for twice as long.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// nonceKeyPrefix namespaces nonce records in the KV.
const nonceKeyPrefix = "signing:nonce:"

// Verify checks that r, with body (the exact bytes read from r.Body), was
// signed with key within the window and that its nonce is new, in that
// order, and records the nonce. It returns nil, an error wrapping one of
// ErrMissing, ErrMalformed, ErrStale, ErrBadSignature and ErrReplayed, or
// the KV's error (wrapping storage.ErrUnavailable when it is down: the
// request can be neither accepted nor refused, so callers answer 503).
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body, key []byte) error {
	if len(key) != KeySize {
		return errKeySize
	}
	if v.Nonces == nil {
		return errors.New("signing: Verifier.Nonces is required")
	}
	ts, err := header(r, HeaderTimestamp)
	if err != nil {
		return err
	}
	nonce, err := header(r, HeaderNonce)
	if err != nil {
		return err
	}
	sigHex, err := header(r, HeaderSignature)
	if err != nil {
		return err
	}
	sec, ok := parseTimestamp(ts)
	if !ok {
		return fmt.Errorf("%w: %s is not decimal Unix seconds", ErrMalformed, HeaderTimestamp)
	}
	if !validNonce(nonce) {
		return fmt.Errorf("%w: %s must be %d to %d characters of A-Z a-z 0-9 - _", ErrMalformed, HeaderNonce, MinNonceLen, MaxNonceLen)
	}
	var sig [sha256.Size]byte
	if len(sigHex) != hex.EncodedLen(len(sig)) {
		return fmt.Errorf("%w: %s must be %d hex digits", ErrMalformed, HeaderSignature, hex.EncodedLen(len(sig)))
	}
	if _, err := hex.Decode(sig[:], []byte(sigHex)); err != nil {
		return fmt.Errorf("%w: %s must be %d hex digits", ErrMalformed, HeaderSignature, hex.EncodedLen(len(sig)))
	}

	window := v.window()
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if skew := now().Sub(time.Unix(sec, 0)); skew > window || skew < -window {
		return fmt.Errorf("%w: the timestamp is %v from the gateway's clock", ErrStale, skew.Round(time.Second))
	}

	c, err := Canonical(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, ts, nonce, body)
	if err != nil {
		return err
	}
	if !hmac.Equal(mac(key, c), sig[:]) {
		return ErrBadSignature
	}

	// Only a correctly signed request may spend a nonce.
	fresh, err := v.Nonces.SetNX(ctx, nonceKey(key, nonce), []byte(ts), 2*window)
	if err != nil {
		return fmt.Errorf("signing: recording the nonce: %w", err)
	}
	if !fresh {
		return ErrReplayed
	}
	return nil
}

func (v *Verifier) window() time.Duration {
	if v.Window <= 0 {
		return DefaultWindow
	}
	return v.Window
}

// header returns the one value of a signing header.
func header(r *http.Request, name string) (string, error) {
	vs := r.Header[name] // the constants are in canonical form
	switch {
	case len(vs) == 0 || len(vs) == 1 && vs[0] == "":
		return "", fmt.Errorf("%w: no %s header", ErrMissing, name)
	case len(vs) > 1:
		return "", fmt.Errorf("%w: %s appears more than once", ErrMalformed, name)
	}
	return vs[0], nil
}

// nonceKey is the KV key recording a nonce of a key: a hash of both, so
// that two sessions' nonces never collide and the KV learns neither.
func nonceKey(key []byte, nonce string) string {
	h := sha256.New()
	h.Write([]byte("wxgate signing nonce\x00"))
	h.Write(key) // always KeySize bytes: the concatenation is unambiguous
	h.Write([]byte(nonce))
	var sum [sha256.Size]byte
	return nonceKeyPrefix + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0])[:16])
}
