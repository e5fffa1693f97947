package logging

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"
)

// Options configure the redaction.
type Options struct {
	// HashKey keys the short hashes that stand for openids, unionids and
	// phone numbers. nil means a random key per handler: hashes then
	// correlate the lines of one process only. Give every instance the
	// same key (derived from the keyring, say) to correlate across them.
	HashKey []byte
	// Secrets, if set, returns values to redact wherever they appear (the
	// configured AppSecrets, the internal API key). It is called once per
	// record, so it should return a slice it keeps rather than build one;
	// values shorter than 8 bytes are ignored, as redacting them would
	// mangle ordinary text.
	Secrets func() []string
}

// NewRedactingHandler returns a handler that redacts every record and then
// passes it to next: the message, every attribute's key and value,
// attributes added with WithAttrs, inside groups, LogValuer results,
// errors and other values of slog.Any. See the package documentation for
// the rules. It is safe for concurrent use if next is.
func NewRedactingHandler(next slog.Handler, opts Options) slog.Handler {
	key := opts.HashKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("logging: crypto/rand failed: " + err.Error())
		}
	} else {
		key = append([]byte(nil), key...)
	}
	rd := &redactor{secrets: opts.Secrets}
	rd.macs.New = func() any { return hmac.New(sha256.New, key) }
	return &handler{next: next, rd: rd}
}

// New returns a logger writing to w through a redacting handler: JSON
// lines if format is "json", slog's text format for anything else (the
// configuration allows "text" and "json"), from level on.
func New(w io.Writer, format string, level slog.Leveler, opts Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, ho)
	} else {
		h = slog.NewTextHandler(w, ho)
	}
	return slog.New(NewRedactingHandler(h, opts))
}

// redactor holds what every handler derived from one NewRedactingHandler
// shares.
type redactor struct {
	secrets func() []string
	macs    sync.Pool // of hash.Hash: HMAC-SHA256 under the hash key
}

// hash returns an identifier's short keyed hash: a prefix naming the kind
// and 10 hex digits (40 bits: enough to tell a day's users apart, too few
// to confirm a guess offline even with the key). Empty values stay empty.
func (rd *redactor) hash(cls class, v string) string {
	if v == "" {
		return ""
	}
	m := rd.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(v))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	rd.macs.Put(m)
	var hx [10]byte
	hex.Encode(hx[:], sum[:5])
	return hashPrefix[cls] + string(hx[:])
}

type handler struct {
	next  slog.Handler
	rd    *redactor
	group class // the class the names of WithGroup give every attribute
}

// Enabled implements slog.Handler.
func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler. A record that redaction leaves as it
// is goes on as it is, so the common case allocates nothing.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	secrets := h.rd.liveSecrets()
	msg := h.rd.scrub(r.Message, secrets)
	changed := msg != r.Message
	var stack [16]slog.Attr
	attrs := stack[:0]
	r.Attrs(func(a slog.Attr) bool {
		b := h.rd.attr(a, h.group, secrets)
		changed = changed || !same(a, b)
		attrs = append(attrs, b)
		return true
	})
	if !changed {
		return h.next.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	nr.AddAttrs(attrs...)
	return h.next.Handle(ctx, nr)
}

// same reports whether redaction left an attribute as it was. Groups and
// values of slog.Any always count as changed.
func same(a, b slog.Attr) bool {
	if a.Key != b.Key || a.Value.Kind() != b.Value.Kind() {
		return false
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return a.Value.String() == b.Value.String()
	case slog.KindGroup, slog.KindAny, slog.KindLogValuer:
		return false
	}
	return a.Value.Equal(b.Value)
}

// WithAttrs implements slog.Handler: the attributes are redacted once,
// now.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	secrets := h.rd.liveSecrets()
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = h.rd.attr(a, h.group, secrets)
	}
	return &handler{next: h.next.WithAttrs(out), rd: h.rd, group: h.group}
}

// WithGroup implements slog.Handler. A group named like a secret
// ("token") redacts everything in it; one named like an identifier hashes
// everything in it.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{
		next:  h.next.WithGroup(h.rd.scrub(name, h.rd.liveSecrets())),
		rd:    h.rd,
		group: combine(h.group, classify(name)),
	}
}

// attr redacts one attribute inside a group of class outer.
func (rd *redactor) attr(a slog.Attr, outer class, secrets []string) slog.Attr {
	cls := combine(outer, classify(a.Key))
	a.Key = rd.scrub(a.Key, secrets)
	v := a.Value.Resolve()
	if cls == secret {
		a.Value = slog.StringValue(Redacted)
		return a
	}
	switch v.Kind() {
	case slog.KindGroup:
		in := v.Group()
		out := make([]slog.Attr, len(in))
		for i, ga := range in {
			out[i] = rd.attr(ga, cls, secrets)
		}
		a.Value = slog.GroupValue(out...)
		return a
	case slog.KindString:
		if cls != plain {
			a.Value = slog.StringValue(rd.hash(cls, v.String()))
		} else {
			a.Value = slog.StringValue(rd.scrub(v.String(), secrets))
		}
		return a
	case slog.KindAny:
		a.Value = rd.any(v.Any(), cls, secrets)
		return a
	}
	if cls != plain { // a phone number logged as a number
		a.Value = slog.StringValue(rd.hash(cls, v.String()))
		return a
	}
	a.Value = v
	return a
}

// any redacts a value of slog.Any: errors, byte slices, TextMarshalers
// and Stringers by their text; everything else by its JSON encoding
// (secret-named fields redacted), kept as JSON for JSON handlers, or by
// its fmt form if it has no JSON encoding.
func (rd *redactor) any(x any, cls class, secrets []string) (v slog.Value) {
	if x == nil {
		return slog.AnyValue(nil)
	}
	defer func() {
		if p := recover(); p != nil {
			v = slog.StringValue("!PANIC: " + rd.scrub(fmt.Sprint(p), secrets))
		}
	}()
	text, isText := "", true
	switch t := x.(type) {
	case error:
		text = t.Error()
	case []byte:
		text = string(t)
	case encoding.TextMarshaler:
		b, err := t.MarshalText()
		if err != nil {
			return slog.StringValue("!ERROR: " + rd.scrub(err.Error(), secrets))
		}
		text = string(b)
	case fmt.Stringer:
		text = t.String()
	default:
		isText = false
	}
	if !isText {
		if j, err := json.Marshal(x); err == nil {
			if cls != plain {
				return slog.StringValue(rd.hash(cls, string(j)))
			}
			r := rd.scrub(string(j), secrets)
			if !json.Valid([]byte(r)) { // a secret value spanned JSON syntax
				return slog.StringValue(r)
			}
			return slog.AnyValue(rawJSON(r))
		}
		text = fmt.Sprintf("%+v", x)
	}
	if cls != plain {
		return slog.StringValue(rd.hash(cls, text))
	}
	return slog.StringValue(rd.scrub(text, secrets))
}

// rawJSON is redacted JSON: JSON handlers embed it as is, text handlers
// print it.
type rawJSON string

// MarshalJSON implements json.Marshaler.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// String implements fmt.Stringer.
func (r rawJSON) String() string { return string(r) }
