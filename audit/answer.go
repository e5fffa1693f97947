package audit

import (
	"net/http"
	"strings"
)

// Secret is an exact value to search for: what it is, the value, and
// where it came from (for messages: "issued by jscode2session").
type Secret struct {
	Kind  Kind
	Value string
	Label string
}

// AnswerSearch searches what a backend answered (headers and body) for
// exact secret values, under any field name and in any encoding: raw,
// percent, JSON escapes, base64 at any alignment, base64url, hex, JWT
// segments, nested. The live probe (audit/probe) uses it on every answer
// of the backend under audit; it reports nothing a heuristic guessed.
type AnswerSearch struct {
	needles []needle
}

// NewAnswerSearch prepares the search for secrets; values shorter than
// MinSecretLen are left out (they would match by chance).
func NewAnswerSearch(secrets []Secret) *AnswerSearch {
	a := &AnswerSearch{}
	for _, s := range secrets {
		if len(s.Value) >= MinSecretLen {
			a.needles = append(a.needles, newNeedle(s.Kind, s.Value, s.Label))
		}
	}
	return a
}

// Len is the number of secrets searched for.
func (a *AnswerSearch) Len() int { return len(a.needles) }

// Search returns a finding for every secret in the answer to req ("POST
// http://host/path"), which names each finding's File.
func (a *AnswerSearch) Search(req string, header http.Header, body []byte) []Finding {
	if len(a.needles) == 0 {
		return nil
	}
	var parts []part
	for name, vs := range header {
		for _, v := range vs {
			parts = append(parts, part{where: "response header " + name, text: v, form: strings.EqualFold(name, "Set-Cookie")})
		}
	}
	if len(body) > 0 {
		t := strings.TrimSpace(string(body))
		parts = append(parts, part{where: "response body", text: string(body),
			json: strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")})
	}
	s := &Scanner{}
	var out []Finding
	for _, p := range parts {
		for _, f := range s.scanPart(req, p.where, 0, a.needles, p, roleResponse) {
			f.Fingerprint = fingerprint(f.Kind, f.File, "")
			out = append(out, f)
		}
	}
	return out
}

// Fingerprint identifies a finding for a baseline: a hash of its kind,
// its file (or request) and what identifies it (the leaked value, or ""
// for a finding that has none, such as a probe's attack).
func Fingerprint(k Kind, file, what string) string { return fingerprint(k, file, what) }

// RedactText redacts everything in s that looks like a key, a token or
// an encoded blob, for excerpts built outside the scanner.
func RedactText(s string) string { return redactText(s, nil) }

// Finalize fills the findings' missing fingerprints, drops duplicates
// (same file, line and kind) and sorts them by file, line and kind.
func Finalize(fs []Finding) []Finding { return finalize(fs) }
