package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The headers a signed request carries.
const (
	HeaderTimestamp = "X-Wxgate-Timestamp"
	HeaderNonce     = "X-Wxgate-Nonce"
	HeaderSignature = "X-Wxgate-Signature"
)

const (
	// KeySize is the length of a signing key in bytes.
	KeySize = 32
	// DefaultWindow is how far a request's timestamp may be from the
	// verifier's clock when Verifier.Window is not set.
	DefaultWindow = 5 * time.Minute
	// MinNonceLen and MaxNonceLen bound the length of a nonce.
	MinNonceLen = 16
	MaxNonceLen = 64
)

// Errors of Verify (wrapped with detail; test with errors.Is). They are
// distinct so that metrics and logs can tell them apart; the gateway
// answers all of them alike.
var (
	// ErrMissing: a signing header is absent.
	ErrMissing = errors.New("signing: request is not signed")
	// ErrMalformed: a signing header, the path or the query is not in the
	// documented form.
	ErrMalformed = errors.New("signing: malformed signed request")
	// ErrStale: the timestamp is outside the window.
	ErrStale = errors.New("signing: timestamp outside the allowed window")
	// ErrBadSignature: the signature does not match the request.
	ErrBadSignature = errors.New("signing: signature does not match")
	// ErrReplayed: the key already signed a request with this nonce.
	ErrReplayed = errors.New("signing: nonce already used")
)

var errKeySize = fmt.Errorf("signing: a signing key is %d bytes", KeySize)

// NewKey returns a fresh signing key from crypto/rand.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("signing: crypto/rand failed: " + err.Error())
	}
	return k
}

// KeyString encodes a key for the client: unpadded base64url (43
// characters). The HMAC key is the decoded bytes, not this string.
func KeyString(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// ParseKey decodes what KeyString returns.
func ParseKey(s string) ([]byte, error) {
	k, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("signing: malformed key: want %d bytes in unpadded base64url", KeySize)
	}
	return k, nil
}

// NewNonce returns a random nonce: 16 bytes in unpadded base64url.
func NewNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("signing: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign adds the signing headers to req for body (the exact bytes it sends,
// nil for none), as of now. An empty nonce means a fresh NewNonce. It
// signs req.URL.EscapedPath() and req.URL.RawQuery; an empty Method is
// signed as "GET", as net/http sends it.
func Sign(req *http.Request, body, key []byte, now time.Time, nonce string) error {
	if len(key) != KeySize {
		return errKeySize
	}
	if nonce == "" {
		nonce = NewNonce()
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	c, err := Canonical(method, req.URL.EscapedPath(), req.URL.RawQuery, ts, nonce, body)
	if err != nil {
		return err
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, hex.EncodeToString(mac(key, c)))
	return nil
}

// mac returns HMAC-SHA256(key, canonical).
func mac(key []byte, canonical string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(canonical))
	return m.Sum(nil)
}

// Canonical returns the canonical string of a request (see the package
// documentation), or an error wrapping ErrMalformed. escapedPath is the
// path as sent (url.URL.EscapedPath), rawQuery the query without "?".
// Exposed so that client authors can compare their canonical strings
// with the reference.
func Canonical(method, escapedPath, rawQuery, timestamp, nonce string, body []byte) (string, error) {
	if !validMethod(method) {
		return "", fmt.Errorf("%w: method is not an HTTP token", ErrMalformed)
	}
	if _, ok := parseTimestamp(timestamp); !ok {
		return "", fmt.Errorf("%w: %s is not decimal Unix seconds", ErrMalformed, HeaderTimestamp)
	}
	if !validNonce(nonce) {
		return "", fmt.Errorf("%w: %s must be %d to %d characters of A-Z a-z 0-9 - _", ErrMalformed, HeaderNonce, MinNonceLen, MaxNonceLen)
	}
	sum := sha256.Sum256(body)
	var b strings.Builder
	b.Grow(len(method) + len(escapedPath) + len(rawQuery) + len(timestamp) + len(nonce) + 2*sha256.Size + 8)
	b.WriteString(method)
	b.WriteByte('\n')
	if escapedPath == "" {
		b.WriteByte('/')
	} else if err := appendNormal(&b, escapedPath, true, false); err != nil {
		return "", fmt.Errorf("%w: path: %v", ErrMalformed, err)
	}
	b.WriteByte('\n')
	if err := appendQuery(&b, rawQuery); err != nil {
		return "", fmt.Errorf("%w: query: %v", ErrMalformed, err)
	}
	b.WriteByte('\n')
	b.WriteString(timestamp)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	b.Write(hx[:])
	return b.String(), nil
}

// validMethod reports whether m is a non-empty RFC 9110 token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// parseTimestamp parses decimal Unix seconds without sign or leading
// zeros (at most 12 digits, which reaches past the year 30000).
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 12 || s[0] == '0' && len(s) > 1 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func validNonce(s string) bool {
	if len(s) < MinNonceLen || len(s) > MaxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func unreserved(c byte) bool { return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperHex = "0123456789ABCDEF"

// appendNormal writes s in normal form: percent-escapes decoded byte by
// byte, then every byte but the unreserved ones escaped with upper-case
// hex. With keepSlash a literal "/" is written as is (a path's segment
// separator); with plusSpace a literal "+" means a space.
func appendNormal(b *strings.Builder, s string, keepSlash, plusSpace bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return errors.New(`"%" not followed by two hex digits`)
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return errors.New(`"%" not followed by two hex digits`)
			}
			c = hi<<4 | lo
			i += 2
		case c == '/' && keepSlash:
			b.WriteByte('/')
			continue
		case c == '+' && plusSpace:
			c = ' '
		}
		if unreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return nil
}

// appendQuery writes the normal form of a raw query.
func appendQuery(b *strings.Builder, raw string) error {
	if raw == "" {
		return nil
	}
	type pair struct{ name, value string }
	var pairs []pair
	var tmp strings.Builder
	norm := func(s string) (string, error) {
		if plain(s) {
			return s, nil
		}
		tmp.Reset()
		if err := appendNormal(&tmp, s, false, true); err != nil {
			return "", err
		}
		return tmp.String(), nil
	}
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		name, value, _ := strings.Cut(piece, "=")
		n, err := norm(name)
		if err != nil {
			return err
		}
		v, err := norm(value)
		if err != nil {
			return err
		}
		pairs = append(pairs, pair{n, v})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return nil
}

// plain reports whether s is already in normal form (unreserved bytes only).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return false
		}
	}
	return true
}
