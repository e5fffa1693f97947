package signing

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// sharedVectors is testdata/vectors.json: the known-answer vectors that
// the JavaScript client (clients/miniprogram) is tested against too.
type sharedVectors struct {
	Key      string `json:"key"`
	Requests []struct {
		Name         string `json:"name"`
		Method       string `json:"method"`
		PathAndQuery string `json:"path_and_query"`
		Timestamp    string `json:"timestamp"`
		Nonce        string `json:"nonce"`
		Body         string `json:"body"`
		Canonical    string `json:"canonical"`
		Signature    string `json:"signature"`
	} `json:"requests"`
	NormalForms []struct {
		Name      string `json:"name"`
		Path      string `json:"path"`
		Query     string `json:"query"`
		WantPath  string `json:"want_path"`
		WantQuery string `json:"want_query"`
	} `json:"normal_forms"`
}

func loadSharedVectors(t *testing.T) sharedVectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v sharedVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("testdata/vectors.json: %v", err)
	}
	if len(v.Requests) == 0 || len(v.NormalForms) == 0 {
		t.Fatal("testdata/vectors.json holds no vectors")
	}
	return v
}

// TestSharedVectors checks the shared file against the implementation, and
// that it carries the vectors of docs/signing.md (the table in
// signing_test.go) unchanged.
func TestSharedVectors(t *testing.T) {
	v := loadSharedVectors(t)
	key, err := ParseKey(v.Key)
	if err != nil || string(key) != string(testKey()) {
		t.Fatalf("key %q is not the bytes 0x00..0x1f (%v)", v.Key, err)
	}
	if len(v.Requests) != len(vectors) {
		t.Fatalf("the file has %d request vectors, signing_test.go %d", len(v.Requests), len(vectors))
	}
	for i, r := range v.Requests {
		t.Run(r.Name, func(t *testing.T) {
			want := vectors[i]
			if r.Method != want.method || r.PathAndQuery != want.pathAndQuery || r.Timestamp != want.ts ||
				r.Nonce != want.nonce || r.Body != want.body || r.Canonical != want.canonical || r.Signature != want.signature {
				t.Fatalf("vector %d differs from the table in signing_test.go", i)
			}
			req, err := http.NewRequest(r.Method, "https://login.example.com"+r.PathAndQuery, strings.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Canonical(r.Method, req.URL.EscapedPath(), req.URL.RawQuery, r.Timestamp, r.Nonce, []byte(r.Body))
			if err != nil || c != r.Canonical {
				t.Fatalf("canonical %q, %v", c, err)
			}
			if err := Sign(req, []byte(r.Body), key, time.Unix(mustParse(t, r.Timestamp), 0), r.Nonce); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get(HeaderSignature); got != r.Signature {
				t.Fatalf("signature %s, want %s", got, r.Signature)
			}
		})
	}
	for _, n := range v.NormalForms {
		t.Run(n.Name, func(t *testing.T) {
			c, err := Canonical("GET", n.Path, n.Query, "1", "0123456789abcdef", nil)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(c, "\n")
			if len(lines) != 6 || lines[1] != n.WantPath || lines[2] != n.WantQuery {
				t.Fatalf("path %q query %q, want %q %q", lines[1], lines[2], n.WantPath, n.WantQuery)
			}
		})
	}
}
