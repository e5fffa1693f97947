package har

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestParseCorpusCapture(t *testing.T) {
	data, err := os.ReadFile("../testdata/corpus/har/miniprogram.har")
	if err != nil {
		t.Fatal(err)
	}
	if !Sniff(data) {
		t.Fatal("Sniff: not a HAR")
	}
	entries, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 13 {
		t.Fatalf("%d entries", len(entries))
	}
	e := entries[1]
	if e.Request.Method != "GET" || !strings.Contains(e.Request.URL.Value, "/sns/jscode2session?") {
		t.Errorf("entry 1 request: %+v", e.Request)
	}
	if data[e.Request.URL.Offset] != '"' || !bytes.HasPrefix(data[e.Request.URL.Offset+1:], []byte("https://api.weixin.qq.com")) {
		t.Errorf("URL offset %d does not point at the URL", e.Request.URL.Offset)
	}
	if e.Response.Status != 200 || !strings.Contains(string(e.Response.Content.Decoded()), "session_key") {
		t.Errorf("entry 1 response: %+v", e.Response)
	}
	b := entries[2].Response.Content
	if b.Encoding != "base64" || !strings.HasPrefix(string(b.Decoded()), `{"profile"`) {
		t.Errorf("entry 2: base64 body not decoded: %q", b.Decoded())
	}
	if pd := entries[4].Request.PostData; pd == nil || pd.MimeType != "application/x-www-form-urlencoded" {
		t.Errorf("entry 4 postData: %+v", pd)
	}
	if h := entries[6].Request.Headers; len(h) != 1 || h[0].Name != "Cookie" {
		t.Errorf("entry 6 headers: %+v", h)
	}
}

func TestParseSloppy(t *testing.T) {
	// Wrong types read as empty; entries that are not objects are skipped.
	entries, err := Parse([]byte(`{"log":{"entries":[1,{"request":{"url":5,"headers":{"x":1}},"response":{"status":"200","content":[]}}]}}`))
	if err != nil || len(entries) != 1 || entries[0].Request.URL.Offset != -1 || entries[0].Index != 1 {
		t.Fatalf("%+v %v", entries, err)
	}
	for _, bad := range []string{`{"log":{}}`, `{"x":1}`, `[]`, `{"log":{"entries":`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if Sniff([]byte(`{"x": {"log": 1}}`)) || !Sniff([]byte("\xef\xbb\xbf\n {\n \"log\": {}}")) {
		t.Error("Sniff")
	}
}

// FuzzParse: no input makes the HAR reader panic, and every string it
// returns points at a quote in the input.
func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("../testdata/corpus/har/clean.har")
	f.Add(seed)
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"GET","url":"http://x/?a=1","headers":[{"name":"Cookie","value":"a=b"}],"postData":{"text":"eA==","encoding":"base64"}},"response":{"status":200,"content":{"text":"e30=","encoding":"base64"},"redirectURL":""}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data)
		if err != nil {
			return
		}
		check := func(s String) {
			if s.Offset >= 0 && (s.Offset >= len(data) || data[s.Offset] != '"') {
				t.Fatalf("offset %d does not point at a string", s.Offset)
			}
		}
		for _, e := range entries {
			check(e.Request.URL)
			check(e.Response.Content.Text)
			for _, h := range append(e.Request.Headers, e.Response.Headers...) {
				check(h.Value)
			}
			if pd := e.Request.PostData; pd != nil {
				check(pd.Text)
				_ = pd.Decoded()
			}
			_ = e.Response.Content.Decoded()
		}
	})
}
