package signing

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage/memory"
)

// FuzzCanonical checks the canonical form on arbitrary paths and queries:
// no panic, exactly six lines, a normal form that is its own normal form,
// and a request signed with Sign verifies once, then is a replay.
func FuzzCanonical(f *testing.F) {
	for _, v := range vectors {
		p, q, _ := strings.Cut(v.pathAndQuery, "?")
		f.Add(v.method, p, q, v.body)
	}
	f.Add("GET", "", "", "")
	f.Add("GET", "/a%2f%2F/+/%", "a=%&b", "x")
	f.Add("DELETE", "/%E4%BD%A0/!", "=&==&a=b=c&+=+", "")
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		const ts, nonce = "1700000000", "fuzz-nonce-000000"
		c, err := Canonical(method, path, query, ts, nonce, []byte(body))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Canonical error %v does not wrap ErrMalformed", err)
			}
			return
		}
		lines := strings.Split(c, "\n")
		if len(lines) != 6 || lines[0] != method || lines[3] != ts || lines[4] != nonce {
			t.Fatalf("canonical string %q is not six lines with the method, timestamp and nonce", c)
		}
		// The normal form is a fixed point.
		c2, err := Canonical(method, lines[1], lines[2], ts, nonce, []byte(body))
		if err != nil || c2 != c {
			t.Fatalf("normal form is not stable: %q -> %q (%v)", c, c2, err)
		}

		// Round trip through a real request, when the inputs make one.
		u, err := url.Parse("https://gw.example.com" + path)
		if err != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(path, "?#") {
			return
		}
		u.RawQuery = query
		r, err := http.NewRequest(method, u.String(), nil)
		if err != nil {
			return
		}
		key := testKey()
		now := time.Unix(1_700_000_000, 0)
		if err := Sign(r, []byte(body), key, now, nonce); err != nil {
			// Only the query can be malformed here, as Canonical said it
			// was fine for this path: the URL may re-encode the path.
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Sign: %v", err)
			}
			return
		}
		kv := memory.NewKV()
		defer kv.Close()
		v := &Verifier{Nonces: kv, Now: func() time.Time { return now }}
		if err := v.Verify(context.Background(), r, []byte(body), key); err != nil {
			t.Fatalf("Verify(Sign(r)) = %v for %q %q", err, r.URL.EscapedPath(), r.URL.RawQuery)
		}
		if err := v.Verify(context.Background(), r, []byte(body), key); !errors.Is(err, ErrReplayed) {
			t.Fatalf("second Verify = %v, want ErrReplayed", err)
		}
		if err := v.Verify(context.Background(), r, []byte(body+"x"), key); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify with another body = %v, want ErrBadSignature", err)
		}
	})
}

// FuzzVerifyHeaders feeds arbitrary header values to Verify: it never
// panics, never accepts a signature it did not compute, and fails only
// with one of its sentinels.
func FuzzVerifyHeaders(f *testing.F) {
	f.Add("1700000000", "n0nce-0123456789ABCDEF", vectors[0].signature)
	f.Add("01700000000", "short", "zz")
	f.Add("", "", "")
	f.Add("99999999999999999999", strings.Repeat("a", 64), strings.Repeat("A", 64))
	kv := memory.NewKV()
	f.Cleanup(func() { kv.Close() })
	v := &Verifier{Nonces: kv, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }}
	f.Fuzz(func(t *testing.T, ts, nonce, sig string) {
		r, err := http.NewRequest("POST", "https://gw.example.com/auth/me?a=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header[HeaderTimestamp] = []string{ts}
		r.Header[HeaderNonce] = []string{nonce}
		r.Header[HeaderSignature] = []string{sig}
		err = v.Verify(context.Background(), r, nil, testKey())
		if err == nil {
			// Accepted only if sig is the true signature.
			c, cerr := Canonical("POST", "/auth/me", "a=1", ts, nonce, nil)
			if cerr != nil || !strings.EqualFold(sig, hexMAC(testKey(), c)) {
				t.Fatalf("accepted a forged signature %q", sig)
			}
			return
		}
		for _, s := range []error{ErrMissing, ErrMalformed, ErrStale, ErrBadSignature, ErrReplayed} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("Verify = %v: not a sentinel", err)
	})
}

func hexMAC(key []byte, canonical string) string { return hex.EncodeToString(mac(key, canonical)) }
