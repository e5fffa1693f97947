package probe

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/audit/internal/jsonv"
	"github.com/wxgate/wxgate/emulator"
)

// Witness serves an emulator and remembers every secret value its WeChat
// API hands out or is handed: the session_key of every jscode2session
// answer, every access and refresh token, every AppSecret a caller sends.
// With the apps' secrets, that is everything a backend under audit must
// never return. Point the backend's WeChat API base at a Witness (it is an
// http.Handler) and pass it to Run.
type Witness struct {
	e *emulator.Emulator

	mu     sync.Mutex
	values map[string]witnessed
}

type witnessed struct {
	kind  audit.Kind
	label string
}

// witnessPaths are the emulator paths whose answers or requests carry
// secrets.
var witnessPaths = map[string]string{
	"/sns/jscode2session":       "jscode2session",
	"/sns/oauth2/access_token":  "sns/oauth2/access_token",
	"/sns/oauth2/refresh_token": "sns/oauth2/refresh_token",
	"/cgi-bin/token":            "cgi-bin/token",
	"/cgi-bin/stable_token":     "cgi-bin/stable_token",
}

// NewWitness wraps e.
func NewWitness(e *emulator.Emulator) *Witness {
	return &Witness{e: e, values: map[string]witnessed{}}
}

// Emulator returns the wrapped emulator.
func (w *Witness) Emulator() *emulator.Emulator { return w.e }

// maxWitnessBody bounds what the witness reads of one body.
const maxWitnessBody = 1 << 20

// ServeHTTP serves the emulator, noting the secrets that pass.
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	label, ok := witnessPaths[r.URL.Path]
	if !ok {
		w.e.ServeHTTP(rw, r)
		return
	}
	w.note(audit.KindAppSecret, r.URL.Query().Get("secret"), "sent to "+label)
	if r.Body != nil && r.Method == http.MethodPost {
		b, _ := io.ReadAll(io.LimitReader(r.Body, maxWitnessBody))
		r.Body = io.NopCloser(bytes.NewReader(b))
		if v, err := jsonv.Parse(b); err == nil {
			if s, ok := v.Get("secret"); ok {
				w.note(audit.KindAppSecret, s.Text(), "sent to "+label)
			}
		} else if q, err := url.ParseQuery(string(b)); err == nil {
			w.note(audit.KindAppSecret, q.Get("secret"), "sent to "+label)
		}
	}
	tee := &teeWriter{ResponseWriter: rw}
	w.e.ServeHTTP(tee, r)
	v, err := jsonv.Parse(tee.buf.Bytes())
	if err != nil {
		return
	}
	if s, ok := v.Get("session_key"); ok {
		w.note(audit.KindSessionKey, s.Text(), "issued by "+label)
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		if s, ok := v.Get(k); ok {
			w.note(audit.KindAccessToken, s.Text(), "issued by "+label)
		}
	}
}

func (w *Witness) note(k audit.Kind, v, label string) {
	if len(v) < audit.MinSecretLen {
		return
	}
	w.mu.Lock()
	if _, ok := w.values[v]; !ok {
		w.values[v] = witnessed{k, label}
	}
	w.mu.Unlock()
}

// Seen counts the secrets the witness knows, by kind: what an audit
// searches the target's answers for.
func (w *Witness) Seen() map[audit.Kind]int {
	out := map[audit.Kind]int{}
	for _, s := range w.secrets() {
		out[s.Kind]++
	}
	return out
}

// secrets lists every value the witness saw and every app's secret.
func (w *Witness) secrets() []audit.Secret {
	w.mu.Lock()
	vals := make([]string, 0, len(w.values))
	for v := range w.values {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	out := make([]audit.Secret, 0, len(vals))
	seen := map[string]bool{}
	for _, v := range vals {
		wv := w.values[v]
		seen[v] = true
		out = append(out, audit.Secret{Kind: wv.kind, Value: v, Label: wv.label})
	}
	w.mu.Unlock()
	for _, a := range w.e.Apps() {
		if a.Secret != "" && !seen[a.Secret] && len(a.Secret) >= audit.MinSecretLen {
			seen[a.Secret] = true
			out = append(out, audit.Secret{Kind: audit.KindAppSecret, Value: a.Secret, Label: "the AppSecret of " + a.AppID})
		}
	}
	return out
}

// teeWriter keeps a copy of what it writes (up to maxWitnessBody).
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.buf.Len() < maxWitnessBody {
		t.buf.Write(p[:min(len(p), maxWitnessBody-t.buf.Len())])
	}
	return t.ResponseWriter.Write(p)
}

func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
