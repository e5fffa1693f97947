package logging

import (
	"net/url"
	"strings"
)

// Redacted replaces every secret in the output.
const Redacted = "[redacted]"

// minSecretLen is the shortest exact secret value redacted: shorter ones
// would mangle ordinary text (and AppSecrets have 32 characters).
const minSecretLen = 8

// liveSecrets returns what scrub looks for of Options.Secrets: the values
// long enough and not part of the redaction marker (which could never hide
// them), with their URL-encoded forms. It allocates only when some value
// is left out or has an encoded form.
func (rd *redactor) liveSecrets() []string {
	if rd.secrets == nil {
		return nil
	}
	all := rd.secrets()
	for i, s := range all {
		if usable(s) && !needsEscape(s) {
			continue
		}
		out := append(make([]string, 0, len(all)+1), all[:i]...)
		for _, s := range all[i:] {
			if !usable(s) {
				continue
			}
			out = append(out, s)
			if needsEscape(s) {
				out = append(out, url.QueryEscape(s))
			}
		}
		return out
	}
	return all
}

func usable(secret string) bool {
	return len(secret) >= minSecretLen && !strings.Contains(Redacted, secret)
}

// scrub returns s with every secret it can recognise replaced: values of
// secret-named parameters in URLs and key=value text (also
// percent-encoded), of secret-named fields in JSON fragments (also
// backslash-escaped), Bearer tokens, wxgate session tokens, and the exact
// values of secrets. Identifiers in the same places become short hashes.
// Strings without '=', quotes, '%' or a token prefix skip the scan.
func (rd *redactor) scrub(s string, secrets []string) string {
	out := s
	if needsScan(s) {
		out = rd.scan(s)
	}
	if len(secrets) == 0 {
		return out
	}
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			out = strings.ReplaceAll(out, sec, Redacted)
		}
	}
	// Replacing can only make a secret appear again if the secret overlaps
	// the marker and its surroundings; then nothing of the string is kept.
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			return Redacted
		}
	}
	return out
}

// needsEscape reports whether url.QueryEscape changes s.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			return true
		}
	}
	return false
}

// needsScan reports whether s has anything the pattern scan looks for.
func needsScan(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=', '"', '\'', '%':
			return true
		case 'w':
			if strings.HasPrefix(s[i:], tokenPrefix) {
				return true
			}
		case 'b', 'B':
			if hasPrefixFold(s[i:], "bearer") {
				return true
			}
		}
	}
	return false
}

// tokenPrefix starts every wxgate session token.
const tokenPrefix = "wxgs_"

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isKeyChar reports whether c may be part of a parameter or field name.
func isKeyChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// isTokenChar reports whether c may be part of a Bearer token (RFC 6750
// b64token) or a base64url value.
func isTokenChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

// scanner rebuilds a string with some spans replaced, allocating only
// when the first replacement is made.
type scanner struct {
	s    string
	b    []byte
	last int // s[last:] is not copied yet
}

func (sc *scanner) replace(from, to int, repl string) {
	if sc.b == nil {
		sc.b = make([]byte, 0, len(sc.s)+len(Redacted))
	}
	sc.b = append(sc.b, sc.s[sc.last:from]...)
	sc.b = append(sc.b, repl...)
	sc.last = to
}

func (sc *scanner) result() string {
	if sc.b == nil {
		return sc.s
	}
	return string(append(sc.b, sc.s[sc.last:]...))
}

// scan applies the pattern rules to s.
func (rd *redactor) scan(s string) string {
	sc := scanner{s: s}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '=' || c == '%':
			if next, ok := rd.param(&sc, i); ok {
				i = next
				continue
			}
		case c == ':':
			if next, ok := rd.field(&sc, i); ok {
				i = next
				continue
			}
		case c == 'b' || c == 'B':
			if next, ok := bearer(&sc, i); ok {
				i = next
				continue
			}
		case c == 'w':
			if next, ok := sessionToken(&sc, i); ok {
				i = next
				continue
			}
		}
		i++
	}
	return sc.result()
}

// equalsAt reports whether s has an equals sign at i, literal or
// percent-encoded once or more ("%3D", "%253D", ...), its length, and how
// many times it was encoded.
func equalsAt(s string, i int) (n, level int) {
	if s[i] == '=' {
		return 1, 0
	}
	return encodedAt(s, i, "3D")
}

// encodedAt matches "%" ("25")* hex at i, case-insensitively: a
// character percent-encoded level times.
func encodedAt(s string, i int, hex string) (n, level int) {
	if s[i] != '%' {
		return 0, 0
	}
	for j, level := i+1, 1; j+2 <= len(s); j, level = j+2, level+1 {
		pair := s[j : j+2]
		if strings.EqualFold(pair, hex) {
			return j + 2 - i, level
		}
		if pair != "25" {
			break
		}
	}
	return 0, 0
}

// param handles a name=value pair whose '=' (maybe encoded) is at i.
func (rd *redactor) param(sc *scanner, i int) (int, bool) {
	s := sc.s
	n, level := equalsAt(s, i)
	if n == 0 {
		return 0, false
	}
	// The name: key characters before the '=', after any percent-escape
	// that separates it from what precedes ("%3Fcode%3D", "%2526code%253D").
	start := i
	for start > 0 && i-start < 128 && isKeyChar(s[start-1]) {
		start--
	}
	name := s[start:i]
	if start > 0 && s[start-1] == '%' {
		for len(name) >= 2 && isHex(name[0]) && isHex(name[1]) {
			twentyFive := name[:2] == "25"
			name = name[2:]
			if !twentyFive {
				break
			}
		}
	}
	cls := classify(name)
	vs := i + n
	if cls == plain {
		return vs, true
	}
	ve, quoted := paramValueEnd(s, vs, level)
	if quoted {
		// name="value": keep the quotes.
		if ve-vs >= 2 {
			rd.replaceValue(sc, vs+1, ve-1, cls)
		}
		return ve, true
	}
	if ve == vs {
		return vs, true
	}
	rd.replaceValue(sc, vs, ve, cls)
	return ve, true
}

// paramValueEnd finds the end of the value starting at vs: a quoted value
// ends after its closing quote (or at the end of s); a bare one at a
// delimiter, or at an '&' encoded as many times as the '='.
func paramValueEnd(s string, vs, level int) (end int, quoted bool) {
	if vs < len(s) && s[vs] == '"' {
		if j := closingQuote(s, vs+1, '"', 0); j >= 0 {
			return j + 1, true
		}
		return len(s), false
	}
	j := vs
	for j < len(s) {
		c := s[j]
		if c == '&' || c <= ' ' || strings.IndexByte("\"'<>,;)]}\\#", c) >= 0 {
			break
		}
		if c == '%' && level > 0 {
			if n, l := encodedAt(s, j, "26"); n > 0 && l <= level {
				break
			}
		}
		j++
	}
	return j, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// replaceValue replaces s[from:to] by the marker, or by a short hash for
// identifiers, unless the marker is there already.
func (rd *redactor) replaceValue(sc *scanner, from, to int, cls class) {
	v := sc.s[from:to]
	if strings.HasPrefix(sc.s[from:], Redacted) {
		return
	}
	if cls == secret {
		sc.replace(from, to, Redacted)
		return
	}
	sc.replace(from, to, rd.hash(cls, v))
}

// closingQuote returns the index of the quote q that closes a string
// starting at from, quoted with esc backslashes before each quote (0 in
// plain JSON, 1 in JSON inside a JSON string, ...), or -1.
func closingQuote(s string, from int, q byte, esc int) int {
	for j := from; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		bs := 0
		for k := j - 1; k >= from && s[k] == '\\'; k-- {
			bs++
		}
		if esc == 0 && bs%2 == 0 || esc > 0 && bs == esc {
			return j
		}
	}
	return -1
}

// field handles a JSON-like "name": value whose ':' is at i; the quotes
// may be single or double, and backslash-escaped when the JSON is inside
// a quoted string.
func (rd *redactor) field(sc *scanner, i int) (int, bool) {
	s := sc.s
	j := i - 1
	for j >= 0 && (s[j] == ' ' || s[j] == '\t') {
		j--
	}
	if j < 1 || s[j] != '"' && s[j] != '\'' {
		return 0, false
	}
	q := s[j]
	esc := 0
	for k := j - 1; k >= 0 && s[k] == '\\'; k-- {
		esc++
	}
	end := j - esc // the name is s[start:end]
	start := end
	for start > 0 && end-start < 128 && isKeyChar(s[start-1]) {
		start--
	}
	if start == end || start == 0 || s[start-1] != q {
		return 0, false
	}
	cls := classify(s[start:end])
	if cls == plain {
		return 0, false
	}
	k := i + 1
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	open := strings.Repeat(`\`, esc) + string(q)
	if strings.HasPrefix(s[k:], open) {
		vs := k + len(open)
		c := closingQuote(s, vs, q, esc)
		if c < 0 { // cut off: redact to the end
			rd.replaceValue(sc, vs, len(s), cls)
			return len(s), true
		}
		ve := c - esc
		if ve > vs {
			rd.replaceValue(sc, vs, ve, cls)
		}
		return c + 1, true
	}
	if k < len(s) && (s[k] == '{' || s[k] == '[') {
		return 0, false // an object or array: its own fields are scanned
	}
	ve := k
	for ve < len(s) && strings.IndexByte(",}] \t\r\n\\\"'", s[ve]) < 0 {
		ve++
	}
	if ve == k {
		return 0, false
	}
	// A bare value (number, literal) becomes a string, so the JSON stays
	// valid.
	v := s[k:ve]
	repl := Redacted
	if cls != secret {
		repl = rd.hash(cls, v)
	}
	sc.replace(k, ve, open+repl+open)
	return ve, true
}

// bearer redacts the token of "Bearer <token>" at i.
func bearer(sc *scanner, i int) (int, bool) {
	s := sc.s
	if !hasPrefixFold(s[i:], "bearer") || i > 0 && isAlnum(s[i-1]) {
		return 0, false
	}
	j := i + len("bearer")
	sp := j
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j == sp {
		return 0, false
	}
	ts := j
	for j < len(s) && isTokenChar(s[j]) {
		j++
	}
	if j-ts < 8 {
		return 0, false
	}
	sc.replace(ts, j, Redacted)
	return j, true
}

// sessionToken redacts a wxgate session token ("wxgs_" and base64url) at
// i, keeping the prefix so the log shows what it was.
func sessionToken(sc *scanner, i int) (int, bool) {
	s := sc.s
	if !strings.HasPrefix(s[i:], tokenPrefix) {
		return 0, false
	}
	j := i + len(tokenPrefix)
	ts := j
	for j < len(s) && (isAlnum(s[j]) || s[j] == '-' || s[j] == '_') {
		j++
	}
	if j-ts < 8 {
		return 0, false
	}
	sc.replace(ts, j, Redacted)
	return j, true
}
