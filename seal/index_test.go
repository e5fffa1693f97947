package seal

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// TestIndexKnownAnswers pins the index encoding. The expected values were
// computed independently (Python's hmac module) as HMAC-SHA256 under the
// index key 0x40..0x5f of each field preceded by its 8-byte big-endian
// length. Changing them breaks every stored index.
func TestIndexKnownAnswers(t *testing.T) {
	k := testKeyring(t)
	tests := []struct {
		name   string
		domain string
		parts  []string
		want   string
	}{
		{"openid scoped by appid", "openid", []string{"wx4f4bc4dec97d474b", "oGZUI0egBJY1zhBYw2KhdUfwVJJE"}, "9c05f5a20e5518d43ec0c67e2df6408ef53de4e2d857479fc1ab2ee31e1e75e9"},
		{"phone", "phone", []string{"+8613800138000"}, "1a1a9cda9755d08083453d2c08379b81fccc4a262f9d809d9c36e73cafde6697"},
		{"empty domain, no parts", "", nil, "4ee81ed9501d9047a4453b4be733bc7dae61001b594b3bc9ddd77d8aeb1db847"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := k.Index(tt.domain, tt.parts...)
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("Index = %x, want %s", got, tt.want)
			}
			if len(got) != IndexSize {
				t.Errorf("len = %d, want %d", len(got), IndexSize)
			}
		})
	}
}

func TestIndexIsDeterministicAndKeyed(t *testing.T) {
	k := testKeyring(t)
	reparsed, err := Parse(mustMarshal(t, k))
	if err != nil {
		t.Fatal(err)
	}
	other, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	a := k.Index("openid", "wx1", "o1")
	if !bytes.Equal(a, k.Index("openid", "wx1", "o1")) {
		t.Error("Index differs between two calls")
	}
	if !bytes.Equal(a, reparsed.Index("openid", "wx1", "o1")) {
		t.Error("Index differs after Marshal and Parse")
	}
	if bytes.Equal(a, other.Index("openid", "wx1", "o1")) {
		t.Error("two keyrings give the same index")
	}
	a[0] ^= 0xff // the caller owns the result
	if bytes.Equal(a, k.Index("openid", "wx1", "o1")) {
		t.Error("Index returned shared memory")
	}
}

// TestIndexIsInjective checks that no two of these inputs, several of which
// concatenate to the same bytes, share an index: domains separate, and the
// length prefixes keep field boundaries.
func TestIndexIsInjective(t *testing.T) {
	k := testKeyring(t)
	inputs := [][]string{
		{"openid", "abc"},
		{"unionid", "abc"},
		{"phone", "abc"},
		{"openid", "ab", "c"},
		{"openid", "a", "bc"},
		{"openid", "a", "b", "c"},
		{"openida", "bc"},
		{"openidabc"},
		{"openid", "abc", ""},
		{"openid", "", "abc"},
		{"openid"},
		{"openid", ""},
		{"openid", "", ""},
		{""},
		{"", ""},
		{"openid", "\x00\x00\x00\x00\x00\x00\x00\x03abc"},
		{"openid\x00\x00\x00\x00\x00\x00\x00\x03abc"},
		{"openid", "ABC"},
		{"openid", "abc "},
	}
	seen := map[string][]string{}
	for _, in := range inputs {
		idx := string(k.Index(in[0], in[1:]...))
		if prev, dup := seen[idx]; dup {
			t.Errorf("Index(%q) == Index(%q)", in, prev)
		}
		seen[idx] = in
	}
}

func TestIndexLongInput(t *testing.T) {
	k := testKeyring(t)
	long := strings.Repeat("x", 1<<20)
	if a, b := k.Index("blob", long), k.Index("blob", long+"x"); len(a) != IndexSize || bytes.Equal(a, b) {
		t.Errorf("long inputs: %x, %x", a, b)
	}
}
