package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// FuzzRedact puts a known secret into arbitrary text and logs it every
// way: the handler never panics and the secret never appears in the
// output; the patterns alone never panic either.
func FuzzRedact(f *testing.F) {
	f.Add("secret=", "0123456789abcdef", "&js_code=x")
	f.Add(`{"session_key":"`, "tiihtNczf5v6AKRyjwEUhQ", `"}`)
	f.Add("Bearer ", "abcdefgh12345678", "")
	f.Add("u=x%253Fcode%253D", "ABCDEFGH", "%2526")
	f.Add("", "redacted", "")
	f.Add("[re", "dacted]zzzzz", "")
	f.Fuzz(func(t *testing.T, prefix, secret, suffix string) {
		// Realistic secrets: letters, digits, "-" and "_", 8 or more.
		secret = strings.Map(func(r rune) rune {
			if r < 128 && (isAlnum(byte(r)) || r == '-' || r == '_') {
				return r
			}
			return -1
		}, secret)
		if len(secret) < minSecretLen {
			return
		}
		text := prefix + secret + suffix
		for _, format := range []string{"json", "text"} {
			var buf bytes.Buffer
			opts := Options{HashKey: testHashKey, Secrets: func() []string { return []string{secret} }}
			var h slog.Handler = slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime})
			if format == "text" {
				h = slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime})
			}
			log := slog.New(NewRedactingHandler(h, opts))
			// A secret the log format itself spells (a key, the marker)
			// cannot be tested for.
			log.Info("", "k", "", "code", "x")
			if strings.Contains(buf.String(), secret) {
				return
			}
			buf.Reset()
			log.Info(text, "k", text, "err", errors.New(text), slog.Group("g", "v", text), "b", []byte(text))
			log.With("w", text).WithGroup(prefix).Info("m", suffix, text)
			if strings.Contains(buf.String(), secret) {
				t.Fatalf("%s output shows the secret %q:\n%s", format, secret, buf.String())
			}
		}
		// Without the exact list, scanning arbitrary text must not panic,
		// and a marker once written stays.
		rd := NewRedactingHandler(slog.DiscardHandler, Options{HashKey: testHashKey}).(*handler).rd
		once := rd.scrub(text, nil)
		if strings.Count(rd.scrub(once, nil), Redacted) < strings.Count(once, Redacted) {
			t.Fatalf("scrubbing %q again removed a marker", once)
		}
	})
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
