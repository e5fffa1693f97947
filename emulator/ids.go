package emulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	mathrand "math/rand/v2"
)

// Lifetimes WeChat documents.
const (
	codeTTL        = 5 * 60 // seconds: OAuth, js and phone codes
	grantTTL       = 5 * 60 // seconds: a QR or authorize page's grant
	tokenTTL       = 7200   // seconds: user and app access tokens
	tokenGrace     = 5 * 60 // seconds: a superseded app token keeps working
	stableRotation = 5 * 60 // seconds before expiry stable_token rotates
	forceInterval  = 30     // seconds between stable_token force refreshes
	forceDaily     = 20     // stable_token force refreshes per day
	retainExpired  = 86400  // seconds an expired token is remembered (42001, 42002)
	sweepEvery     = 60     // seconds of virtual time between sweeps of a store
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from [A-Za-z0-9] with
// crypto/rand.
func randomAlnum(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62: reject to stay uniform
				continue
			}
			out = append(out, alnum[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// randomHex returns 2n lowercase hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCode is an OAuth, js or phone code: 32 characters of [A-Za-z0-9].
func newCode() string { return randomAlnum(32) }

// newToken is an access or refresh token: 128 URL-safe characters.
func newToken() string {
	var b [96]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newSessionKey is a session_key: base64 of 16 random bytes.
func newSessionKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// newRID is the request id WeChat appends to errmsg: three groups of 8
// lowercase hex digits. It is not a secret.
func newRID() string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], mathrand.Uint64())
	binary.BigEndian.PutUint32(b[8:], mathrand.Uint32())
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:16] + "-" + h[16:]
}

// deriveID derives a stable 28-character openid or unionid: "o" followed by
// 27 characters of base64url(HMAC-SHA256(salt, kind|scope|user_id)). kind
// separates openids (scope = appid) from unionids (scope = open account).
func deriveID(salt []byte, kind, scope, userID string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(kind + "|" + scope + "|" + userID))
	return "o" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:27]
}

// derivePhone derives a stable mainland mobile number for a user without
// one: 138 followed by 8 digits.
func derivePhone(salt []byte, userID string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte("phone|" + userID))
	n := binary.BigEndian.Uint64(m.Sum(nil)) % 100_000_000
	d := []byte("13800000000")
	for i := 10; i >= 3; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d)
}
