// Package har reads HTTP Archive (HAR 1.2) captures, as browsers, the
// WeChat developer tools, Charles and mitmproxy export them, keeping the
// byte offset of every string so that a finding can name its line.
package har

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/wxgate/wxgate/audit/internal/jsonv"
)

// String is a string of the capture and where it starts in the file.
type String struct {
	Value  string
	Offset int // offset of the string's opening quote; -1 if absent
}

// Pair is a header, cookie, query or form parameter.
type Pair struct {
	Name  string
	Value String
}

// Body is a request's postData or a response's content.
type Body struct {
	MimeType string
	// Text is the body as the capture stores it: base64 when Encoding is
	// "base64" (see Decoded).
	Text     String
	Encoding string
	Params   []Pair // postData.params (form fields), if the capture lists them
}

// Decoded returns the body's bytes, decoding base64 when the capture says
// the text is base64. A body that claims base64 but is not is returned as
// stored.
func (b *Body) Decoded() []byte {
	if strings.EqualFold(b.Encoding, "base64") {
		s := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' {
				return -1
			}
			return r
		}, b.Text.Value)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(s); err == nil {
				return d
			}
		}
	}
	return []byte(b.Text.Value)
}

// Request is an entry's request.
type Request struct {
	Method   string
	URL      String
	Headers  []Pair
	Cookies  []Pair
	Query    []Pair
	PostData *Body
}

// Response is an entry's response.
type Response struct {
	Status      int
	Headers     []Pair
	Cookies     []Pair
	Content     Body
	RedirectURL String
}

// Entry is one request/response exchange.
type Entry struct {
	Index    int
	Offset   int // offset of the entry's opening brace
	Request  Request
	Response Response
}

// ErrNotHAR is returned for JSON that is not a HAR capture.
var ErrNotHAR = errors.New("har: not a HAR capture (no log.entries)")

// Sniff reports whether data looks like a HAR capture: a JSON object whose
// first member names "log". It reads at most the first 4 KiB.
func Sniff(data []byte) bool {
	head := data[:min(len(data), 4096)]
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	head = bytes.TrimLeft(head[1:], " \t\r\n")
	return bytes.HasPrefix(head, []byte(`"log"`))
}

// Parse reads a HAR capture. Unknown members are ignored; members of the
// wrong type read as empty, so a capture from a sloppy exporter still
// yields its entries. It fails only on malformed JSON or a missing
// log.entries.
func Parse(data []byte) ([]Entry, error) {
	root, err := jsonv.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	log, ok := root.Get("log")
	if !ok {
		return nil, ErrNotHAR
	}
	entries, ok := log.Get("entries")
	if !ok || entries.Kind != jsonv.Array {
		return nil, ErrNotHAR
	}
	out := make([]Entry, 0, len(entries.Items))
	for i := range entries.Items {
		ev := &entries.Items[i]
		if ev.Kind != jsonv.Object {
			continue
		}
		e := Entry{Index: i, Offset: ev.Offset}
		empty := &jsonv.Value{Kind: jsonv.Object}
		req, ok := ev.Get("request")
		if !ok {
			req = empty
		}
		e.Request = Request{
			Method:  text(req, "method").Value,
			URL:     text(req, "url"),
			Headers: pairs(req, "headers"),
			Cookies: pairs(req, "cookies"),
			Query:   pairs(req, "queryString"),
		}
		if pd, ok := req.Get("postData"); ok && pd.Kind == jsonv.Object {
			b := body(pd)
			e.Request.PostData = &b
		}
		resp, ok := ev.Get("response")
		if !ok {
			resp = empty
		}
		st, _ := resp.Get("status")
		e.Response = Response{
			Status:      st.Int(),
			Headers:     pairs(resp, "headers"),
			Cookies:     pairs(resp, "cookies"),
			RedirectURL: text(resp, "redirectURL"),
		}
		c, ok := resp.Get("content")
		if !ok || c.Kind != jsonv.Object {
			c = empty
		}
		e.Response.Content = body(c)
		out = append(out, e)
	}
	return out, nil
}

func text(v *jsonv.Value, key string) String {
	if s, ok := v.Get(key); ok && s.Kind == jsonv.String {
		return String{Value: s.Str, Offset: s.Offset}
	}
	return String{Offset: -1}
}

func pairs(v *jsonv.Value, key string) []Pair {
	list, ok := v.Get(key)
	if !ok || list.Kind != jsonv.Array {
		return nil
	}
	var out []Pair
	for i := range list.Items {
		it := &list.Items[i]
		if it.Kind != jsonv.Object {
			continue
		}
		out = append(out, Pair{Name: text(it, "name").Value, Value: text(it, "value")})
	}
	return out
}

func body(v *jsonv.Value) Body {
	return Body{
		MimeType: text(v, "mimeType").Value,
		Text:     text(v, "text"),
		Encoding: text(v, "encoding").Value,
		Params:   pairs(v, "params"),
	}
}
