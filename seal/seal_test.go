package seal

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testKeyFile is a fixed keyring for known-answer tests: key 0a0b0c0d is
// bytes 0x00..0x1f, key 1a1b1c1d (active) is 0x20..0x3f, and the index key is
// 0x40..0x5f.
const testKeyFile = `{
  "version": 1,
  "active": "1a1b1c1d",
  "index_key": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=",
  "keys": [
    {
      "id": "0a0b0c0d",
      "created": "2025-01-02T03:04:05Z",
      "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    },
    {
      "id": "1a1b1c1d",
      "created": "2026-01-02T03:04:05Z",
      "key": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
    }
  ]
}
`

// Known answers, computed independently (Python's cryptography package):
// AES-256-GCM with the key and nonce named, additional data = header || aad.
const (
	// katOpenID sealed under key 1a1b1c1d, nonce 00..0b, aad katAAD.
	katOpenID = "011a1b1c1d000102030405060708090a0b331507f203058e8bfeb390f75c1b1c656442a20c0e44c066724799ff776eea5e3c0adc91873816289d4875c8"
	katAAD    = "identity/1/openid"
	katPlain  = "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
	// katEmpty is "" sealed under key 0a0b0c0d, nonce 64..6f, empty aad.
	katEmpty = "010a0b0c0d6465666768696a6b6c6d6e6f3868f8197121f7a944aaf123f49e60eb"
)

// testKeyring parses testKeyFile.
func testKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := Parse([]byte(testKeyFile))
	if err != nil {
		t.Fatalf("Parse(testKeyFile): %v", err)
	}
	return k
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenKnownAnswers(t *testing.T) {
	k := testKeyring(t)
	tests := []struct {
		name, sealed, aad, want, keyID string
	}{
		{"openid under the active key", katOpenID, katAAD, katPlain, "1a1b1c1d"},
		{"empty under an old key", katEmpty, "", "", "0a0b0c0d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob := mustHex(t, tt.sealed)
			got, err := k.Open(blob, []byte(tt.aad))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if string(got) != tt.want || got == nil {
				t.Errorf("Open = %q, want %q", got, tt.want)
			}
			if id, ok := k.SealedWith(blob); !ok || id != tt.keyID {
				t.Errorf("SealedWith = %q, %v; want %q, true", id, ok, tt.keyID)
			}
		})
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKeyring(t)
	plaintexts := map[string][]byte{
		"nil":    nil,
		"empty":  {},
		"byte":   {0},
		"openid": []byte(katPlain),
		"64":     bytes.Repeat([]byte{0xa5}, 64),
		"1MiB":   bytes.Repeat([]byte("x"), 1<<20),
	}
	aads := map[string][]byte{"nil": nil, "place": []byte(katAAD), "binary": {0, 0xff, 0}}
	for pn, p := range plaintexts {
		for an, aad := range aads {
			t.Run(pn+"/"+an, func(t *testing.T) {
				blob, err := k.Seal(p, aad)
				if err != nil {
					t.Fatalf("Seal: %v", err)
				}
				if len(blob) != len(p)+Overhead {
					t.Errorf("len(sealed) = %d, want %d", len(blob), len(p)+Overhead)
				}
				if id, ok := k.SealedWith(blob); !ok || id != k.ActiveKeyID() {
					t.Errorf("SealedWith = %q, %v; want the active key %q", id, ok, k.ActiveKeyID())
				}
				got, err := k.Open(blob, aad)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(got, p) || got == nil {
					t.Errorf("Open returned %d bytes, want the %d sealed", len(got), len(p))
				}
			})
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := testKeyring(t)
	seen := map[string]bool{}
	for range 1000 {
		blob, err := k.Seal([]byte(katPlain), nil)
		if err != nil {
			t.Fatal(err)
		}
		nonce := string(blob[headerSize : headerSize+nonceSize])
		if seen[nonce] {
			t.Fatal("a nonce repeated")
		}
		seen[nonce] = true
	}
}

func TestSealDoesNotAliasInputs(t *testing.T) {
	k := testKeyring(t)
	p := []byte(katPlain)
	aad := []byte(katAAD)
	blob, err := k.Seal(p, aad)
	if err != nil {
		t.Fatal(err)
	}
	if string(p) != katPlain || string(aad) != katAAD {
		t.Fatal("Seal modified its inputs")
	}
	got, err := k.Open(blob, aad)
	if err != nil {
		t.Fatal(err)
	}
	got[0] ^= 0xff // the caller owns the plaintext; the blob must not change
	if again, err := k.Open(blob, aad); err != nil || string(again) != katPlain {
		t.Fatalf("Open after modifying a result = %q, %v", again, err)
	}
}

// TestAADBindsBlobToItsPlace shows what the aad is for: a blob copied to
// another row, or to another column of its row, does not open there.
func TestAADBindsBlobToItsPlace(t *testing.T) {
	k := testKeyring(t)
	type cell struct{ row, column, value string }
	cells := []cell{
		{"1", "openid", "o-alice"},
		{"1", "unionid", "u-alice"},
		{"2", "openid", "o-bob"},
		{"2", "unionid", "u-bob"},
	}
	aad := func(c cell) []byte { return []byte("identity/" + c.row + "/" + c.column) }
	sealed := make([][]byte, len(cells))
	for i, c := range cells {
		var err error
		if sealed[i], err = k.Seal([]byte(c.value), aad(c)); err != nil {
			t.Fatal(err)
		}
	}
	for i, from := range cells {
		for j, to := range cells {
			got, err := k.Open(sealed[i], aad(to))
			if i == j {
				if err != nil || string(got) != from.value {
					t.Errorf("%s/%s in place: Open = %q, %v", from.row, from.column, got, err)
				}
				continue
			}
			if err != ErrOpen || got != nil {
				t.Errorf("%s/%s moved to %s/%s: Open = %q, %v; want ErrOpen", from.row, from.column, to.row, to.column, got, err)
			}
		}
	}
}

// TestOpenRefusesTampering flips bits in every byte of a blob, truncates it
// at every length and extends it: each change gives ErrOpen.
func TestOpenRefusesTampering(t *testing.T) {
	k := testKeyring(t)
	aad := []byte(katAAD)
	blob, err := k.Seal([]byte(katPlain), aad)
	if err != nil {
		t.Fatal(err)
	}
	region := func(i int) string {
		switch {
		case i == 0:
			return "version"
		case i < headerSize:
			return "key id"
		case i < headerSize+nonceSize:
			return "nonce"
		case i < len(blob)-tagSize:
			return "ciphertext"
		default:
			return "tag"
		}
	}
	for i := range blob {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(blob)
			bad[i] ^= mask
			if got, err := k.Open(bad, aad); err != ErrOpen || got != nil {
				t.Errorf("%s byte %d ^ %#x: Open = %q, %v; want ErrOpen", region(i), i, mask, got, err)
			}
		}
	}
	for n := range len(blob) {
		if got, err := k.Open(blob[:n], aad); err != ErrOpen || got != nil {
			t.Errorf("truncated to %d bytes: Open = %q, %v; want ErrOpen", n, got, err)
		}
	}
	if _, err := k.Open(append(bytes.Clone(blob), 0), aad); err != ErrOpen {
		t.Errorf("extended by a byte: Open error = %v; want ErrOpen", err)
	}
	if _, err := k.Open(blob, aad); err != nil {
		t.Errorf("the original no longer opens: %v", err)
	}
}

func TestOpenFailuresAreOpaque(t *testing.T) {
	k := testKeyring(t)
	other, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	good := mustHex(t, katOpenID)
	withByte := func(i int, b byte) []byte {
		c := bytes.Clone(good)
		c[i] = b
		return c
	}
	tests := []struct {
		name   string
		k      *Keyring
		sealed []byte
		aad    string
	}{
		{"nil blob", k, nil, katAAD},
		{"empty blob", k, []byte{}, katAAD},
		{"header only", k, good[:headerSize], katAAD},
		{"one byte short", k, good[:Overhead-1], katAAD},
		{"version 0", k, withByte(0, 0), katAAD},
		{"version 2", k, withByte(0, 2), katAAD},
		{"version 255", k, withByte(0, 0xff), katAAD},
		{"unknown key id", k, withByte(1, 0xee), katAAD},
		{"wrong aad", k, good, "identity/2/openid"},
		{"no aad", k, good, ""},
		{"another keyring", other, good, katAAD},
		{"zero keyring", &Keyring{}, good, katAAD},
		{"nil keyring", nil, good, katAAD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.k.Open(tt.sealed, []byte(tt.aad))
			if err != ErrOpen || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrOpen", got, err)
			}
			if err.Error() != "seal: cannot open sealed value" {
				t.Errorf("error text %q", err)
			}
		})
	}
}

func TestSealedWith(t *testing.T) {
	k := testKeyring(t)
	good := mustHex(t, katOpenID)
	foreign := bytes.Clone(good)
	copy(foreign[1:headerSize], []byte{0xde, 0xad, 0xbe, 0xef})
	v2 := bytes.Clone(good)
	v2[0] = 2
	tests := []struct {
		name   string
		sealed []byte
		id     string
		ok     bool
	}{
		{"sealed here", good, "1a1b1c1d", true},
		{"key not in the keyring", foreign, "deadbeef", true},
		{"unknown version", v2, "", false},
		{"too short", good[:Overhead-1], "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := k.SealedWith(tt.sealed)
			if id != tt.id || ok != tt.ok {
				t.Errorf("SealedWith = %q, %v; want %q, %v", id, ok, tt.id, tt.ok)
			}
		})
	}
}

func TestRotated(t *testing.T) {
	k := testKeyring(t)
	old, err := k.Seal([]byte(katPlain), []byte(katAAD))
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.Rotated()
	if err != nil {
		t.Fatalf("Rotated: %v", err)
	}
	newID := r.ActiveKeyID()
	if got, want := strings.Join(r.KeyIDs(), " "), "0a0b0c0d 1a1b1c1d "+newID; got != want {
		t.Errorf("KeyIDs = %s, want %s", got, want)
	}
	if _, ok := parseKeyID(newID); !ok || newID == "1a1b1c1d" || newID == "0a0b0c0d" {
		t.Errorf("new active id %q", newID)
	}
	if infos := r.Keys(); len(infos) != 3 || !infos[2].Active || infos[2].Created.IsZero() || infos[1].Active {
		t.Errorf("Keys = %+v", infos)
	}

	// Old blobs open; new blobs use the new key; the index is unchanged.
	if got, err := r.Open(old, []byte(katAAD)); err != nil || string(got) != katPlain {
		t.Errorf("old blob under the rotated keyring: %q, %v", got, err)
	}
	if got, err := r.Open(mustHex(t, katEmpty), nil); err != nil || len(got) != 0 {
		t.Errorf("oldest blob under the rotated keyring: %q, %v", got, err)
	}
	fresh, err := r.Seal([]byte(katPlain), []byte(katAAD))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := r.SealedWith(fresh); id != newID {
		t.Errorf("new blob sealed with %s, want %s", id, newID)
	}
	if !bytes.Equal(r.Index("openid", "x"), k.Index("openid", "x")) {
		t.Error("Rotated changed the index key")
	}

	// k is untouched: it still seals with its own active key and cannot
	// open what the rotated keyring sealed.
	if k.ActiveKeyID() != "1a1b1c1d" || len(k.KeyIDs()) != 2 {
		t.Errorf("Rotated modified its receiver: %v", k)
	}
	if _, err := k.Open(fresh, []byte(katAAD)); err != ErrOpen {
		t.Errorf("receiver opened a blob sealed under the new key: %v", err)
	}
}

func TestRotatedManyTimes(t *testing.T) {
	k := testKeyring(t)
	var err error
	for len(k.KeyIDs()) < maxKeys {
		if k, err = k.Rotated(); err != nil {
			t.Fatalf("Rotated with %d keys: %v", len(k.KeyIDs()), err)
		}
	}
	if _, err := k.Rotated(); err == nil || !strings.HasPrefix(err.Error(), "seal: ") {
		t.Errorf("Rotated past %d keys: err = %v", maxKeys, err)
	}
	if _, err := Parse(mustMarshal(t, k)); err != nil {
		t.Errorf("a keyring of %d keys does not parse: %v", maxKeys, err)
	}
}

func TestRetire(t *testing.T) {
	k := testKeyring(t)
	oldBlob := mustHex(t, katEmpty) // sealed under 0a0b0c0d
	r, err := k.Retire("0a0b0c0d")
	if err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if got := strings.Join(r.KeyIDs(), " "); got != "1a1b1c1d" || r.ActiveKeyID() != "1a1b1c1d" {
		t.Errorf("after Retire: KeyIDs %s, active %s", got, r.ActiveKeyID())
	}
	if got, err := r.Open(oldBlob, nil); err != ErrOpen || got != nil {
		t.Errorf("blob of a retired key: Open = %q, %v; want ErrOpen", got, err)
	}
	if id, ok := r.SealedWith(oldBlob); id != "0a0b0c0d" || !ok {
		t.Errorf("SealedWith of a retired key's blob = %q, %v", id, ok)
	}
	if _, err := r.Open(mustHex(t, katOpenID), []byte(katAAD)); err != nil {
		t.Errorf("blob of the kept key: %v", err)
	}
	if _, err := k.Open(oldBlob, nil); err != nil {
		t.Errorf("Retire modified its receiver: %v", err)
	}

	for _, tt := range []struct{ name, id, want string }{
		{"active", "1a1b1c1d", "seal: key 1a1b1c1d is the active key"},
		{"unknown", "deadbeef", "seal: no key deadbeef"},
		{"malformed", "0A0B0C0D", "seal: a key id is 8 lowercase hex digits"},
		{"empty", "", "seal: a key id is 8 lowercase hex digits"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Retire(tt.id); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Retire(%q) = %v, want %q...", tt.id, err, tt.want)
			}
		})
	}
}

func TestZeroKeyring(t *testing.T) {
	for name, k := range map[string]*Keyring{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Seal([]byte("x"), nil); err == nil {
				t.Error("Seal succeeded")
			}
			if _, err := k.Open(mustHex(t, katOpenID), []byte(katAAD)); err != ErrOpen {
				t.Errorf("Open = %v", err)
			}
			if _, err := k.Marshal(); err == nil {
				t.Error("Marshal succeeded")
			}
			if _, err := k.Rotated(); err == nil {
				t.Error("Rotated succeeded")
			}
			if _, err := k.Retire("0a0b0c0d"); err == nil {
				t.Error("Retire succeeded")
			}
			if k.ActiveKeyID() != "" || k.KeyIDs() != nil || k.Keys() != nil {
				t.Error("ids of an empty keyring")
			}
			if err := WriteFile(t.TempDir()+"/k", k, false); err == nil {
				t.Error("WriteFile succeeded")
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Error("Index did not panic")
					}
				}()
				k.Index("openid", "x")
			}()
		})
	}
}

func TestGenerate(t *testing.T) {
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if a.ActiveKeyID() == b.ActiveKeyID() || bytes.Equal(a.r.active.secret, b.r.active.secret) || bytes.Equal(a.r.indexKey[:], b.r.indexKey[:]) {
		t.Error("two Generate calls share a key")
	}
	if bytes.Equal(a.r.active.secret, a.r.indexKey[:]) {
		t.Error("the index key equals the AES key")
	}
	if ids := a.KeyIDs(); len(ids) != 1 || ids[0] != a.ActiveKeyID() {
		t.Errorf("KeyIDs = %v", ids)
	}
	if c := a.Keys()[0].Created; c.IsZero() || c.Location().String() != "UTC" {
		t.Errorf("Created = %v", c)
	}
}

// TestConcurrentUse runs Seal, Open and Index on one keyring from many
// goroutines while another goroutine derives new keyrings from it; run it
// with -race.
func TestConcurrentUse(t *testing.T) {
	k := testKeyring(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			aad := []byte(fmt.Sprintf("identity/%d/openid", g))
			for range 200 {
				blob, err := k.Seal([]byte(katPlain), aad)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := k.Open(blob, aad); err != nil || string(got) != katPlain {
					t.Errorf("Open = %q, %v", got, err)
					return
				}
				k.Index("openid", katPlain)
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			r, err := k.Rotated()
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := r.Retire("0a0b0c0d"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
}

func mustMarshal(t testing.TB, k *Keyring) []byte {
	t.Helper()
	b, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
