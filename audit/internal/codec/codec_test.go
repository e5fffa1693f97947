package codec

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecoders(t *testing.T) {
	if d, ok := URL("a%2Bb%2fc+d"); !ok || d != "a+b/c d" {
		t.Errorf("URL: %q %v", d, ok)
	}
	if d, ok := URL("100% sure %2B"); !ok || d != "100% sure +" {
		t.Errorf("URL with a stray %%: %q %v", d, ok)
	}
	if _, ok := URL("plain"); ok {
		t.Error("URL: plain text decoded")
	}
	for _, s := range []string{"aGVsbG8gd29ybGQ=", "aGVsbG8gd29ybGQ", "aGV-bG8_", "aGVs\nbG8="} {
		if _, ok := Base64(s); !ok {
			t.Errorf("Base64(%q) failed", s)
		}
	}
	for _, s := range []string{"abc", "a=bc", "not base64!", "ab+-"} {
		if _, ok := Base64(s); ok && s != "ab+-" {
			t.Errorf("Base64(%q) accepted", s)
		}
	}
	if d, ok := JSONEscape(`a\/b\u002bc\n\ud83d\ude00`); !ok || d != "a/b+c\n😀" {
		t.Errorf("JSONEscape: %q %v", d, ok)
	}
	for _, s := range []string{`\x`, `\u12`, `trailing\`} {
		if _, ok := JSONEscape(s); ok {
			t.Errorf("JSONEscape(%q) accepted", s)
		}
	}
	if d, ok := Hex("48656C6c6f"); !ok || string(d) != "Hello" {
		t.Errorf("Hex: %q %v", d, ok)
	}
	for _, s := range []string{"", "abc", "zz"} {
		if _, ok := Hex(s); ok {
			t.Errorf("Hex(%q) accepted", s)
		}
	}
}

func TestLayers(t *testing.T) {
	inner := `{"session_key":"q8Zx+Fk2/Lm9Pn4Rs7Tu1w=="}`
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(inner)) + ".c2ln"
	for _, s := range []string{
		url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(inner))),
		hex.EncodeToString([]byte(inner)),
		jwt,
	} {
		found := false
		Layers(s, 16, func(l Layer) { found = found || l.Text == inner })
		if !found {
			t.Errorf("Layers(%.30q...) did not reach the inner text", s)
		}
	}
}

// TestVariants: every variant of a value occurs in the matching encoding
// of the value inside longer data, at every alignment.
func TestVariants(t *testing.T) {
	v := "3edf87da6dc2bd9a148492b81d6e1f89"
	vs := Variants(v)
	has := func(how string, data string) bool {
		for _, x := range vs {
			if x.How == how && strings.Contains(data, x.Text) {
				return true
			}
		}
		return false
	}
	for _, pre := range []string{"", "a", "ab", "abc"} {
		data := pre + v + "suffix"
		if !has("base64", base64.StdEncoding.EncodeToString([]byte(data))) {
			t.Errorf("base64 with prefix %q not matched", pre)
		}
		// (for a hex value the URL alphabet's form is the standard one)
		if !has("base64url", base64.RawURLEncoding.EncodeToString([]byte(data))) && !has("base64", base64.RawURLEncoding.EncodeToString([]byte(data))) {
			t.Errorf("base64url with prefix %q not matched", pre)
		}
	}
	if !has("hex", hex.EncodeToString([]byte(v))) || !has("raw", v) {
		t.Error("hex or raw not matched")
	}
	k := "q8Zx+Fk2/Lm9Pn4Rs7Tu1w=="
	kvs := Variants(k)
	for _, want := range []string{url.QueryEscape(k), strings.ReplaceAll(k, "/", `\/`), `q8Zx\u002bFk2\u002fLm9Pn4Rs7Tu1w\u003d\u003d`, "q8Zx%2bFk2%2fLm9Pn4Rs7Tu1w%3d%3d"} {
		ok := false
		for _, x := range kvs {
			ok = ok || x.Text == want
		}
		if !ok {
			t.Errorf("no variant %q", want)
		}
	}
	for _, x := range kvs {
		if len(x.Text) < MinVariant {
			t.Errorf("variant %q shorter than MinVariant", x.Text)
		}
	}
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"a%2Bb", "%", "%zz%41", "100%", "+%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := URL(s)
		if ok && len(d) > len(s) {
			t.Fatalf("URL(%q) grew to %q", s, d)
		}
		if e := url.QueryEscape(s); strings.Contains(e, "%") {
			if d, ok := URL(e); !ok || d != s {
				t.Fatalf("URL(QueryEscape(%q)) = %q, %v", s, d, ok)
			}
		}
	})
}

func FuzzBase64(f *testing.F) {
	for _, s := range []string{"aGVsbG8=", "aGVsbG8", "a-_b", "====", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Base64(s)
		if len(s) >= 3 {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				if d, ok := Base64(enc.EncodeToString([]byte(s))); !ok || string(d) != s {
					t.Fatalf("round trip of %q failed: %q %v", s, d, ok)
				}
			}
		}
	})
}

func FuzzJSONEscape(f *testing.F) {
	for _, s := range []string{`a\/b`, `\u002b`, `\ud83d\ude00`, `\ud83d`, `\`, `\\u0041`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = JSONEscape(s)
		if utf8.ValidString(s) {
			if d, ok := JSONEscape(jsonEscapeAll(s) + `\/`); !ok || d != s+"/" {
				t.Fatalf("round trip of %q failed: %q %v", s, d, ok)
			}
		}
	})
}

func FuzzHex(f *testing.F) {
	for _, s := range []string{"00", "abcdef", "ABCDEF", "0", "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Hex(s)
		if d, ok := Hex(hex.EncodeToString([]byte(s))); len(s) > 0 && (!ok || string(d) != s) {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}

func FuzzLayers(f *testing.F) {
	for _, s := range []string{"eyJhIjoiYiJ9.eyJjIjoiZCJ9.x", "7b2261223a2262227d", "%7B%22a%22%3A1%7D", `{\"a\":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		Layers(s, 16, func(l Layer) {
			n++
			if strings.Count(l.How, "+") >= MaxLayers {
				t.Fatalf("layer %q deeper than MaxLayers", l.How)
			}
		})
		if n > 1<<12 {
			t.Fatalf("%d layers", n)
		}
	})
}
