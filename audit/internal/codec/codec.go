// Package codec holds the encodings a leaked secret hides in: percent
// (URL) encoding, base64 (standard and URL alphabets, padded or not), JSON
// string escapes and hex. Decoders undo one layer; Layers peels them
// recursively; Variants lists the forms one exact value takes, for
// searching raw bytes. None of them panics on any input.
package codec

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// URL undoes percent-encoding ('+' reads as a space, as in query strings).
// ok is false when s holds no valid escape, or a malformed one.
func URL(s string) (string, bool) {
	if !hasPercentEscape(s) {
		return "", false
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		// A stray '%' elsewhere: decode what can be decoded.
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
				i += 2
				continue
			}
			b.WriteByte(s[i])
		}
		return b.String(), true
	}
	return d, true
}

func hasPercentEscape(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// Base64 decodes standard or URL-alphabet base64, padded or not, ignoring
// line breaks. ok is false for anything else, and for fewer than 4
// characters.
func Base64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	}
	if len(s) < 4 {
		return nil, false
	}
	url := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '+' || c == '/':
		case c == '-' || c == '_':
			url = true
		case c == '=':
			if i < len(s)-2 {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	enc := base64.StdEncoding
	if url {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") {
		enc = enc.WithPadding(base64.NoPadding)
	}
	d, err := enc.Strict().DecodeString(s)
	if err != nil {
		// Lenient about unused trailing bits, which some encoders leave set.
		if d, err = enc.DecodeString(s); err != nil {
			return nil, false
		}
	}
	return d, true
}

// JSONEscape undoes the escapes of a JSON string body (\" \\ \/ \b \f \n \r
// \t \uXXXX, with surrogate pairs). ok is false when s has no backslash or
// an invalid escape.
func JSONEscape(s string) (string, bool) {
	if strings.IndexByte(s, '\\') < 0 {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if lo, ok := hex4(s, i+3); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
							i += 6
						}
					}
				}
				r = r2
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), true
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// Hex decodes an even number of hex digits (either case). ok is false for
// anything else, and for an empty string.
func Hex(s string) ([]byte, bool) {
	if len(s) == 0 || len(s)%2 != 0 {
		return nil, false
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return d, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Printable reports whether b is UTF-8 text without control characters
// other than tab, CR and LF: what a decoded layer must be to be worth
// reading as text.
func Printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// MaxLayers bounds how many encodings Layers peels off one string.
const MaxLayers = 4

// Layer is a decoded form of a string and how it was reached
// ("base64", "url+base64", ...).
type Layer struct {
	Text string
	How  string
}

// Layers calls fn with every printable text reachable from s by undoing
// percent-encoding, JSON escapes, base64 (whole strings, and each segment
// of a JWT-like dotted string) and hex, up to MaxLayers deep. s itself is
// not reported. Blobs shorter than minBlob characters are not base64- or
// hex-decoded (short words decode to noise).
func Layers(s string, minBlob int, fn func(Layer)) {
	layers(s, "", minBlob, 0, fn)
}

func layers(s, how string, minBlob, depth int, fn func(Layer)) {
	if depth >= MaxLayers || s == "" {
		return
	}
	emit := func(t, kind string) {
		h := kind
		if how != "" {
			h = how + "+" + kind
		}
		fn(Layer{Text: t, How: h})
		layers(t, h, minBlob, depth+1, fn)
	}
	if d, ok := URL(s); ok && d != s {
		emit(d, "url")
	}
	if d, ok := JSONEscape(s); ok && d != s {
		emit(d, "json")
	}
	t := strings.TrimSpace(s)
	if len(t) < minBlob {
		return
	}
	if d, ok := Hex(t); ok && Printable(d) {
		emit(string(d), "hex")
		return
	}
	if d, ok := Base64(t); ok && Printable(d) {
		emit(string(d), "base64")
		return
	}
	if strings.Count(t, ".") >= 1 && strings.Count(t, ".") <= 4 {
		// A JWT or similar: header.payload.signature in base64url.
		for _, seg := range strings.Split(t, ".") {
			if len(seg) < minBlob {
				continue
			}
			if d, ok := Base64(seg); ok && Printable(d) {
				emit(string(d), "base64")
			}
		}
	}
}
