package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
)

func TestKeysRotateResealRetire(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "wxgate.keys")
	db := filepath.Join(dir, "wxgate.db")
	cfg := filepath.Join(dir, "wxgate.yaml")
	os.WriteFile(cfg, []byte("dev: true\ndatabase: sqlite:"+db+"\nkeys_file: "+keys+"\n"), 0o600)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(keys, kr, false); err != nil {
		t.Fatal(err)
	}
	first := kr.ActiveKeyID()
	// A user whose phone number is sealed under the first key.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	phone, _ := kr.Seal([]byte("+8613800000000"), []byte("phone/"+hexOf("usr_1")))
	if _, err := st.LinkIdentity(ctx, storage.LinkRequest{
		Identity: storage.Identity{ID: "idn_1", AppID: "wxA", OpenIDIndex: []byte("oi"), CreatedAt: now, UpdatedAt: now},
		NewUser:  storage.User{ID: "usr_1", Phone: phone, CreatedAt: now, UpdatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	runCmd := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := runCmd("keys", "rotate", "--file", keys); code != 0 || !strings.Contains(out, "is now active") || !strings.Contains(out, "Next:") {
		t.Fatalf("rotate: %d %s", code, out)
	}
	if code, out := runCmd("keys", "retire", "--id", first, "--config", cfg); code == 0 || !strings.Contains(out, "still sealed under "+first) {
		t.Fatalf("retire before reseal: %d %s", code, out)
	}
	code, out := runCmd("keys", "reseal", "--config", cfg)
	if code != 0 || !strings.Contains(out, "re-sealed 1 fields") {
		t.Fatalf("reseal: %d %s", code, out)
	}
	if code, out := runCmd("keys", "retire", "--id", first, "--config", cfg); code != 0 || !strings.Contains(out, "retired key "+first) {
		t.Fatalf("retire: %d %s", code, out)
	}
	after, err := seal.Load(keys)
	if err != nil || len(after.KeyIDs()) != 1 || after.ActiveKeyID() == first {
		t.Fatalf("keyring after retire: %v %v", after.KeyIDs(), err)
	}
	if code, out := runCmd("events", "--config", cfg, "--type", "key_rotation"); code != 0 || !strings.Contains(out, "key_rotation") || !strings.Contains(out, "resealed=1") {
		t.Fatalf("events: %d %s", code, out)
	}
	for _, s := range []string{"+8613800000000"} {
		if strings.Contains(out, s) {
			t.Error("a command printed a sealed value")
		}
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90m":                  now.Add(-90 * time.Minute),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2026-11-20T00:00:00Z": time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"-1h", "0d", "yesterday", "7 d", "1e3d"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}

// TestKeysRotateWithConfigReseals: rotate --config adds the key and
// re-seals in one step, so retiring the old key works right after.
func TestKeysRotateWithConfigReseals(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "wxgate.keys")
	db := filepath.Join(dir, "wxgate.db")
	cfg := filepath.Join(dir, "wxgate.yaml")
	os.WriteFile(cfg, []byte("dev: true\ndatabase: sqlite:"+db+"\nkeys_file: "+keys+"\n"), 0o600)
	kr, _ := seal.Generate()
	seal.WriteFile(keys, kr, false)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	phone, _ := kr.Seal([]byte("+8613900000000"), []byte("phone/"+hexOf("usr_2")))
	st.LinkIdentity(ctx, storage.LinkRequest{
		Identity: storage.Identity{ID: "idn_2", AppID: "wxA", OpenIDIndex: []byte("oi2"), CreatedAt: now, UpdatedAt: now},
		NewUser:  storage.User{ID: "usr_2", Phone: phone, CreatedAt: now, UpdatedAt: now},
	})
	st.Close()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"keys", "rotate", "--config", cfg}, &out, &errb); code != 0 || !strings.Contains(out.String(), "re-sealed 1 fields") {
		t.Fatalf("rotate --config: %d %s %s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"keys", "retire", "--id", kr.ActiveKeyID(), "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("retire after rotate --config: %d %s %s", code, out.String(), errb.String())
	}
}
