// Package backup makes and restores consistent copies of a gateway's data:
// the SQLite database (copied online with VACUUM INTO), the keyring without
// which that data cannot be read, and a manifest of versions, key ids and
// checksums. It never copies the configuration or the AppSecrets.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
)

// Files of a backup directory.
const (
	ManifestFile = "manifest.json"
	DatabaseFile = "wxgate.db"     // SQLite
	DumpFile     = "wxgate.pgdump" // PostgreSQL, written by pg_dump
	KeysFile     = "wxgate.keys"
	// Format is the manifest format this package writes and reads.
	Format = 1
)

// Manifest describes a backup. It is written last: a directory without one
// is an unfinished backup.
type Manifest struct {
	Format        int       `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	WxgateVersion string    `json:"wxgate_version"`
	Database      Database  `json:"database"`
	Keyring       Keyring   `json:"keyring"`
	// Files maps each file of the backup to its SHA-256 (hex).
	Files map[string]string `json:"files"`
	// Checked is what the backup's keyring opened in the backup's data.
	Checked *gateway.SealCheckReport `json:"checked,omitempty"`
}

// Database describes the backed-up database.
type Database struct {
	Backend       string `json:"backend"` // sqlite or postgres
	File          string `json:"file"`
	SchemaVersion int    `json:"schema_version,omitempty"`
	ServerVersion string `json:"server_version,omitempty"` // PostgreSQL
}

// Keyring describes the backed-up keyring (ids only, never key material).
type Keyring struct {
	File      string   `json:"file"`
	ActiveKey string   `json:"active_key"`
	KeyIDs    []string `json:"key_ids"`
}

// Result is what Create did, for the operator.
type Result struct {
	Manifest *Manifest
	// PgDump is, for PostgreSQL, the pg_dump command the operator runs to
	// complete the backup (with the password left out).
	PgDump string
	// Warnings are things the operator should know (pg_dump's version).
	Warnings []string
}

var errNoBackup = errors.New("backup: the memory database keeps nothing to back up")

// Create backs up the gateway of cfg into dir, which must not exist or be
// empty; it is created with mode 0700 and every file in it is 0600. It is
// safe while gateways serve.
func Create(ctx context.Context, cfg *config.Config, dir, version string) (*Result, error) {
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	kr, keyBytes, err := readKeyring(cfg.KeysFile)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, CreatedAt: time.Now().UTC(), WxgateVersion: version, Files: map[string]string{},
		Keyring: Keyring{File: KeysFile, ActiveKey: kr.ActiveKeyID(), KeyIDs: kr.KeyIDs()}}
	res := &Result{Manifest: m}
	switch backend(cfg.Database) {
	case "sqlite":
		src, err := sqlitePath(cfg.Database)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, DatabaseFile)
		if err := vacuumInto(ctx, src, dst); err != nil {
			return nil, err
		}
		m.Database = Database{Backend: "sqlite", File: DatabaseFile}
		if m.Database.SchemaVersion, err = schemaVersion(ctx, dst); err != nil {
			return nil, err
		}
		// The copy must open with the keyring: check it now, not on the
		// day it is needed.
		rep, err := checkSQLite(ctx, dst, kr)
		if err != nil {
			return nil, fmt.Errorf("backup: the copy does not open with the keyring %s: %w", cfg.KeysFile, err)
		}
		m.Checked = &rep
		if m.Files[DatabaseFile], err = fileSum(dst); err != nil {
			return nil, err
		}
	case "postgres":
		m.Database = Database{Backend: "postgres", File: DumpFile}
		if m.Database.ServerVersion, err = pgServerVersion(ctx, cfg.Database); err != nil {
			return nil, err
		}
		res.PgDump = fmt.Sprintf("pg_dump --format=custom --no-owner --file=%s '%s'", filepath.Join(dir, DumpFile), redact(cfg.Database))
		res.Warnings = append(res.Warnings, pgDumpWarnings(m.Database.ServerVersion)...)
	case "memory":
		return nil, errNoBackup
	default:
		return nil, fmt.Errorf("backup: database %q: only sqlite: and postgres:// databases can be backed up", redact(cfg.Database))
	}
	if err := writeFile(filepath.Join(dir, KeysFile), keyBytes); err != nil {
		return nil, err
	}
	m.Files[KeysFile] = sum(keyBytes)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, ManifestFile), append(data, '\n')); err != nil {
		return nil, err
	}
	return res, nil
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	Manifest *Manifest
	Checked  gateway.SealCheckReport
	// PgRestore is, for PostgreSQL, the command the operator runs to load
	// the dump; then Verify checks the keyring against the loaded data.
	PgRestore string
}

// Restore puts the backup in dir in place of the database and keyring of
// cfg, which must not exist yet. Before it changes anything it checks the
// manifest, every checksum, the schema version (not newer than this
// wxgate knows) and that the backup's keyring opens every sealed value of
// the backup's data; any failure changes nothing.
func Restore(ctx context.Context, cfg *config.Config, dir string) (*RestoreResult, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	for name, want := range m.Files {
		got, err := fileSum(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if got != want {
			return nil, fmt.Errorf("restore: %s does not match its checksum in the manifest: the backup is damaged or was changed; use another backup", name)
		}
	}
	kr, keyBytes, err := readKeyring(filepath.Join(dir, KeysFile))
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if kr.ActiveKeyID() != m.Keyring.ActiveKey {
		return nil, fmt.Errorf("restore: the keyring's active key is %s, the manifest says %s: the keyring is not this backup's", kr.ActiveKeyID(), m.Keyring.ActiveKey)
	}
	if err := freshTarget(cfg.KeysFile, keyBytes); err != nil {
		return nil, err
	}
	res := &RestoreResult{Manifest: m}
	switch m.Database.Backend {
	case "sqlite":
		if backend(cfg.Database) != "sqlite" {
			return nil, fmt.Errorf("restore: this is a SQLite backup; the configuration's database is %s", redact(cfg.Database))
		}
		dst, err := sqlitePath(cfg.Database)
		if err != nil {
			return nil, err
		}
		if err := freshTarget(dst, nil); err != nil {
			return nil, err
		}
		// Stage a copy next to the target; it becomes the database only
		// once every check has passed.
		if _, err := os.Stat(filepath.Dir(dst)); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
			done := false
			defer func() {
				if !done {
					_ = os.Remove(filepath.Dir(dst)) // made here, and empty: a refusal leaves nothing
				}
			}()
			defer func() { done = fileExists(dst) }()
		}
		staged := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".restoring")
		_ = removeDB(staged)
		defer removeDB(staged)
		if err := copyFile(filepath.Join(dir, m.Database.File), staged); err != nil {
			return nil, err
		}
		// sqlite.Open refuses a newer schema and migrates an older one.
		if res.Checked, err = checkSQLite(ctx, staged, kr); err != nil {
			if errors.Is(err, sqlite.ErrSchemaTooNew) {
				return nil, fmt.Errorf("restore: %w; nothing was changed", err)
			}
			return nil, fmt.Errorf("restore: the backup's keyring does not open its data (%w); nothing was changed", err)
		}
		_, statErr := os.Stat(cfg.KeysFile)
		if err := writeFile(cfg.KeysFile, keyBytes); err != nil {
			return nil, err
		}
		if err := os.Rename(staged, dst); err != nil {
			if errors.Is(statErr, os.ErrNotExist) {
				_ = os.Remove(cfg.KeysFile) // this restore wrote it
			}
			return nil, fmt.Errorf("restore: %w", err)
		}
	case "postgres":
		if backend(cfg.Database) != "postgres" {
			return nil, fmt.Errorf("restore: this is a PostgreSQL backup; the configuration's database is %s", redact(cfg.Database))
		}
		if err := writeFile(cfg.KeysFile, keyBytes); err != nil {
			return nil, err
		}
		res.PgRestore = fmt.Sprintf("pg_restore --no-owner --exit-on-error --dbname='%s' %s", redact(cfg.Database), filepath.Join(dir, DumpFile))
	default:
		return nil, fmt.Errorf("restore: the manifest names an unknown database backend %q", m.Database.Backend)
	}
	return res, nil
}

// Verify checks that the keyring of cfg opens every sealed value in its
// database (after a PostgreSQL restore, or at any time). It changes nothing.
func Verify(ctx context.Context, cfg *config.Config) (gateway.SealCheckReport, error) {
	kr, err := seal.Load(cfg.KeysFile)
	if err != nil {
		return gateway.SealCheckReport{}, err
	}
	store, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return gateway.SealCheckReport{}, fmt.Errorf("opening the database: %w", err)
	}
	defer store.Close()
	return gateway.CheckSealed(ctx, store, kr)
}

// ReadManifest reads and checks the manifest of the backup in dir.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("restore: %s has no %s: it is not a wxgate backup, or the backup did not finish", dir, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("restore: %s is not a valid manifest: %v", ManifestFile, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("restore: manifest format %d; this wxgate reads format %d: restore with the wxgate that made the backup, or a newer one", m.Format, Format)
	}
	names := []string{KeysFile}
	if m.Database.Backend == "sqlite" {
		names = append(names, m.Database.File)
	}
	for _, n := range names {
		if _, ok := m.Files[n]; !ok {
			return nil, fmt.Errorf("restore: the manifest has no checksum for %s", n)
		}
	}
	for n := range m.Files {
		if n != filepath.Base(n) || n == "." || n == ".." {
			return nil, fmt.Errorf("restore: the manifest names a file outside the backup: %q", n)
		}
	}
	return &m, nil
}

func backend(db string) string {
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		return "sqlite"
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return "postgres"
	case db == "memory" || strings.HasPrefix(db, "memory:"):
		return "memory"
	}
	return ""
}

// sqlitePath is the file of a sqlite: database URL.
func sqlitePath(db string) (string, error) {
	loc := strings.TrimPrefix(db, "sqlite:")
	loc = strings.TrimPrefix(loc, "file:")
	loc, _, _ = strings.Cut(loc, "?")
	if strings.HasPrefix(loc, "//") {
		loc = strings.TrimPrefix(loc, "//")
		loc = strings.TrimPrefix(loc, "localhost")
	}
	if loc == "" || loc == ":memory:" {
		return "", fmt.Errorf("backup: database %q names no file", db)
	}
	return loc, nil
}

// vacuumInto copies the SQLite database src to dst in one read
// transaction: a consistent copy while gateways write (WAL mode).
func vacuumInto(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: the database %s: %w", src, err)
	}
	// VACUUM INTO writes into an empty file; creating it first makes it 0600.
	if err := writeFile(dst, nil); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: opening %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup: copying %s: %w", src, err)
	}
	return nil
}

func schemaVersion(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("backup: reading the copy's schema version: %w", err)
	}
	return int(v.Int64), nil
}

// checkSQLite opens the database at path as the gateway does (refusing a
// newer schema) and checks that kr opens its sealed values.
func checkSQLite(ctx context.Context, path string, kr *seal.Keyring) (gateway.SealCheckReport, error) {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return gateway.SealCheckReport{}, err
	}
	defer store.Close()
	return gateway.CheckSealed(ctx, store, kr)
}

func readKeyring(path string) (*seal.Keyring, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: reading the keyring: %w", err)
	}
	kr, err := seal.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: the keyring %s: %w", path, err)
	}
	return kr, data, nil
}

// emptyDir makes dir (0700) or accepts it when it exists and is empty.
func emptyDir(dir string) error {
	if dir == "" {
		return errors.New("backup: no output directory: set --out")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("backup: %s is not empty: give a new directory for each backup", dir)
	}
	return os.Chmod(dir, 0o700)
}

// freshTarget refuses to overwrite a file a restore would write, unless it
// already holds exactly want.
func freshTarget(path string, want []byte) error {
	got, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if want != nil && string(got) == string(want) {
		return nil
	}
	if len(got) == 0 && want == nil {
		return nil
	}
	return fmt.Errorf("restore: %s already exists: restore only into a fresh place (move it away first; nothing was changed)", path)
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("restore: %w", err)
	}
	return out.Close()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func removeDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
	return nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// redact leaves the password out of a database URL.
func redact(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return db
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "PASSWORD")
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "PASSWORD")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func pgServerVersion(ctx context.Context, db string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return "", fmt.Errorf("backup: connecting to PostgreSQL at %s: %w", redact(db), err)
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "", fmt.Errorf("backup: asking PostgreSQL its version: %w", err)
	}
	return v, nil
}

var majorRE = regexp.MustCompile(`(\d+)(?:\.\d+)?`)

// pgDumpWarnings compares the local pg_dump's major version with the
// server's: pg_dump refuses a server newer than itself.
func pgDumpWarnings(server string) []string {
	path, err := exec.LookPath("pg_dump")
	if err != nil {
		return []string{"pg_dump is not installed here: run the command on a machine with pg_dump " + major(server) + " or newer (Debian: postgresql-client)"}
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return []string{"pg_dump --version failed: " + err.Error()}
	}
	local := majorRE.FindString(string(out))
	if atoi(major(local)) < atoi(major(server)) {
		return []string{fmt.Sprintf("the local pg_dump is version %s, older than the server (%s): install pg_dump %s or newer", strings.TrimSpace(string(out)), server, major(server))}
	}
	return nil
}

func major(v string) string {
	m := majorRE.FindStringSubmatch(v)
	if m == nil {
		return "?"
	}
	return m[1]
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
