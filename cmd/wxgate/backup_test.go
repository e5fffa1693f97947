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

// TestBackupRestoreCommands runs the commands of docs/operations.md's
// backup and restore runbooks (backup/backup_test.go tests them under
// load and with damaged backups).
func TestBackupRestoreCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeCfg := func(d string) string {
		cfg := filepath.Join(d, "wxgate.yaml")
		os.WriteFile(cfg, []byte("dev: true\ndatabase: sqlite:"+filepath.Join(d, "data", "wxgate.db")+"\nkeys_file: "+filepath.Join(d, "data", "wxgate.keys")+"\n"), 0o600)
		return cfg
	}
	cfg := writeCfg(dir)
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(filepath.Join(dir, "data", "wxgate.keys"), kr, false); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "data", "wxgate.db"))
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
	out := filepath.Join(t.TempDir(), "backup-1")
	if code, s := runCmd("backup", "--config", cfg, "--out", out); code != 0 || !strings.Contains(s, "Backed up to") || !strings.Contains(s, "1 sealed values checked") {
		t.Fatalf("backup: %d %s", code, s)
	}
	if code, s := runCmd("backup", "--config", cfg, "--out", out); code == 0 || !strings.Contains(s, "not empty") {
		t.Fatalf("backup into a used directory: %d %s", code, s)
	}
	if code, s := runCmd("backup", "--config", cfg); code != 2 || !strings.Contains(s, "Usage: wxgate backup") {
		t.Fatalf("backup without --out: %d %s", code, s)
	}
	fresh := t.TempDir()
	cfg2 := writeCfg(fresh)
	if code, s := runCmd("restore", "--config", cfg2, "--from", out); code != 0 || !strings.Contains(s, "Restored the backup") || !strings.Contains(s, "all 1 sealed values open") {
		t.Fatalf("restore: %d %s", code, s)
	}
	if code, s := runCmd("restore", "--config", cfg2, "--verify"); code != 0 || !strings.Contains(s, "opens all 1 sealed values") {
		t.Fatalf("restore --verify: %d %s", code, s)
	}
	if code, s := runCmd("restore", "--config", cfg2, "--from", out); code == 0 || !strings.Contains(s, "already exists") {
		t.Fatalf("restore over restored data: %d %s", code, s)
	}
	if code, s := runCmd("restore", "--config", cfg2); code != 2 || !strings.Contains(s, "Usage: wxgate restore") {
		t.Fatalf("restore without --from: %d %s", code, s)
	}
}
