package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// The conformance suite also holds for a private in-memory database.
func TestStoreInMemory(t *testing.T) {
	storagetest.RunStoreTests(t, func(t *testing.T) storage.Store {
		s, err := storage.Open(t.Context(), "sqlite::memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// request is a login of person n to app.
func request(app string, n int, union bool) storage.LinkRequest {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := storage.LinkRequest{
		Identity: storage.Identity{
			ID: fmt.Sprintf("idn-%s-%d", app, n), AppID: app,
			OpenIDIndex: sum(fmt.Sprint(app, n)), OpenID: sum("sealed"),
			CreatedAt: at, UpdatedAt: at, LastLoginAt: at,
		},
		NewUser: storage.User{ID: fmt.Sprintf("usr-%s-%d", app, n), Nickname: "n", CreatedAt: at, UpdatedAt: at},
	}
	if union {
		r.Identity.UnionIDIndex = sum(fmt.Sprint("union", n))
	}
	return r
}

// raw opens the database file without the store, as an operator would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "wxgate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.LinkIdentity(ctx, request("wxa", 1, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s, err = sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		got, err := s.GetUser(ctx, first.User.ID)
		if err != nil || got.ID != first.User.ID {
			t.Fatalf("after reopening: GetUser = %+v, %v", got, err)
		}
		// The links table survived too: the unionid still leads to the user.
		res, err := s.LinkIdentity(ctx, request("wxb", 1, true))
		if err != nil || res.User.ID != first.User.ID || res.CreatedUser {
			t.Fatalf("after reopening: second app linked to %q (created %v), %v; want %q", res.User.ID, res.CreatedUser, err, first.User.ID)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	var versions, version int
	if err := raw(t, path).QueryRow(`SELECT count(*), max(version) FROM schema_version`).Scan(&versions, &version); err != nil {
		t.Fatal(err)
	}
	if versions != 1 || version < 1 {
		t.Errorf("schema_version holds %d rows, version %d; want one row", versions, version)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.db")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
		}
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "wxgate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIdentity(ctx, request("wxa", 1, false)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db := raw(t, path)
	if _, err := db.Exec(`UPDATE schema_version SET version = 1000`); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "1000") {
		t.Errorf("error %q does not name the database's version", err)
	}
	var version, users int
	if err := db.QueryRow(`SELECT version, (SELECT count(*) FROM users) FROM schema_version`).Scan(&version, &users); err != nil {
		t.Fatal(err)
	}
	if version != 1000 || users != 1 {
		t.Errorf("after the refusal: version %d, %d users; want 1000 and 1 (untouched)", version, users)
	}
}

func TestFilePermissions(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "state", "wxgate")
	path := filepath.Join(dir, "wxgate.db")
	s, err := storage.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.LinkIdentity(ctx, request("wxa", 1, false)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(name), mode)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		t.Errorf("created directory has mode %v, want 0700", mode)
	}
}

func TestURLs(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	good := []struct{ url, file string }{
		{"sqlite:" + filepath.Join(dir, "plain.db"), "plain.db"},
		{"sqlite://" + filepath.Join(dir, "slashes.db"), "slashes.db"},
		{"sqlite:" + filepath.Join(dir, "odd name %41#.db"), "odd name %41#.db"},
		{"sqlite:file:" + filepath.Join(dir, "uri.db") + "?_busy_timeout=100&_journal_mode=DELETE&_txlock=deferred&cache=private", "uri.db"},
		{"sqlite:file://" + filepath.Join(dir, "uri%20escaped.db"), "uri escaped.db"},
		{"sqlite::memory:", ""},
		{"sqlite:file:mem?mode=memory", ""},
	}
	for _, tc := range good {
		s, err := storage.Open(ctx, tc.url)
		if err != nil {
			t.Errorf("Open(%s): %v", tc.url, err)
			continue
		}
		if _, err := s.LinkIdentity(ctx, request("wxa", 1, true)); err != nil {
			t.Errorf("%s: LinkIdentity: %v", tc.url, err)
		}
		s.Close()
		if tc.file == "" {
			continue
		}
		path := filepath.Join(dir, tc.file)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		// WAL and foreign keys hold whatever the URL asked for.
		var mode string
		if err := raw(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%s: journal_mode %q, %v; want wal", tc.url, mode, err)
		}
	}

	for _, url := range []string{"sqlite:", "sqlite://host/x.db", "sqlite:" + filepath.Join(dir, "x.db?_busy_timeout=1"), "sqlite:file:x.db?%zz"} {
		if s, err := storage.Open(ctx, url); err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", url)
		} else if !strings.HasPrefix(err.Error(), "sqlite: ") {
			t.Errorf("Open(%s): error %q does not start with the package name", url, err)
		}
	}
}

// Two stores on one file, like two wxgate instances sharing it, resolve
// concurrent logins of one person to one user.
func TestInstancesShareOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "wxgate.db")
	var stores []*sqlite.Store
	for range 3 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	const n = 30
	res := make([]storage.LinkResult, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			req := request(fmt.Sprint("wxapp", i%3), 7, true)
			req.Identity.ID = fmt.Sprint("idn-", i)
			req.NewUser.ID = fmt.Sprint("usr-", i)
			res[i], errs[i] = stores[i%len(stores)].LinkIdentity(ctx, req)
		})
	}
	close(start)
	wg.Wait()
	users := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LinkIdentity #%d: %v", i, errs[i])
		}
		users[res[i].User.ID] = true
	}
	list, err := stores[0].ListIdentities(ctx, res[0].User.ID)
	if len(users) != 1 || err != nil || len(list) != 3 {
		t.Errorf("users %v, identities %d (%v); want one user with 3 identities", users, len(list), err)
	}
}

// A database another process keeps locked is unavailable for writes once
// the busy timeout ends, and a caller's deadline is kept while waiting;
// reads and opening go on.
func TestLockedDatabase(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "wxgate.db")
	short, err := storage.Open(ctx, "sqlite:file:"+path+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	long, err := storage.Open(ctx, "sqlite:file:"+path+"?_busy_timeout=60000")
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close()
	res, err := short.LinkIdentity(ctx, request("wxa", 1, false))
	if err != nil {
		t.Fatal(err)
	}

	conn, err := raw(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)

	noop := func(u storage.User) (storage.User, error) { return u, nil }
	_, err = short.UpdateUser(ctx, res.User.ID, noop)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("UpdateUser on a locked database: %v, want ErrUnavailable", err)
	}

	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err = long.UpdateUser(dctx, res.User.ID, noop)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("UpdateUser past its deadline on a locked database: %v, want DeadlineExceeded", err)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("UpdateUser outlived its 200ms deadline by %v", took-200*time.Millisecond)
	}

	if _, err := short.GetUser(ctx, res.User.ID); err != nil {
		t.Errorf("GetUser on a locked database: %v", err)
	}
	again, err := storage.Open(ctx, "sqlite:file:"+path+"?_busy_timeout=100")
	if err != nil {
		t.Errorf("Open of a migrated, locked database: %v", err)
	} else {
		again.Close()
	}
}

func TestCreateSessionOfUnknownUser(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wxgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.CreateSession(ctx, storage.Session{ID: "ses-1", TokenHash: sum("t"), UserID: "usr-nobody"})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CreateSession(unknown user) = %v, want ErrNotFound", err)
	}
}
