package audit

import (
	"bytes"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/wxgate/wxgate/audit/har"
	"github.com/wxgate/wxgate/audit/internal/codec"
	"github.com/wxgate/wxgate/audit/internal/jsonv"
)

// A HAR capture is read as what a client saw: every secret in it, in any
// request or response, has reached the client (or whoever holds the
// capture). Each entry's URL, headers, cookies and bodies are scanned as
// they are, then with every layer of encoding peeled off (percent, JSON
// escapes, base64 bodies and blobs, JWT segments, hex); values that a
// jscode2session or token answer in the capture returned are searched
// for everywhere else, under any name and in any encoding.

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets of '\n'

func newLineIndex(data []byte) lineIndex {
	var idx lineIndex
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return idx
		}
		idx = append(idx, i+j)
		i += j + 1
	}
}

func (l lineIndex) line(off int) int {
	if off < 0 {
		return 1
	}
	return sort.SearchInts(l, off) + 1
}

// part is one string of an entry that is scanned.
type part struct {
	where string // "request URL", "response body", ...
	text  string
	off   int  // offset of the HAR string holding it
	json  bool // try to read it as JSON
	form  bool // read it as name=value&...
}

func (s *Scanner) scanHAR(name string, data []byte) ([]Finding, error) {
	entries, err := har.Parse(data)
	if err != nil {
		return nil, err
	}
	lines := newLineIndex(data)
	needles := append(append([]needle(nil), s.needles...), issuedValues(entries)...)
	var out []Finding
	for i := range entries {
		out = append(out, s.scanEntry(name, &entries[i], lines, needles)...)
	}
	return out, nil
}

// issuedValues collects the secrets a capture shows WeChat being asked
// for or answering with: session_keys from jscode2session, tokens from the
// token endpoints, and AppSecrets sent to them.
func issuedValues(entries []har.Entry) []needle {
	var out []needle
	seen := map[string]bool{}
	add := func(k Kind, v, label string) {
		v = strings.TrimSpace(v)
		if len(v) < MinSecretLen || seen[v] || placeholderWord(v) {
			return
		}
		seen[v] = true
		out = append(out, newNeedle(k, v, label))
	}
	for i := range entries {
		e := &entries[i]
		u, err := url.Parse(e.Request.URL.Value)
		if err != nil {
			continue
		}
		ep := secretEndpoint(u.Path)
		if ep == "" {
			continue
		}
		label := fmt.Sprintf("sent to %s in entry %d", ep, e.Index)
		add(KindAppSecret, u.Query().Get("secret"), label)
		if pd := e.Request.PostData; pd != nil {
			if v, err := jsonv.Parse(pd.Decoded()); err == nil {
				if sv, ok := v.Get("secret"); ok {
					add(KindAppSecret, sv.Text(), label)
				}
			}
			if q, err := url.ParseQuery(string(pd.Decoded())); err == nil {
				add(KindAppSecret, q.Get("secret"), label)
			}
		}
		body, err := jsonv.Parse(e.Response.Content.Decoded())
		if err != nil {
			continue
		}
		label = fmt.Sprintf("returned by %s in entry %d", ep, e.Index)
		if sk, ok := body.Get("session_key"); ok {
			add(KindSessionKey, sk.Text(), label)
		}
		for _, k := range []string{"access_token", "refresh_token"} {
			if t, ok := body.Get(k); ok {
				add(KindAccessToken, t.Text(), label)
			}
		}
	}
	return out
}

// secretEndpoint returns the WeChat endpoint needing the AppSecret that a
// URL path ends with, or "".
func secretEndpoint(path string) string {
	for _, ep := range secretEndpoints {
		if strings.HasSuffix(path, ep) {
			return strings.TrimPrefix(ep, "/")
		}
	}
	return ""
}

func (s *Scanner) scanEntry(name string, e *har.Entry, lines lineIndex, needles []needle) []Finding {
	prefix := fmt.Sprintf("entries[%d] ", e.Index)
	var parts []part
	add := func(where string, hs har.String, isJSON, isForm bool) {
		if hs.Value != "" {
			parts = append(parts, part{where: where, text: hs.Value, off: hs.Offset, json: isJSON, form: isForm})
		}
	}
	add("request URL", e.Request.URL, false, false)
	for _, h := range e.Request.Headers {
		add("request header "+h.Name, h.Value, false, strings.EqualFold(h.Name, "cookie"))
	}
	if pd := e.Request.PostData; pd != nil {
		if pd.Text.Value != "" {
			parts = append(parts, bodyPart("request body", pd))
		} else {
			for _, p := range pd.Params {
				add("request form field "+p.Name, p.Value, false, false)
			}
		}
	}
	for _, h := range e.Response.Headers {
		add("response header "+h.Name, h.Value, false, strings.EqualFold(h.Name, "set-cookie"))
	}
	c := &e.Response.Content
	if c.Text.Value != "" && !binaryMime(c.MimeType) {
		parts = append(parts, bodyPart("response body", c))
	}
	if len(e.Response.Headers) == 0 {
		add("response redirectURL", e.Response.RedirectURL, false, false)
	}

	var out []Finding
	for _, p := range parts {
		line := lines.line(p.off)
		out = append(out, s.scanPart(name, prefix+p.where, line, needles, p, roleHAR)...)
	}
	// The client itself called an endpoint that needs the AppSecret.
	if u, err := url.Parse(e.Request.URL.Value); err == nil {
		ep := secretEndpoint(u.Path)
		host := strings.ToLower(u.Hostname())
		isUser := false
		for _, p := range userTokenEndpoints {
			isUser = isUser || strings.HasSuffix(u.Path, p)
		}
		if ep != "" || (host == "api.weixin.qq.com" && !isUser) {
			what := ep
			if what == "" {
				what = strings.TrimPrefix(u.Path, "/")
			}
			out = append(out, Finding{
				Kind: KindClientWeChatAPI, File: name, Line: lines.line(e.Request.URL.Offset),
				Message: "the client called WeChat's " + what + " itself: it needs the AppSecret or an access token",
				Excerpt: prefix + "request URL: " + e.Request.Method + " " + redactText(u.Scheme+"://"+u.Host+u.Path, nil),
			})
		}
	}
	return out
}

func bodyPart(where string, b *har.Body) part {
	text := string(b.Decoded())
	if strings.EqualFold(b.Encoding, "base64") {
		where += " (base64)"
	}
	mt := strings.ToLower(b.MimeType)
	return part{where: where, text: text, off: b.Text.Offset,
		json: strings.Contains(mt, "json") || strings.HasPrefix(strings.TrimSpace(text), "{") || strings.HasPrefix(strings.TrimSpace(text), "["),
		form: strings.Contains(mt, "x-www-form-urlencoded")}
}

func binaryMime(mt string) bool {
	mt = strings.ToLower(mt)
	for _, p := range []string{"image/", "audio/", "video/", "font/", "application/octet-stream", "application/zip", "application/pdf"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	return false
}

// scanPart scans one HAR string (or one piece of an audited answer) as it
// is and in every decoded form.
func (s *Scanner) scanPart(name, where string, line int, needles []needle, p part, r role) []Finding {
	var out []Finding
	text := p.text
	scan := func(t, how string, prio int) {
		b := []byte(t)
		ts := newTextScan(b, r, needles)
		hits := ts.run()
		if len(hits) == 0 {
			return
		}
		secrets := secretsOf(hits, s.redact)
		label := where
		if how != "" {
			label += ", " + how + "-decoded"
		}
		for _, h := range hits {
			msg := h.msg
			if how != "" {
				msg += " (" + how + "-encoded)"
			}
			out = append(out, Finding{
				Kind: h.kind, File: name, Line: line, Message: msg,
				Excerpt: clip(label+": "+excerpt(b, h, secrets), maxExcerpt),
				value:   h.value, appID: h.appID, prio: h.prio + prio,
			})
		}
	}
	scan(text, "", 0)
	seen := map[string]bool{text: true}
	layer := func(blob string) {
		codec.Layers(blob, 16, func(l codec.Layer) {
			if seen[l.Text] {
				return
			}
			seen[l.Text] = true
			scan(l.Text, l.How, 10)
		})
	}
	for _, blob := range blobs(text, p) {
		if len(blob) <= maxLayered {
			layer(blob)
		}
	}
	return out
}

// maxLayered bounds the strings whose encodings are peeled; maxSplit the
// texts split into values (a form body, a cookie; not a 5 MB script).
const (
	maxLayered = 1 << 20
	maxSplit   = 256 << 10
)

// blobs splits a part into the values that may each hide an encoded
// secret: JSON string values, query, form and cookie values, header
// words.
func blobs(text string, p part) []string {
	var out []string
	if p.json {
		if v, err := jsonv.Parse([]byte(text)); err == nil {
			walkStrings(&v, func(s string) {
				out = append(out, s)
				if len(s) <= maxSplit && strings.ContainsAny(s, "&=;") {
					out = append(out, splitValues(s)...)
				}
			})
			return out
		}
	}
	out = append(out, text)
	if (p.form || len(text) <= maxSplit) && strings.ContainsAny(text, "&=; ,") {
		out = append(out, splitValues(text)...)
	}
	return out
}

// splitValues splits name=value pairs and words.
func splitValues(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '&' || r == ';' || r == ' ' || r == ',' || r == '"' || r == '\'' || r == '?'
	}) {
		if _, v, ok := strings.Cut(f, "="); ok {
			f = v
		}
		if len(f) >= 16 {
			out = append(out, f)
		}
	}
	return out
}

func walkStrings(v *jsonv.Value, fn func(string)) {
	switch v.Kind {
	case jsonv.String:
		fn(v.Str)
	case jsonv.Array, jsonv.Object:
		for i := range v.Items {
			walkStrings(&v.Items[i], fn)
		}
	}
}
