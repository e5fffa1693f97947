package audit

import "bytes"

// Byte classes used by the rules.
var (
	classAlnum [256]bool // A-Z a-z 0-9
	classHex   [256]bool // 0-9 a-f A-F
	classB64   [256]bool // A-Z a-z 0-9 + /
	classIdent [256]bool // A-Z a-z 0-9 _ - . $ (names as they appear in code, configs and URLs)
	classTok   [256]bool // A-Z a-z 0-9 _ - (access tokens, openids)
	classRun   [256]bool // what a redacted run is made of
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		classAlnum[c] = alnum
		classHex[c] = b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
		classB64[c] = alnum || b == '+' || b == '/'
		classIdent[c] = alnum || b == '_' || b == '-' || b == '.' || b == '$'
		classTok[c] = alnum || b == '_' || b == '-'
		classRun[c] = alnum || b == '+' || b == '/' || b == '=' || b == '_' || b == '-' || b == '%' || b == '\\'
	}
}

// eachIndex calls fn with the offset of every occurrence of pat in data.
func eachIndex(data []byte, pat string, fn func(int)) {
	p := []byte(pat)
	for i := 0; i <= len(data)-len(p); {
		j := bytes.Index(data[i:], p)
		if j < 0 {
			return
		}
		fn(i + j)
		i += j + 1
	}
}

// lineBoundsNear returns the start and end (exclusive, without the
// newline) of the line holding p, looking at most limit bytes either way,
// so that a megabyte-long minified line costs no more than a short one.
func lineBoundsNear(data []byte, p, limit int) (int, int) {
	a := max(0, p-limit)
	s := bytes.LastIndexByte(data[a:p], '\n') + 1 + a
	if s == a && a > 0 && data[a-1] != '\n' {
		s = a
	}
	b := min(len(data), p+limit)
	e := bytes.IndexByte(data[p:b], '\n')
	if e < 0 {
		e = b
	} else {
		e += p
	}
	return s, e
}

// isCommentLine reports whether the line holding p starts (after
// indentation) with a comment marker. A line longer than 512 bytes before
// p is code (a bundle), not a comment.
func isCommentLine(data []byte, p int) bool {
	a := max(0, p-512)
	nl := bytes.LastIndexByte(data[a:p], '\n')
	if nl < 0 && a > 0 {
		return false
	}
	s := a + nl + 1
	e := min(len(data), s+128)
	line := bytes.TrimLeft(data[s:e], " \t")
	for _, m := range []string{"//", "/*", "*", "#", "<!--", "--"} {
		if bytes.HasPrefix(line, []byte(m)) {
			return true
		}
	}
	return false
}

// window clips [a, b) to data.
func window(data []byte, a, b int) (int, int) {
	return max(a, 0), min(b, len(data))
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// distinct counts the distinct bytes of s.
func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}
