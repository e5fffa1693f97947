package seal

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FuzzOpen feeds Open arbitrary blobs and aads under the test keyring. It
// must never panic and must fail with exactly ErrOpen, except for the two
// known-answer blobs with their own aad, which nobody can forge.
func FuzzOpen(f *testing.F) {
	k := testKeyring(f)
	openid := mustHex(f, katOpenID)
	empty := mustHex(f, katEmpty)
	f.Add(openid, []byte(katAAD))
	f.Add(empty, []byte(nil))
	f.Add(openid, []byte("identity/2/openid"))
	f.Add(openid[:Overhead], []byte(katAAD))
	f.Add(openid[:Overhead-1], []byte(katAAD))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{version1, 0x1a, 0x1b, 0x1c, 0x1d}, []byte{})
	f.Add(append([]byte{2}, openid[1:]...), []byte(katAAD))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		got, err := k.Open(sealed, aad)
		id, ok := k.SealedWith(sealed)
		switch {
		case err == nil && bytes.Equal(sealed, openid) && string(aad) == katAAD:
			if string(got) != katPlain {
				t.Fatalf("Open = %q", got)
			}
		case err == nil && bytes.Equal(sealed, empty) && len(aad) == 0:
			if len(got) != 0 {
				t.Fatalf("Open = %q", got)
			}
		case err == nil:
			t.Fatalf("Open(%x, %q) succeeded: %q", sealed, aad, got)
		case err != ErrOpen || got != nil:
			t.Fatalf("Open = %q, %v; want nil, ErrOpen", got, err)
		}
		if err == nil && (!ok || !slices.Contains(k.KeyIDs(), id)) {
			t.Fatalf("SealedWith of an opened blob = %q, %v", id, ok)
		}
	})
}

// FuzzParse feeds Parse arbitrary files. It must never panic; a file it
// accepts must survive Marshal and Parse unchanged and seal and open values.
func FuzzParse(f *testing.F) {
	f.Add([]byte(testKeyFile))
	f.Add([]byte(strings.Replace(testKeyFile, `"active": "1a1b1c1d"`, `"active": "0a0b0c0d"`, 1)))
	f.Add([]byte(strings.Replace(testKeyFile, `"version": 1`, `"version": 2`, 1)))
	f.Add([]byte(strings.Replace(testKeyFile, `"active"`, `"Active"`, 1)))
	f.Add([]byte(testKeyFile + testKeyFile))
	f.Add([]byte(`{"version":1,"active":"0a0b0c0d","keys":[{"id":"0a0b0c0d"}]}`))
	f.Add([]byte(`{"keys":[[[[{}]]]]}`))
	f.Add([]byte(""))
	f.Add([]byte(strings.Replace(testKeyFile, "2025-01-02T03:04:05Z", "0001-01-01T00:00:00.123+00:01", 1)))
	f.Add([]byte("{"))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Parse(data)
		if err != nil {
			if k != nil {
				t.Fatal("Parse returned a keyring and an error")
			}
			if !strings.HasPrefix(err.Error(), "seal: key file: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		file, err := k.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse(file)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(data))): %v", err)
		}
		if file2, _ := again.Marshal(); !bytes.Equal(file, file2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", file, file2)
		}
		if fmt.Sprint(k.Keys()) != fmt.Sprint(again.Keys()) {
			t.Fatalf("Keys changed: %v, %v", k.Keys(), again.Keys())
		}
		if !bytes.Equal(k.Index("d", "x"), again.Index("d", "x")) {
			t.Fatal("the index key changed")
		}
		blob, err := k.Seal([]byte("x"), []byte("aad"))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if got, err := again.Open(blob, []byte("aad")); err != nil || string(got) != "x" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
}

// FuzzIndexInjective checks that two different (domain, part) pairs never
// share an index, whichever way their bytes line up.
func FuzzIndexInjective(f *testing.F) {
	k := testKeyring(f)
	f.Add("openid", "ab", "openida", "b")
	f.Add("ab", "c", "a", "bc")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, d1, p1, d2, p2 string) {
		same := d1 == d2 && p1 == p2
		if eq := bytes.Equal(k.Index(d1, p1), k.Index(d2, p2)); eq != same {
			t.Fatalf("Index(%q, %q) == Index(%q, %q) is %v", d1, p1, d2, p2, eq)
		}
		if bytes.Equal(k.Index(d1, p1), k.Index(d1+p1)) && p1 != "" {
			t.Fatalf("Index(%q, %q) == Index(%q)", d1, p1, d1+p1)
		}
	})
}
