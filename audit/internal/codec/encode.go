package codec

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
)

// MinVariant is the shortest form Variants reports: shorter fragments
// (the aligned base64 of a short value) would match by chance.
const MinVariant = 8

// Variant is one form of an exact value.
type Variant struct {
	Text string
	How  string // "raw", "url", "json", "base64", "base64url", "hex"
}

// Variants lists the forms value takes in raw bytes: itself; percent-
// encoded (upper- and lower-case hex, query and path styles); JSON-escaped
// (`\/`, and every non-alphanumeric as \u00XX); base64 and base64url at
// each of the three alignments it can have inside a longer encoded string;
// and hex in either case. Forms shorter than MinVariant are left out, and
// so is a form equal to an earlier one.
func Variants(value string) []Variant {
	var out []Variant
	seen := map[string]bool{}
	add := func(t, how string) {
		if len(t) < MinVariant || seen[t] {
			return
		}
		seen[t] = true
		out = append(out, Variant{Text: t, How: how})
	}
	add(value, "raw")
	for _, e := range []string{url.QueryEscape(value), url.PathEscape(value), escapeAll(value)} {
		add(e, "url")
		add(lowerEscapes(e), "url")
	}
	add(strings.ReplaceAll(value, "/", `\/`), "json")
	add(jsonEscapeAll(value), "json")
	for _, a := range []struct {
		enc *base64.Encoding
		how string
	}{{base64.StdEncoding, "base64"}, {base64.URLEncoding, "base64url"}} {
		for k := range 3 {
			add(alignedBase64(a.enc, value, k), a.how)
		}
	}
	add(hex.EncodeToString([]byte(value)), "hex")
	add(strings.ToUpper(hex.EncodeToString([]byte(value))), "hex")
	return out
}

// alignedBase64 is the part of base64(prefix + value + suffix) that
// depends on value alone, when value starts k bytes (mod 3) into the
// encoded data.
func alignedBase64(enc *base64.Encoding, value string, k int) string {
	buf := make([]byte, k+len(value))
	copy(buf[k:], value)
	n := len(buf)
	s := enc.WithPadding(base64.NoPadding).EncodeToString(buf)
	end := (n / 3) * 4
	start := []int{0, 2, 3}[k]
	if k == 0 && n%3 == 0 {
		return enc.EncodeToString([]byte(value)) // whole, padding included
	}
	if end <= start {
		return ""
	}
	return s[start:end]
}

// escapeAll percent-encodes every byte that is not a letter or digit.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// lowerEscapes turns %2F into %2f.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}

// jsonEscapeAll writes every non-alphanumeric ASCII byte as \u00XX.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 {
			b.WriteByte(c)
			continue
		}
		b.WriteString(`\u00`)
		b.WriteString(hex.EncodeToString([]byte{c}))
	}
	return b.String()
}
