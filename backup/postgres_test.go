package backup_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/backup"
	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/seal"
)

// TestPostgresBackupPlan: for PostgreSQL the backup checks the server's
// version, writes keyring and manifest, and gives the pg_dump command
// without the password. Needs the PostgreSQL of `make test`.
func TestPostgresBackupPlan(t *testing.T) {
	db := os.Getenv("WXGATE_TEST_POSTGRES_URL")
	if db == "" {
		db = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw") // trust auth ignores it
	dir := t.TempDir()
	cfg := &config.Config{Database: u.String(), KeysFile: filepath.Join(dir, "wxgate.keys")}
	kr, _ := seal.Generate()
	if err := seal.WriteFile(cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup")
	res, err := backup.Create(context.Background(), cfg, out, "test")
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	m := res.Manifest
	if m.Database.Backend != "postgres" || m.Database.ServerVersion == "" {
		t.Fatalf("manifest: %+v", m.Database)
	}
	if !strings.HasPrefix(res.PgDump, "pg_dump --format=custom") || strings.Contains(res.PgDump, "s3cret-pw") || !strings.Contains(res.PgDump, filepath.Join(out, backup.DumpFile)) {
		t.Fatalf("pg_dump command: %s", res.PgDump)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "s3cret-pw") {
			t.Fatalf("a warning shows the password: %s", w)
		}
	}
	if _, err := os.Stat(filepath.Join(out, backup.KeysFile)); err != nil {
		t.Fatal(err)
	}
}
