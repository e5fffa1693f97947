package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKeyA     = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	testKeyB     = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	testIndexKey = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
)

// keyFileWith returns testKeyFile as a generic JSON value after edit.
func keyFileWith(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(testKeyFile), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keyItem returns the i-th key object of a generic key file.
func keyItem(m map[string]any, i int) map[string]any {
	return m["keys"].([]any)[i].(map[string]any)
}

// secretNeedles returns the forms in which the given base64 keys might leak.
func secretNeedles(keys ...string) []string {
	var needles []string
	for _, s := range keys {
		b, _ := base64.StdEncoding.DecodeString(s)
		needles = append(needles, s, strings.TrimRight(s, "="), s[:16],
			base64.RawURLEncoding.EncodeToString(b),
			fmt.Sprintf("%x", b), fmt.Sprintf("%X", b), fmt.Sprintf("%x", b[:8]), fmt.Sprintf("% x", b[:8]),
			strings.Trim(fmt.Sprint(b[:8]), "[]"), strings.Trim(fmt.Sprintf("%#v", b[:8]), "[]byte{}"),
			string(b))
	}
	return needles
}

func TestParseRejectsMalformedAndHostileFiles(t *testing.T) {
	tooMany := keyFileWith(t, func(m map[string]any) {
		var keys []any
		for i := range maxKeys + 1 {
			b := bytes.Repeat([]byte{byte(i + 1)}, keySize)
			keys = append(keys, map[string]any{"id": fmt.Sprintf("%08x", i), "created": "2026-01-02T03:04:05Z", "key": base64.StdEncoding.EncodeToString(b)})
		}
		m["keys"], m["active"] = keys, "00000000"
	})
	tests := []struct {
		name string
		file string
		want string // a part of the error text
	}{
		// Not a key file at all.
		{"empty", "", "the file is empty"},
		{"whitespace", " \n", "the file is empty"},
		{"not JSON", "version=1", "not valid JSON"},
		{"null", "null", "not a JSON object"},
		{"array", "[" + testKeyFile + "]", "not a JSON object"},
		{"string", `"` + testKeyA + `"`, "not a JSON object"},
		{"truncated", testKeyFile[:len(testKeyFile)/2], "not a JSON object (it ends too soon)"},
		{"trailing data", testKeyFile + "x", "not valid JSON"},
		{"second object", testKeyFile + testKeyFile, "unexpected data after the JSON object"},
		{"deep nesting", `{"keys":` + strings.Repeat("[", 100000), "not a JSON object"},
		{"too large", testKeyFile + strings.Repeat(" ", maxFileSize), "larger than"},

		// Fields.
		{"unknown field", strings.Replace(testKeyFile, `"version"`, `"comment":"x","version"`, 1), `unknown field "comment"`},
		{"unknown key field", strings.Replace(testKeyFile, `"id": "0a0b0c0d"`, `"id": "0a0b0c0d", "note": 1`, 1), `unknown field "note"`},
		{"field of the wrong level", strings.Replace(testKeyFile, `"version": 1,`, `"version": 1, "id": "0a0b0c0d",`, 1), "not a valid key file"},
		{"differently cased field", strings.Replace(testKeyFile, `"active"`, `"Active"`, 1), `unknown field; did you mean "active"?`},
		{"field with a Kelvin sign", strings.Replace(testKeyFile, `"keys"`, `"\u212aeys"`, 1), `unknown field; did you mean "keys"?`},
		{"duplicate active", strings.Replace(testKeyFile, `"version": 1,`, `"version": 1, "active": "0a0b0c0d",`, 1), `field "active" appears twice`},
		{"duplicate key", strings.Replace(testKeyFile, `"id": "0a0b0c0d",`, `"id": "0a0b0c0d", "key": "`+testKeyB+`",`, 1), `field "key" appears twice`},
		{"key material as a field name", strings.Replace(testKeyFile, `"version": 1,`, `"`+testKeyA+`": 1, "version": 1,`, 1), "unknown field (near byte"},
		{"wrong type", strings.Replace(testKeyFile, `"version": 1`, `"version": "1"`, 1), `field "version" has the wrong type`},
		{"keys not an array", keyFileWith(t, func(m map[string]any) { m["keys"] = testKeyA }), `field "keys" has the wrong type`},

		// Version.
		{"version missing", keyFileWith(t, func(m map[string]any) { delete(m, "version") }), "version is missing"},
		{"version 2", keyFileWith(t, func(m map[string]any) { m["version"] = 2 }), "version 2 is not supported"},
		{"version -1", keyFileWith(t, func(m map[string]any) { m["version"] = -1 }), "version -1 is not supported"},
		{"version 1.5", strings.Replace(testKeyFile, `"version": 1`, `"version": 1.5`, 1), `field "version" has the wrong type`},
		{"version huge", strings.Replace(testKeyFile, `"version": 1`, `"version": 1e999`, 1), `field "version" has the wrong type`},

		// Index key.
		{"index_key missing", keyFileWith(t, func(m map[string]any) { delete(m, "index_key") }), "index_key must be 32 bytes"},
		{"index_key 16 bytes", keyFileWith(t, func(m map[string]any) { m["index_key"] = testKeyA[:22] + "==" }), "index_key must be 32 bytes"},
		{"index_key 33 bytes", keyFileWith(t, func(m map[string]any) {
			m["index_key"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 33))
		}), "index_key must be 32 bytes"},
		{"index_key unpadded", keyFileWith(t, func(m map[string]any) { m["index_key"] = strings.TrimRight(testIndexKey, "=") }), "index_key must be 32 bytes"},
		{"index_key url-safe", keyFileWith(t, func(m map[string]any) {
			m["index_key"] = base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
		}), "index_key must be 32 bytes"},
		{"index_key with a line break", keyFileWith(t, func(m map[string]any) { m["index_key"] = testIndexKey[:20] + "\n" + testIndexKey[20:] }), "index_key must be 32 bytes"},
		{"index_key stray padding bits", keyFileWith(t, func(m map[string]any) { m["index_key"] = testIndexKey[:42] + "9=" }), "index_key must be 32 bytes"},
		{"index_key all zero", keyFileWith(t, func(m map[string]any) { m["index_key"] = base64.StdEncoding.EncodeToString(make([]byte, 32)) }), "index_key must be 32 bytes"},
		{"index_key equals a key", keyFileWith(t, func(m map[string]any) { m["index_key"] = testKeyA }), "key 0a0b0c0d: key equals index_key"},

		// Keys.
		{"keys missing", keyFileWith(t, func(m map[string]any) { delete(m, "keys") }), "keys is empty"},
		{"keys null", keyFileWith(t, func(m map[string]any) { m["keys"] = nil }), "keys is empty"},
		{"keys empty", keyFileWith(t, func(m map[string]any) { m["keys"] = []any{} }), "keys is empty"},
		{"key null", keyFileWith(t, func(m map[string]any) { m["keys"] = []any{nil} }), "keys[0]: id must be 8 lowercase hex digits"},
		{"too many keys", tooMany, "101 keys is more than the 100 allowed"},
		{"id missing", keyFileWith(t, func(m map[string]any) { delete(keyItem(m, 0), "id") }), "keys[0]: id must be 8 lowercase hex digits"},
		{"id upper case", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["id"] = "0A0B0C0D" }), "keys[0]: id must be 8 lowercase hex digits"},
		{"id short", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["id"] = "0a0b0c" }), "keys[0]: id must be"},
		{"id not hex", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["id"] = "0a0b0c0g" }), "keys[0]: id must be"},
		{"id is key material", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["id"] = testKeyA }), "keys[0]: id must be"},
		{"id twice", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["id"] = "1a1b1c1d" }), "keys[1]: id 1a1b1c1d is used twice"},
		{"key missing", keyFileWith(t, func(m map[string]any) { delete(keyItem(m, 0), "key") }), "key 0a0b0c0d: key must be 32 bytes"},
		{"key 31 bytes", keyFileWith(t, func(m map[string]any) {
			keyItem(m, 1)["key"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 31))
		}), "key 1a1b1c1d: key must be 32 bytes"},
		{"key 64 bytes", keyFileWith(t, func(m map[string]any) { keyItem(m, 1)["key"] = testKeyA[:43] + testKeyB }), "key 1a1b1c1d: key must be 32 bytes"},
		{"key all zero", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["key"] = base64.StdEncoding.EncodeToString(make([]byte, 32)) }), "key 0a0b0c0d: key must be 32 bytes"},
		{"key used twice", keyFileWith(t, func(m map[string]any) { keyItem(m, 1)["key"] = testKeyA }), "key 1a1b1c1d: key equals the key of 0a0b0c0d"},
		{"created missing", keyFileWith(t, func(m map[string]any) { delete(keyItem(m, 0), "created") }), "key 0a0b0c0d: created must be an RFC 3339 time"},
		{"created not RFC 3339", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = "2026-01-02 03:04:05" }), "key 0a0b0c0d: created must be"},
		{"created in year 0 in UTC", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = "0000-01-01T00:00:00+01:00" }), "key 0a0b0c0d: created must be"},
		{"created in year 10000 in UTC", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = "9999-12-31T23:59:59-01:00" }), "key 0a0b0c0d: created must be"},
		{"created is key material", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = testKeyA }), "key 0a0b0c0d: created must be"},

		// Active.
		{"active missing", keyFileWith(t, func(m map[string]any) { delete(m, "active") }), "active is missing"},
		{"active unknown", keyFileWith(t, func(m map[string]any) { m["active"] = "deadbeef" }), "active key deadbeef is not in keys"},
		{"active malformed", keyFileWith(t, func(m map[string]any) { m["active"] = "1A1B1C1D" }), "active must be a key id"},
		{"active is key material", keyFileWith(t, func(m map[string]any) { m["active"] = testKeyB }), "active must be a key id"},
		{"active names a broken key", keyFileWith(t, func(m map[string]any) { keyItem(m, 1)["id"] = "nope" }), "active key 1a1b1c1d is not in keys"},
	}
	needles := secretNeedles(testKeyA, testKeyB, testIndexKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Parse([]byte(tt.file))
			if err == nil {
				t.Fatalf("Parse succeeded: %v", k)
			}
			if k != nil {
				t.Error("Parse returned a keyring with its error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "seal: key file: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			for _, n := range needles {
				if strings.Contains(msg, n) {
					t.Errorf("error %q echoes key material", msg)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	file := keyFileWith(t, func(m map[string]any) {
		m["version"] = 3
		m["active"] = "deadbeef"
		keyItem(m, 0)["created"] = "yesterday"
	})
	_, err := Parse([]byte(file))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	for _, want := range []string{"version 3", "key 0a0b0c0d: created", "active key deadbeef"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, file string }{
		{"the reference file", testKeyFile},
		{"compact", keyFileWith(t, func(map[string]any) {})},
		{"active is not the newest", keyFileWith(t, func(m map[string]any) { m["active"] = "0a0b0c0d" })},
		{"fractional seconds and an offset", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = "2025-01-02T11:04:05.5+08:00" })},
		{"created at the Unix epoch", keyFileWith(t, func(m map[string]any) { keyItem(m, 0)["created"] = "1970-01-01T00:00:00Z" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Parse([]byte(tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := strings.Join(k.KeyIDs(), " "); got != "0a0b0c0d 1a1b1c1d" {
				t.Errorf("KeyIDs = %s", got)
			}
			again, err := Parse(mustMarshal(t, k))
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v", err)
			}
			if a, b := k.Keys()[0].Created, again.Keys()[0].Created; !a.Equal(b) || a.Location() != time.UTC {
				t.Errorf("created %v after a round trip is %v", a, b)
			}
		})
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	g, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := g.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := k.Seal([]byte(katPlain), []byte(katAAD))
	if err != nil {
		t.Fatal(err)
	}
	file := mustMarshal(t, k)
	p, err := Parse(file)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v\n%s", err, file)
	}
	if p.ActiveKeyID() != k.ActiveKeyID() || fmt.Sprint(p.Keys()) != fmt.Sprint(k.Keys()) {
		t.Errorf("round trip changed the keyring: %v %v, want %v %v", p, p.Keys(), k, k.Keys())
	}
	if got, err := p.Open(blob, []byte(katAAD)); err != nil || string(got) != katPlain {
		t.Errorf("Open after the round trip = %q, %v", got, err)
	}
	if !bytes.Equal(p.Index("openid", "x"), k.Index("openid", "x")) {
		t.Error("the round trip changed the index key")
	}
	if again := mustMarshal(t, p); !bytes.Equal(again, file) {
		t.Errorf("Marshal is not stable:\n%s\n%s", file, again)
	}

	// The reference file in the tests is what Marshal writes.
	if got := mustMarshal(t, testKeyring(t)); string(got) != testKeyFile {
		t.Errorf("Marshal of the reference keyring:\n%s\nwant\n%s", got, testKeyFile)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.keys")
	if err := os.WriteFile(good, []byte(testKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := Load(good)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if k.ActiveKeyID() != "1a1b1c1d" {
		t.Errorf("active = %s", k.ActiveKeyID())
	}

	bad := filepath.Join(dir, "bad.keys")
	if err := os.WriteFile(bad, []byte(strings.Replace(testKeyFile, `"version": 1`, `"version": 7`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.keys")
	if err := os.WriteFile(huge, bytes.Repeat([]byte(" "), maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.keys")
	tests := []struct {
		name, path string
		want       []string
	}{
		{"missing", missing, []string{"seal: no key file at " + missing, "create one with `wxgate keys init --file " + missing + "`"}},
		{"invalid", bad, []string{"seal: key file " + bad + ": version 7 is not supported", "restore it from your backup"}},
		{"too large", huge, []string{"seal: cannot read the key file", "not a key file"}},
		{"a directory", dir, []string{"seal: cannot read the key file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if errors.Is(err, fs.ErrNotExist) != (tt.path == missing) {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v", err, !(tt.path == missing))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range secretNeedles(testKeyA, testKeyB, testIndexKey) {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q echoes key material", err)
				}
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wxgate.keys")
	k := testKeyring(t)
	if err := WriteFile(path, k, false); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	checkFile(t, path, testKeyFile)

	// No overwrite unless asked; the file is left as it was.
	other, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	err = WriteFile(path, other, false)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists") || !strings.HasPrefix(err.Error(), "seal: ") {
		t.Errorf("WriteFile over an existing file: %v, want fs.ErrExist", err)
	}
	checkFile(t, path, testKeyFile)

	// With overwrite the file is replaced, and mode 0600 even if the old
	// file was looser.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, other, true); err != nil {
		t.Fatalf("WriteFile with overwrite: %v", err)
	}
	checkFile(t, path, string(mustMarshal(t, other)))

	// Nothing but the key file is left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only wxgate.keys", names)
	}

	if err := WriteFile(filepath.Join(dir, "missing", "wxgate.keys"), k, false); err == nil || !strings.HasPrefix(err.Error(), "seal: ") {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
	if err := WriteFile(dir, k, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteFile onto a directory: %v, want fs.ErrExist", err)
	}
}

// TestWriteFileIsAtomic overwrites a key file again and again while readers
// load it: every read sees one whole keyring or the other.
func TestWriteFileIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	a := testKeyring(t)
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, a, false); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				k, err := Load(path)
				if err != nil {
					t.Errorf("Load during WriteFile: %v", err)
					return
				}
				if id := k.ActiveKeyID(); id != a.ActiveKeyID() && id != b.ActiveKeyID() {
					t.Errorf("Load read a keyring with active key %s", id)
					return
				}
			}
		})
	}
	for i := range 200 {
		if err := WriteFile(path, []*Keyring{a, b}[i%2], true); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	wg.Wait()
}

// TestWriteFileNoOverwriteRace starts many writers at once: exactly one
// creates the file, and the others are refused.
func TestWriteFileNoOverwriteRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for range 16 {
		wg.Go(func() {
			k, err := Generate()
			if err != nil {
				t.Error(err)
				return
			}
			err = WriteFile(path, k, false)
			switch {
			case err == nil:
				mu.Lock()
				won = append(won, k.ActiveKeyID())
				mu.Unlock()
			case !errors.Is(err, fs.ErrExist):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d writers succeeded, want 1", len(won))
	}
	k, err := Load(path)
	if err != nil || k.ActiveKeyID() != won[0] {
		t.Errorf("the file holds %v (%v), want the winner's keyring %s", k, err, won[0])
	}
}

// checkFile checks that path holds want with mode 0600.
func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds\n%s\nwant\n%s", path, got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}
