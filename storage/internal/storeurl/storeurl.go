// Package storeurl keeps the passwords of database and cache URLs out of
// the errors and logs that quote them.
package storeurl

import (
	"net/url"
	"slices"
	"strings"
)

// Redact returns rawURL with its passwords, in the user part or in a
// parameter whose name contains "password", replaced by xxxxx.
func Redact(rawURL string) string { return Scrub(rawURL, rawURL) }

// Scrub removes the passwords of rawURL from msg, in case a driver or
// client message quotes the URL.
func Scrub(msg, rawURL string) string {
	for _, pw := range passwords(rawURL) {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

// passwords returns the passwords a URL holds, as written and decoded,
// longest first (so a password containing another is replaced whole).
func passwords(rawURL string) []string {
	var pws []string
	add := func(raw string) {
		if raw == "" {
			return
		}
		pws = append(pws, raw)
		if plain, err := url.QueryUnescape(raw); err == nil && plain != raw && plain != "" {
			pws = append(pws, plain)
		}
	}
	_, rest, _ := strings.Cut(rawURL, "://")
	authority, query := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if _, q, ok := strings.Cut(rest, "?"); ok {
		query, _, _ = strings.Cut(q, "#")
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if _, pw, ok := strings.Cut(authority[:at], ":"); ok {
			add(pw)
		}
	}
	for _, kv := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(kv, "=")
		if strings.Contains(strings.ToLower(name), "password") {
			add(value)
		}
	}
	slices.SortFunc(pws, func(a, b string) int { return len(b) - len(a) })
	return pws
}
