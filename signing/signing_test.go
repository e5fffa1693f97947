package signing

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
)

// testKey is the key of the known-answer vectors: the bytes 0x00 to 0x1f.
func testKey() []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// The known-answer vectors of docs/signing.md. A change here is a breaking
// change for every client: update the document with it.
var vectors = []struct {
	name                            string
	method, pathAndQuery, ts, nonce string
	body                            string
	canonical, signature            string
}{
	{
		name:         "POST with tricky path and query",
		method:       "POST",
		pathAndQuery: "/api/orders/%e5%92%96%E5%95%A1/a%2fb+c?b=2&a=1&a=0&flag&q=x+y&t=%7e&e=%3D&&s=%20!",
		ts:           "1700000000",
		nonce:        "n0nce-0123456789ABCDEF",
		body:         `{"item":"咖啡","qty":2}`,
		canonical: "POST\n" +
			"/api/orders/%E5%92%96%E5%95%A1/a%2Fb%2Bc\n" +
			"a=0&a=1&b=2&e=%3D&flag=&q=x%20y&s=%20%21&t=~\n" +
			"1700000000\n" +
			"n0nce-0123456789ABCDEF\n" +
			"e151629732b240fe94b39e89e9ed36f6d0e7b89fae90a307d4e7ab99c95dfb05",
		signature: "f923221f869917251280ca8dfbc91da5ba253289344964dd7a4f1e585166c285",
	},
	{
		name:         "GET without query or body",
		method:       "GET",
		pathAndQuery: "/auth/me",
		ts:           "1700000300",
		nonce:        "AAAAAAAAAAAAAAAAAAAAAA",
		canonical: "GET\n/auth/me\n\n1700000300\nAAAAAAAAAAAAAAAAAAAAAA\n" +
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		signature: "a284b70c53e88c96be59ace0b5e4aeaf5970bfd4b982d885c4f091635d170868",
	},
}

func TestKnownAnswers(t *testing.T) {
	if got := KeyString(testKey()); got != "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" {
		t.Fatalf("KeyString = %q", got)
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r, err := http.NewRequest(v.method, "https://login.example.com"+v.pathAndQuery, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Canonical(v.method, r.URL.EscapedPath(), r.URL.RawQuery, v.ts, v.nonce, []byte(v.body))
			if err != nil {
				t.Fatal(err)
			}
			if c != v.canonical {
				t.Fatalf("canonical string\n got %q\nwant %q", c, v.canonical)
			}
			now := time.Unix(mustParse(t, v.ts), 0)
			if err := Sign(r, []byte(v.body), testKey(), now, v.nonce); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get(HeaderSignature); got != v.signature {
				t.Fatalf("signature = %s, want %s", got, v.signature)
			}
			// The same request, as a server receives it, verifies.
			vf := &Verifier{Nonces: memory.NewKV(), Now: func() time.Time { return now }}
			if err := vf.Verify(context.Background(), r, []byte(v.body), testKey()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func mustParse(t *testing.T, ts string) int64 {
	t.Helper()
	n, ok := parseTimestamp(ts)
	if !ok {
		t.Fatalf("bad timestamp %q", ts)
	}
	return n
}

func TestCanonicalNormalForm(t *testing.T) {
	for _, tc := range []struct {
		name, path, query string
		wantPath          string
		wantQuery         string
	}{
		{name: "empty path", path: "", wantPath: "/"},
		{name: "root", path: "/", wantPath: "/"},
		{name: "unreserved kept", path: "/aZ09-._~", wantPath: "/aZ09-._~"},
		{name: "escaped unreserved decoded", path: "/%61%7E%2d", wantPath: "/a~-"},
		{name: "lower-case hex upper-cased", path: "/%e4%bd%a0", wantPath: "/%E4%BD%A0"},
		{name: "raw UTF-8 escaped", path: "/你", wantPath: "/%E4%BD%A0"},
		{name: "encoded slash stays in its segment", path: "/a%2fb/c", wantPath: "/a%2Fb/c"},
		{name: "plus in a path is a plus", path: "/a+b", wantPath: "/a%2Bb"},
		{name: "sub-delims escaped", path: "/!$&'()*,;=:@", wantPath: "/%21%24%26%27%28%29%2A%2C%3B%3D%3A%40"},
		{name: "invalid UTF-8 byte", path: "/%ff", wantPath: "/%FF"},
		{name: "empty query", query: "", wantPath: "/"},
		{name: "only separators", query: "&&&", wantPath: "/"},
		{name: "sorted by name then value", query: "b=1&a=2&a=1&A=3", wantPath: "/", wantQuery: "A=3&a=1&a=2&b=1"},
		{name: "no equals sign is an empty value", query: "flag&x=", wantPath: "/", wantQuery: "flag=&x="},
		{name: "plus is a space in a query", query: "q=a+b%2Bc", wantPath: "/", wantQuery: "q=a%20b%2Bc"},
		{name: "first equals splits", query: "k=a=b", wantPath: "/", wantQuery: "k=a%3Db"},
		{name: "empty name kept", query: "=v", wantPath: "/", wantQuery: "=v"},
		{name: "semicolon is data", query: "a=1;b=2", wantPath: "/", wantQuery: "a=1%3Bb%3D2"},
		{name: "same pair twice kept twice", query: "a=1&a=1", wantPath: "/", wantQuery: "a=1&a=1"},
		{name: "sort on normalised strings", query: "%7E=1&-=2", wantPath: "/", wantQuery: "-=2&~=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Canonical("GET", tc.path, tc.query, "1", "0123456789abcdef", nil)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(c, "\n")
			if len(lines) != 6 {
				t.Fatalf("%d lines", len(lines))
			}
			if lines[1] != tc.wantPath || lines[2] != tc.wantQuery {
				t.Fatalf("path %q query %q, want %q %q", lines[1], lines[2], tc.wantPath, tc.wantQuery)
			}
		})
	}
}

func TestCanonicalRejects(t *testing.T) {
	const ts, nonce = "1700000000", "0123456789abcdef"
	for _, tc := range []struct {
		name                           string
		method, path, query, ts, nonce string
	}{
		{name: "truncated escape in path", method: "GET", path: "/a%4", ts: ts, nonce: nonce},
		{name: "non-hex escape in path", method: "GET", path: "/a%zz", ts: ts, nonce: nonce},
		{name: "percent at end of query", method: "GET", path: "/", query: "a=100%", ts: ts, nonce: nonce},
		{name: "bad escape in query name", method: "GET", path: "/", query: "%g0=1", ts: ts, nonce: nonce},
		{name: "empty method", method: "", path: "/", ts: ts, nonce: nonce},
		{name: "method with newline", method: "GET\nX", path: "/", ts: ts, nonce: nonce},
		{name: "method with space", method: "GE T", path: "/", ts: ts, nonce: nonce},
		{name: "empty timestamp", method: "GET", path: "/", ts: "", nonce: nonce},
		{name: "leading zero", method: "GET", path: "/", ts: "01700000000", nonce: nonce},
		{name: "signed timestamp", method: "GET", path: "/", ts: "+1700000000", nonce: nonce},
		{name: "negative timestamp", method: "GET", path: "/", ts: "-1", nonce: nonce},
		{name: "fractional timestamp", method: "GET", path: "/", ts: "1700000000.5", nonce: nonce},
		{name: "milliseconds", method: "GET", path: "/", ts: "1700000000000", nonce: nonce},
		{name: "nonce too short", method: "GET", path: "/", ts: ts, nonce: "0123456789abcde"},
		{name: "nonce too long", method: "GET", path: "/", ts: ts, nonce: strings.Repeat("a", 65)},
		{name: "nonce with a dot", method: "GET", path: "/", ts: ts, nonce: "0123456789abcde."},
		{name: "nonce with a newline", method: "GET", path: "/", ts: ts, nonce: "0123456789abcde\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Canonical(tc.method, tc.path, tc.query, tc.ts, tc.nonce, nil)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	// Bounds are inclusive.
	for _, n := range []string{strings.Repeat("a", MinNonceLen), strings.Repeat("_", MaxNonceLen)} {
		if _, err := Canonical("GET", "/", "", "0", n, nil); err != nil {
			t.Errorf("nonce of %d: %v", len(n), err)
		}
	}
}

func TestKeys(t *testing.T) {
	k := NewKey()
	if len(k) != KeySize || bytes.Equal(k, NewKey()) {
		t.Fatal("NewKey: wrong size or not random")
	}
	s := KeyString(k)
	if len(s) != 43 {
		t.Fatalf("KeyString is %d characters", len(s))
	}
	back, err := ParseKey(s)
	if err != nil || !bytes.Equal(back, k) {
		t.Fatalf("ParseKey(KeyString(k)) = %x, %v", back, err)
	}
	for _, bad := range []string{"", s + "=", s[:42], s + "A", strings.Replace(s, s[:1], "+", 1), KeyString(k[:16])} {
		if _, err := ParseKey(bad); err == nil || !strings.HasPrefix(err.Error(), "signing: ") {
			t.Errorf("ParseKey(%q) = %v, want a signing error", bad, err)
		}
	}
	n := NewNonce()
	if !validNonce(n) || n == NewNonce() {
		t.Fatalf("NewNonce = %q: invalid or not random", n)
	}
}

// fixture signs requests as a client and verifies them as the gateway.
type fixture struct {
	key []byte
	now time.Time
	kv  *memory.KV
	v   *Verifier
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{key: NewKey(), now: time.Unix(1_700_000_000, 0), kv: memory.NewKV()}
	f.v = &Verifier{Nonces: f.kv, Now: func() time.Time { return f.now }}
	t.Cleanup(func() { f.kv.Close() })
	return f
}

func (f *fixture) request(t testing.TB, body string, nonce string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", "https://login.example.com/auth/miniprogram/phone?app=shop&x=1", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := Sign(r, []byte(body), f.key, f.now, nonce); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) verify(r *http.Request, body string) error {
	return f.v.Verify(context.Background(), r, []byte(body), f.key)
}

func TestVerify(t *testing.T) {
	const body = `{"code":"abc"}`
	for _, tc := range []struct {
		name   string
		change func(f *fixture, r *http.Request) (body string)
		want   error
	}{
		{name: "valid", change: func(*fixture, *http.Request) string { return body }},
		{name: "no timestamp", want: ErrMissing, change: func(_ *fixture, r *http.Request) string { r.Header.Del(HeaderTimestamp); return body }},
		{name: "no nonce", want: ErrMissing, change: func(_ *fixture, r *http.Request) string { r.Header.Del(HeaderNonce); return body }},
		{name: "no signature", want: ErrMissing, change: func(_ *fixture, r *http.Request) string { r.Header.Del(HeaderSignature); return body }},
		{name: "empty signature", want: ErrMissing, change: func(_ *fixture, r *http.Request) string { r.Header.Set(HeaderSignature, ""); return body }},
		{name: "two timestamps", want: ErrMalformed, change: func(f *fixture, r *http.Request) string {
			r.Header.Add(HeaderTimestamp, r.Header.Get(HeaderTimestamp))
			return body
		}},
		{name: "two signatures", want: ErrMalformed, change: func(f *fixture, r *http.Request) string {
			r.Header.Add(HeaderSignature, r.Header.Get(HeaderSignature))
			return body
		}},
		{name: "timestamp with leading zero", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderTimestamp, "0"+r.Header.Get(HeaderTimestamp))
			return body
		}},
		{name: "timestamp in milliseconds", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderTimestamp, r.Header.Get(HeaderTimestamp)+"000")
			return body
		}},
		{name: "short nonce", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string { r.Header.Set(HeaderNonce, "short"); return body }},
		{name: "signature not hex", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderSignature, strings.Repeat("g", 64))
			return body
		}},
		{name: "signature truncated", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderSignature, r.Header.Get(HeaderSignature)[:62])
			return body
		}},
		{name: "signature in base64", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderSignature, "3q2+7w==")
			return body
		}},
		{name: "upper-case hex signature accepted", change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderSignature, strings.ToUpper(r.Header.Get(HeaderSignature)))
			return body
		}},
		{name: "window's edge in the past", change: func(f *fixture, _ *http.Request) string { f.now = f.now.Add(DefaultWindow); return body }},
		{name: "window's edge in the future", change: func(f *fixture, _ *http.Request) string { f.now = f.now.Add(-DefaultWindow); return body }},
		{name: "stale", want: ErrStale, change: func(f *fixture, _ *http.Request) string {
			f.now = f.now.Add(DefaultWindow + time.Second)
			return body
		}},
		{name: "from the future", want: ErrStale, change: func(f *fixture, _ *http.Request) string {
			f.now = f.now.Add(-DefaultWindow - time.Second)
			return body
		}},
		{name: "custom window", want: ErrStale, change: func(f *fixture, _ *http.Request) string {
			f.v.Window = 30 * time.Second
			f.now = f.now.Add(31 * time.Second)
			return body
		}},
		{name: "timestamp changed", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string {
			ts, _ := parseTimestamp(r.Header.Get(HeaderTimestamp))
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts+1, 10))
			return body
		}},
		{name: "nonce changed", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string {
			r.Header.Set(HeaderNonce, "another-nonce-0123")
			return body
		}},
		{name: "method changed", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string { r.Method = "PUT"; return body }},
		{name: "path changed", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string {
			r.URL.Path = "/auth/miniprogram/decrypt"
			return body
		}},
		{name: "encoded slash instead of a slash", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string {
			r.URL.Path, r.URL.RawPath = "/auth/miniprogram/phone", "/auth%2Fminiprogram/phone"
			return body
		}},
		{name: "query parameter changed", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string { r.URL.RawQuery = "app=shop&x=2"; return body }},
		{name: "query parameter added", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string {
			r.URL.RawQuery += "&admin=1"
			return body
		}},
		{name: "query parameter dropped", want: ErrBadSignature, change: func(_ *fixture, r *http.Request) string { r.URL.RawQuery = "app=shop"; return body }},
		{name: "query reordered still verifies", change: func(_ *fixture, r *http.Request) string { r.URL.RawQuery = "x=1&app=shop"; return body }},
		{name: "query re-encoded still verifies", change: func(_ *fixture, r *http.Request) string { r.URL.RawQuery = "%61pp=sho%70&x=1"; return body }},
		{name: "body changed", want: ErrBadSignature, change: func(*fixture, *http.Request) string { return `{"code":"abd"}` }},
		{name: "body emptied", want: ErrBadSignature, change: func(*fixture, *http.Request) string { return "" }},
		{name: "body with a trailing newline", want: ErrBadSignature, change: func(*fixture, *http.Request) string { return body + "\n" }},
		{name: "other key", want: ErrBadSignature, change: func(f *fixture, _ *http.Request) string { f.key = NewKey(); return body }},
		{name: "malformed escape in the query", want: ErrMalformed, change: func(_ *fixture, r *http.Request) string {
			r.URL.RawQuery = "app=%zz"
			return body
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.request(t, body, "")
			got := tc.change(f, r)
			err := f.verify(r, got)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			for _, other := range []error{ErrMissing, ErrMalformed, ErrStale, ErrBadSignature, ErrReplayed} {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("Verify = %v: also matches %v", err, other)
				}
			}
		})
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, "{}", "")
	if err := f.verify(r, "{}"); err != nil {
		t.Fatal(err)
	}
	if err := f.verify(r, "{}"); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second Verify = %v, want ErrReplayed", err)
	}
	// Still a replay near the end of the window: the nonce outlives it.
	f.now = f.now.Add(DefaultWindow)
	if err := f.verify(r, "{}"); !errors.Is(err, ErrReplayed) {
		t.Fatalf("Verify at the window's end = %v, want ErrReplayed", err)
	}
	// A new nonce with the same content is a new request.
	if err := f.verify(f.request(t, "{}", ""), "{}"); err != nil {
		t.Fatal(err)
	}
}

func TestReplayConcurrent(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, "{}", "")
	var ok, replayed atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			rc := r.Clone(context.Background())
			switch err := f.verify(rc, "{}"); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplayed):
				replayed.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 31 {
		t.Fatalf("%d accepted, %d replays; want 1 and 31", ok.Load(), replayed.Load())
	}
}

// A forged request must not spend the nonce of a genuine one.
func TestBadSignatureDoesNotBurnNonce(t *testing.T) {
	f := newFixture(t)
	const nonce = "genuine-nonce-0001"
	forged := f.request(t, "{}", nonce)
	forged.Header.Set(HeaderSignature, strings.Repeat("0", 64))
	if err := f.verify(forged, "{}"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged: %v", err)
	}
	stale := f.request(t, "{}", nonce)
	f.now = f.now.Add(time.Hour)
	if err := f.verify(stale, "{}"); !errors.Is(err, ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	f.now = f.now.Add(-time.Hour)
	if err := f.verify(f.request(t, "{}", nonce), "{}"); err != nil {
		t.Fatalf("genuine request after forgeries: %v", err)
	}
}

func TestNoncesArePerKey(t *testing.T) {
	f := newFixture(t)
	const nonce = "shared-nonce-0001"
	if err := f.verify(f.request(t, "{}", nonce), "{}"); err != nil {
		t.Fatal(err)
	}
	f.key = NewKey() // another session
	if err := f.verify(f.request(t, "{}", nonce), "{}"); err != nil {
		t.Fatalf("same nonce under another key: %v", err)
	}
	if k := nonceKey(f.key, nonce); strings.Contains(k, nonce) || strings.Contains(k, KeyString(f.key)) {
		t.Fatalf("KV key %q shows the nonce or the key", k)
	}
}

// recordingKV records the TTL of SetNX calls.
type recordingKV struct {
	storage.KV
	mu   sync.Mutex
	ttls []time.Duration
}

func (k *recordingKV) SetNX(ctx context.Context, key string, v []byte, ttl time.Duration) (bool, error) {
	k.mu.Lock()
	k.ttls = append(k.ttls, ttl)
	k.mu.Unlock()
	return k.KV.SetNX(ctx, key, v, ttl)
}

func TestNonceTTL(t *testing.T) {
	for _, tc := range []struct {
		window, want time.Duration
	}{{0, 2 * DefaultWindow}, {-time.Second, 2 * DefaultWindow}, {time.Minute, 2 * time.Minute}} {
		f := newFixture(t)
		kv := &recordingKV{KV: f.kv}
		f.v.Nonces, f.v.Window = kv, tc.window
		if err := f.verify(f.request(t, "", ""), ""); err != nil {
			t.Fatal(err)
		}
		if len(kv.ttls) != 1 || kv.ttls[0] != tc.want {
			t.Errorf("window %v: SetNX TTLs %v, want [%v]", tc.window, kv.ttls, tc.want)
		}
	}
}

func TestKVUnavailable(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, "", "")
	f.kv.Close()
	err := f.verify(r, "")
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Verify with the KV down = %v, want storage.ErrUnavailable", err)
	}
	for _, s := range []error{ErrMissing, ErrMalformed, ErrStale, ErrBadSignature, ErrReplayed} {
		if errors.Is(err, s) {
			t.Fatalf("Verify with the KV down = %v: looks like a client error", err)
		}
	}
}

func TestMisuse(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, "", "")
	if err := f.v.Verify(context.Background(), r, nil, f.key[:16]); err == nil || errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify with a short key = %v", err)
	}
	if err := (&Verifier{}).Verify(context.Background(), r, nil, f.key); err == nil || !strings.HasPrefix(err.Error(), "signing: ") {
		t.Errorf("Verify without Nonces = %v", err)
	}
	if err := Sign(r, nil, f.key[:31], f.now, ""); err == nil {
		t.Error("Sign with a short key succeeded")
	}
	if err := Sign(r, nil, f.key, f.now, "bad nonce"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Sign with a bad nonce = %v", err)
	}
}

// TestConstantTimeCompare guards the signature comparison: the package
// must compare MACs with hmac.Equal and nothing that returns early.
func TestConstantTimeCompare(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	calls := map[string]int{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					calls[id.Name+"."+sel.Sel.Name]++
				}
			}
			return true
		})
	}
	if calls["hmac.Equal"] == 0 {
		t.Error("signatures are not compared with hmac.Equal")
	}
	for _, bad := range []string{"bytes.Equal", "bytes.Compare", "slices.Equal", "reflect.DeepEqual", "strings.EqualFold"} {
		if calls[bad] > 0 {
			t.Errorf("the package calls %s: comparisons of secrets must be constant-time", bad)
		}
	}
}
