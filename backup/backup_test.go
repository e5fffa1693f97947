package backup_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wxgate/wxgate/backup"
	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/wechat"
)

// world is an emulator with one mini-program and its AppSecret.
type world struct {
	emu    *emulator.Emulator
	url    string
	appid  string
	secret string
}

func newWorld(t *testing.T) *world {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(emu)
	t.Cleanup(es.Close)
	a, err := emu.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	return &world{emu: emu, url: es.URL, appid: a.AppID, secret: a.Secret}
}

// config returns a gateway configuration with its data in dir.
func (w *world) config(t *testing.T, dir string) *config.Config {
	t.Helper()
	limits := "security:\n  rate_limits:\n"
	for _, r := range []string{"login_ip", "login_failed_ip", "login_user", "decrypt_ip", "decrypt_user", "phone_ip", "phone_user"} {
		limits += "    " + r + ": {limit: -1}\n"
	}
	y := fmt.Sprintf("listen: 127.0.0.1:0\npublic_url: http://127.0.0.1:1\nwechat:\n  api_base: %s\n  open_base: %s\ndatabase: sqlite:%s/data/wxgate.db\ncache: memory\nkeys_file: %s/data/wxgate.keys\napps:\n  - name: shop\n    type: miniprogram\n    appid: %s\n    secret_env: SHOP_SECRET\n%s",
		w.url, w.url, dir, dir, w.appid, limits)
	cfg, err := config.Parse([]byte(y), func(k string) (string, bool) { return w.secret, k == "SHOP_SECRET" })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return cfg
}

// gw is a running gateway.
type gw struct {
	url   string
	close func()
}

func (w *world) startGateway(t *testing.T, cfg *config.Config, kr *seal.Keyring) *gw {
	t.Helper()
	store, err := sqlite.Open(context.Background(), strings.TrimPrefix(cfg.Database, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	kv := memory.NewKV()
	g, err := gateway.New(gateway.Options{Config: cfg, Store: store, KV: kv, Keyring: kr, Logger: slog.New(slog.DiscardHandler),
		LookupEnv: func(k string) (string, bool) { return w.secret, k == "SHOP_SECRET" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close(); kv.Close(); store.Close() }) }
	t.Cleanup(stop)
	return &gw{url: srv.URL, close: stop}
}

func call(t testing.TB, method, url, token string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// person is a user logged in through the mini-program, with a phone number.
type person struct{ userID, token string }

func (w *world) login(t testing.TB, g *gw, userID string) string {
	code, err := w.emu.MiniProgramLogin(w.appid, userID)
	if err != nil {
		t.Fatal(err)
	}
	status, m := call(t, "POST", g.url+"/auth/miniprogram/login", "", map[string]string{"app": "shop", "code": code})
	if status != http.StatusOK {
		t.Errorf("login: %d %v", status, m)
		return ""
	}
	return m["token"].(string)
}

// TestBackupUnderLoadRestores is issue 17's promise: people log in, a
// backup is made while more logins go on, it is restored on a fresh
// directory, and every session and sealed value from before the backup
// works there.
func TestBackupUnderLoadRestores(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	cfg := w.config(t, dir)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.KeysFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	g := w.startGateway(t, cfg, kr)

	var before []person
	for i := range 6 {
		uid, err := w.emu.CreateUser(emulator.UserSpec{Nickname: fmt.Sprintf("Before %d", i), Phone: fmt.Sprintf("1380000%04d", i)})
		if err != nil {
			t.Fatal(err)
		}
		p := person{userID: uid, token: w.login(t, g, uid)}
		ph, err := w.emu.MiniProgramPhoneNumber(w.appid, uid)
		if err != nil {
			t.Fatal(err)
		}
		if status, m := call(t, "POST", g.url+"/auth/miniprogram/phone", p.token, map[string]string{"code": ph.Code}); status != 200 {
			t.Fatalf("phone: %d %v", status, m)
		}
		before = append(before, p)
	}

	// Load: new people log in without pause while the backup runs.
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var during atomic.Int64
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				uid, err := w.emu.CreateUser(emulator.UserSpec{Nickname: "During"})
				if err != nil {
					t.Error(err)
					return
				}
				if w.login(t, g, uid) != "" {
					during.Add(1)
				}
			}
		}()
	}
	for during.Load() < 3 { // the load is under way
		if t.Failed() {
			t.FailNow()
		}
	}
	out := filepath.Join(t.TempDir(), "backup")
	res, err := backup.Create(context.Background(), cfg, out, "test")
	stopLoad()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup under load: %v", err)
	}
	t.Logf("%d logins went on during the backup", during.Load())
	m := res.Manifest
	if m.Database.Backend != "sqlite" || m.Database.SchemaVersion < 1 || m.Keyring.ActiveKey != kr.ActiveKeyID() || m.Checked.Identities < len(before) {
		t.Fatalf("manifest: %+v, checked %+v", m, m.Checked)
	}
	checkModes(t, out)
	checkNoSecret(t, out, w.secret)
	g.close()

	// Restore on a fresh directory, start a gateway there.
	fresh := t.TempDir()
	cfg2 := w.config(t, fresh)
	rr, err := backup.Restore(context.Background(), cfg2, out)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if rr.Checked.Opened == 0 {
		t.Fatalf("restore opened no sealed value: %+v", rr.Checked)
	}
	if st, err := os.Stat(cfg2.KeysFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("restored keyring: %v %v", st, err)
	}
	kr2, err := seal.Load(cfg2.KeysFile)
	if err != nil {
		t.Fatal(err)
	}
	g2 := w.startGateway(t, cfg2, kr2)
	for _, p := range before {
		status, me := call(t, "GET", g2.url+"/auth/me", p.token, nil)
		if status != 200 || me["has_phone"] != true {
			t.Fatalf("a session from before the backup, after the restore: %d %v", status, me)
		}
		// The sealed session_key opens: decryption works.
		info, err := w.emu.MiniProgramUserInfo(w.appid, p.userID)
		if err != nil {
			t.Fatal(err)
		}
		status, d := call(t, "POST", g2.url+"/auth/miniprogram/decrypt", p.token, map[string]string{"encrypted_data": info.EncryptedData, "iv": info.IV})
		if status != 200 {
			t.Fatalf("decrypt after the restore: %d %v", status, d)
		}
	}
	// The restored data also passes the verify command's check.
	if rep, err := backup.Verify(context.Background(), cfg2); err != nil || rep.Opened != rr.Checked.Opened {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func checkModes(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("backup dir mode: %v %v", st.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("backup files: %v, want the database, keyring and manifest", entries)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func checkNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the AppSecret", e.Name())
		}
	}
}

// TestRestoreRefuses: a damaged or mismatched backup is refused with a
// clear message, and nothing is written.
func TestRestoreRefuses(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	cfg := w.config(t, dir)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.KeysFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(cfg.KeysFile, kr, false); err != nil {
		t.Fatal(err)
	}
	g := w.startGateway(t, cfg, kr)
	uid, err := w.emu.CreateUser(emulator.UserSpec{Nickname: "Once"})
	if err != nil {
		t.Fatal(err)
	}
	w.login(t, g, uid)
	good := filepath.Join(t.TempDir(), "good")
	if _, err := backup.Create(context.Background(), cfg, good, "test"); err != nil {
		t.Fatal(err)
	}
	g.close()

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, b string)
		want   string
	}{
		{"corrupted database", func(t *testing.T, b string) { flipByte(t, filepath.Join(b, backup.DatabaseFile)) }, "does not match its checksum"},
		{"corrupted keyring", func(t *testing.T, b string) { flipByte(t, filepath.Join(b, backup.KeysFile)) }, "does not match its checksum"},
		{"another keyring", func(t *testing.T, b string) {
			other, _ := seal.Generate()
			p := filepath.Join(b, backup.KeysFile)
			os.Remove(p)
			if err := seal.WriteFile(p, other, false); err != nil {
				t.Fatal(err)
			}
			// The manifest is made to agree, as someone fixing it by hand would.
			editManifest(t, b, func(m *backup.Manifest) { m.Keyring.ActiveKey = other.ActiveKeyID() })
		}, "does not open its data"},
		{"newer schema", func(t *testing.T, b string) {
			db, err := sql.Open("sqlite", filepath.Join(b, backup.DatabaseFile))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE schema_version SET version = 999`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			editManifest(t, b, nil)
		}, "newer than this wxgate"},
		{"no manifest", func(t *testing.T, b string) { os.Remove(filepath.Join(b, backup.ManifestFile)) }, "not a wxgate backup"},
		{"manifest names a file outside", func(t *testing.T, b string) {
			editManifest(t, b, func(m *backup.Manifest) { m.Files["../../etc/passwd"] = "00" })
		}, "outside the backup"},
		{"unknown manifest format", func(t *testing.T, b string) { editManifest(t, b, func(m *backup.Manifest) { m.Format = 9 }) }, "format 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := filepath.Join(t.TempDir(), "copy")
			copyDir(t, good, b)
			tc.damage(t, b)
			fresh := t.TempDir()
			cfg2 := w.config(t, fresh)
			_, err := backup.Restore(context.Background(), cfg2, b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore: %v, want an error saying %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(fresh); len(entries) != 0 {
				t.Fatalf("a refused restore wrote %v", entries)
			}
		})
	}

	t.Run("existing database", func(t *testing.T) {
		_, err := backup.Restore(context.Background(), cfg, good) // the live one
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("restore over a live database: %v", err)
		}
	})
	t.Run("backup into a non-empty directory", func(t *testing.T) {
		_, err := backup.Create(context.Background(), cfg, good, "test")
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("backup into a used directory: %v", err)
		}
	})
}

func flipByte(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// editManifest changes the manifest and brings its checksums up to date.
func editManifest(t *testing.T, dir string, edit func(*backup.Manifest)) {
	t.Helper()
	m, err := backup.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m.Files[name] = fmt.Sprintf("%x", sha256Sum(b))
	}
	if edit != nil {
		edit(m)
	}
	data, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, backup.ManifestFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
