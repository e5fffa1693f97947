package wechat

import (
	"crypto/subtle"
	"fmt"
)

// redacted is what every secret type prints and marshals as.
const redacted = "[redacted]"

// hidden holds a secret string behind a pointer. The pointer matters: when a
// value of a secret type sits in an unexported struct field, fmt cannot call
// its Format method and falls back to reflection, which prints a pointer as an
// address rather than the string it points to.
type hidden struct{ p *string }

func hide(s string) hidden {
	if s == "" {
		return hidden{}
	}
	return hidden{p: &s}
}

func (h hidden) reveal() string {
	if h.p == nil {
		return ""
	}
	return *h.p
}

func (h hidden) equal(o hidden) bool {
	return subtle.ConstantTimeCompare([]byte(h.reveal()), []byte(o.reveal())) == 1
}

// SessionKey is a mini-program session_key: the AES key WeChat uses for a
// user's encrypted data and the HMAC key of session signatures. It must never
// leave the server. Printing or marshalling a SessionKey yields "[redacted]";
// only Reveal returns the key.
type SessionKey struct{ h hidden }

// NewSessionKey wraps the base64 session_key string WeChat returned.
func NewSessionKey(s string) SessionKey { return SessionKey{hide(s)} }

// Reveal returns the base64 key. Call it only where the key is used.
func (k SessionKey) Reveal() string { return k.h.reveal() }

// IsZero reports whether the key is empty.
func (k SessionKey) IsZero() bool { return k.h.p == nil }

// Equal compares two keys in constant time.
func (k SessionKey) Equal(o SessionKey) bool { return k.h.equal(o.h) }

func (k SessionKey) String() string                { return redacted }
func (k SessionKey) GoString() string              { return "wechat.SessionKey(" + redacted + ")" }
func (k SessionKey) Format(f fmt.State, verb rune) { formatRedacted(f, verb, k.GoString()) }
func (k SessionKey) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (k SessionKey) MarshalText() ([]byte, error)  { return []byte(redacted), nil }

// UnmarshalJSON reads the key from a WeChat response.
func (k *SessionKey) UnmarshalJSON(b []byte) error {
	s, err := unmarshalSecretString(b)
	if err != nil {
		return fmt.Errorf("wechat: session_key: %w", err)
	}
	*k = NewSessionKey(s)
	return nil
}

// Secret is an AppSecret. Printing or marshalling it yields "[redacted]".
type Secret struct{ h hidden }

// NewSecret wraps an AppSecret.
func NewSecret(s string) Secret { return Secret{hide(s)} }

// Reveal returns the AppSecret. Call it only where it is sent to WeChat.
func (s Secret) Reveal() string { return s.h.reveal() }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.h.p == nil }

// Equal compares two secrets in constant time.
func (s Secret) Equal(o Secret) bool { return s.h.equal(o.h) }

func (s Secret) String() string                { return redacted }
func (s Secret) GoString() string              { return "wechat.Secret(" + redacted + ")" }
func (s Secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.GoString()) }
func (s Secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }

// Token is a WeChat credential string: an app access_token, or a user's
// access_token or refresh_token. Printing or marshalling it yields
// "[redacted]".
type Token struct{ h hidden }

// NewToken wraps a token string.
func NewToken(s string) Token { return Token{hide(s)} }

// Reveal returns the token. Call it only where the token is used.
func (t Token) Reveal() string { return t.h.reveal() }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.h.p == nil }

// Equal compares two tokens in constant time.
func (t Token) Equal(o Token) bool { return t.h.equal(o.h) }

func (t Token) String() string                { return redacted }
func (t Token) GoString() string              { return "wechat.Token(" + redacted + ")" }
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t.GoString()) }
func (t Token) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (t Token) MarshalText() ([]byte, error)  { return []byte(redacted), nil }

// UnmarshalJSON reads the token from a WeChat response.
func (t *Token) UnmarshalJSON(b []byte) error {
	s, err := unmarshalSecretString(b)
	if err != nil {
		return fmt.Errorf("wechat: token: %w", err)
	}
	*t = NewToken(s)
	return nil
}

// formatRedacted prints the redaction marker for every verb, so %s, %v, %q,
// %x and %d all hide the value alike.
func formatRedacted(f fmt.State, verb rune, gostring string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, gostring)
	case verb == 'q':
		fmt.Fprint(f, `"`+redacted+`"`)
	default:
		fmt.Fprint(f, redacted)
	}
}
