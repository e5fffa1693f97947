package audit

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// excerptContext is how many bytes of context an excerpt shows on each
// side of a match.
const excerptContext = 60

// maxExcerpt bounds an excerpt, in characters.
const maxExcerpt = 200

// excerpt renders the line around h's span in text: the span itself
// redacted when it holds a secret, every value in secrets redacted, and
// any other secret-looking run of characters redacted too.
func excerpt(text []byte, h hit, secrets []string) string {
	ls, le := lineBoundsNear(text, h.start, 4*excerptContext)
	le = max(le, min(h.end, len(text)))
	if h.end > h.start {
		_, le2 := lineBoundsNear(text, h.end-1, 4*excerptContext)
		le = max(le, le2)
	}
	end := min(max(h.end, h.start), le)
	a := max(ls, h.start-excerptContext)
	b := min(le, end+excerptContext)
	// Never cut a run of secret-looking characters in half at either edge.
	cut := func(c byte) bool { return classRun[c] && c != '=' }
	for a < h.start && a > ls && cut(text[a-1]) && cut(text[a]) {
		a++
	}
	for b > end && b < le && cut(text[b-1]) && cut(text[b]) {
		b--
	}
	var sb strings.Builder
	if a > ls || ls > 0 && text[ls-1] != '\n' {
		sb.WriteString("…")
	}
	sb.WriteString(redactText(string(text[a:h.start]), secrets))
	match := string(text[h.start:end])
	switch {
	case h.redactAll:
		sb.WriteString(namesOnly(match))
	case h.value != "":
		sb.WriteString(Redact(h.value))
	default:
		sb.WriteString(redactText(match, secrets))
	}
	sb.WriteString(redactText(string(text[end:b]), secrets))
	if b < le || le < len(text) && text[le] != '\n' {
		sb.WriteString("…")
	}
	return clip(normalizeSpace(sb.String()), maxExcerpt)
}

// namesOnly shows a query string's names with every value elided.
func namesOnly(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		n, _, _ := strings.Cut(p, "=")
		parts[i] = n + "=…"
	}
	return strings.Join(parts, "&")
}

// redactText replaces every known secret, and every run that looks like
// one, in s.
func redactText(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redact(v))
		}
	}
	return redactRuns(s)
}

// redactRuns replaces runs of 20 or more characters of [A-Za-z0-9+/=_%\-]
// that mix letters and digits (keys, tokens, hex and base64 blobs) with
// their redacted form. A run that reads like a path (short segments
// between slashes, no padding) is kept.
func redactRuns(s string) string {
	var out strings.Builder
	i := 0
	for i < len(s) {
		if !classRun[s[i]] {
			out.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && classRun[s[j]] {
			// '=' joins a run only as padding (at its end), not as the
			// separator of name=value.
			if s[j] == '=' && j+1 < len(s) && classRun[s[j+1]] && s[j+1] != '=' {
				break
			}
			j++
		}
		if j == i { // a lone separator
			out.WriteByte(s[i])
			i++
			continue
		}
		run := s[i:j]
		if secretLooking(run) {
			out.WriteString(Redact(run))
		} else {
			out.WriteString(run)
		}
		i = j
	}
	return out.String()
}

func secretLooking(run string) bool {
	if len(run) < 20 {
		return false
	}
	letters, digits := 0, 0
	for i := 0; i < len(run); i++ {
		c := run[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		}
	}
	if letters == 0 || digits == 0 {
		return false
	}
	if strings.Contains(run, "/") && !strings.HasSuffix(run, "=") {
		for _, seg := range strings.Split(run, "/") {
			if len(seg) >= 20 {
				return true
			}
		}
		return false
	}
	return true
}

// clip shortens s to n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// secretsOf lists the values of hits, longest first, for redaction.
func secretsOf(hits []hit, extra []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hits {
		if h.value != "" && !seen[h.value] {
			seen[h.value] = true
			out = append(out, h.value)
		}
	}
	for _, v := range extra {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
