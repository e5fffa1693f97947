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

func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "wxgate.keys")
	db := filepath.Join(dir, "wxgate.db")
	cfg := filepath.Join(dir, "wxgate.yaml")
	os.WriteFile(cfg, []byte("dev: true\ndatabase: sqlite:"+db+"\nkeys_file: "+keys+"\nadmin:\n  reveal_ids: true\n"), 0o600)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(keys, kr, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	phone, _ := kr.Seal([]byte("+8613800000000"), []byte("phone/"+hexOf("usr_a")))
	for _, p := range []struct{ user, idn, nick string }{{"usr_a", "idn_a", "Zhang"}, {"usr_b", "idn_b", "Li"}} {
		req := storage.LinkRequest{
			Identity: storage.Identity{ID: p.idn, AppID: "wxA", OpenIDIndex: []byte(p.idn), CreatedAt: now, UpdatedAt: now},
			NewUser:  storage.User{ID: p.user, Nickname: p.nick, CreatedAt: now, UpdatedAt: now},
			Session:  &storage.Session{ID: "ses_" + p.user, TokenHash: []byte("tok" + p.user), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
		}
		if p.user == "usr_a" {
			req.NewUser.Phone = phone
		}
		if _, err := st.LinkIdentity(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	runCmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := runCmd("users", "list", "--config", cfg, "--q", "Zha"); code != 0 || !strings.Contains(out, `"usr_a"`) || strings.Contains(out, "usr_b") {
		t.Errorf("list --q: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "show", "usr_a", "--config", cfg); code != 0 || !strings.Contains(out, "+8613800000000") {
		t.Errorf("show with reveal_ids: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "block", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, `"sessions_ended": 1`) {
		t.Errorf("block: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "unblock", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, `"blocked": false`) {
		t.Errorf("unblock: %d %s", code, out)
	}
	// The phone moves with the merge, re-sealed for its new user.
	if code, out, _ := runCmd("users", "merge", "usr_a", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, `"merged": true`) {
		t.Errorf("merge: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "show", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, "+8613800000000") || !strings.Contains(out, "idn_a") {
		t.Errorf("show after merge: %d %s", code, out)
	}
	if code, _, errs := runCmd("users", "merge", "usr_b", "usr_b", "--config", cfg); code != 1 || !strings.Contains(errs, "invalid_request") {
		t.Errorf("merge into itself: %d %s", code, errs)
	}
	if code, out, _ := runCmd("users", "unlink", "idn_a", "--config", cfg); code != 0 || !strings.Contains(out, "idn_a") {
		t.Errorf("unlink: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "revoke", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, `"revoked"`) {
		t.Errorf("revoke: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "sessions", "usr_b", "--config", cfg); code != 0 || !strings.Contains(out, `"sessions": []`) {
		t.Errorf("sessions: %d %s", code, out)
	}
	if code, out, _ := runCmd("users", "export", "usr_a", "--config", cfg); code != 0 || !strings.Contains(out, `"events"`) {
		t.Errorf("export (old id): %d %s", code, out)
	}
	if code, _, errs := runCmd("users", "delete", "usr_b", "--config", cfg); code != 2 || !strings.Contains(errs, "--yes") {
		t.Errorf("delete without --yes: %d %s", code, errs)
	}
	if code, _, _ := runCmd("users", "delete", "usr_b", "--yes", "--config", cfg); code != 0 {
		t.Errorf("delete: %d", code)
	}
	if code, _, errs := runCmd("users", "show", "usr_b", "--config", cfg); code != 1 || !strings.Contains(errs, "unknown_id") {
		t.Errorf("show after delete: %d %s", code, errs)
	}
	for _, bad := range [][]string{{"users"}, {"users", "nope"}, {"users", "show"}, {"users", "show", "a", "b", "--config", cfg}, {"users", "show", "../x", "--config", cfg}} {
		if code, _, _ := runCmd(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errs := runCmd("users", "show", "usr_a"); code == 0 || !strings.Contains(errs, "--config") {
		t.Errorf("without --config: %d %s", code, errs)
	}
}
