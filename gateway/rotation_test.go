package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wxgate/wxgate/seal"
)

// TestKeyRotationWhileServing follows the documented rotation: rotate,
// SIGHUP, reseal while logins go on, retire; a second gateway that never
// got the SIGHUP recovers by itself. Nothing is lost or unreadable.
func TestKeyRotationWhileServing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var users []string
	for i := range 6 {
		u := h.user("u" + string(rune('a'+i)))
		users = append(users, u)
		tok := h.mpLogin("mp", u).str("token")
		p, _ := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, u)
		h.wantStatus(h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...), 200, "")
		mc, _ := h.ctl.MobileAuthorize(ctx, h.apps["ios"].AppID, u, "s")
		h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}), 200, "")
	}
	// A second gateway on the same database and keyring file.
	old, err := seal.Load(h.keysFile)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Options{Config: h.cfg, Store: h.store, KV: h.kv, Keyring: old, Now: h.clock.now, LookupEnv: h.gw.lookupEnv})
	if err != nil {
		t.Fatal(err)
	}

	// 1. Rotate.
	next, err := old.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(h.keysFile, next, true); err != nil {
		t.Fatal(err)
	}
	// 2. SIGHUP the first gateway (not the second).
	if err := h.gw.ReloadKeyring(); err != nil {
		t.Fatal(err)
	}
	// 3. Reseal while logins go on.
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			h.mpLogin("mp", u)
		}(u)
	}
	rep, err := Reseal(ctx, h.store, next, slog.New(slog.DiscardHandler))
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// Per user: 3 sealed fields on the mini-program identity (openid,
	// unionid, session_key), 4 on the mobile one (openid, unionid, two
	// tokens) and the phone. The concurrent logins rewrite the session_key
	// under the new key, before or after the pass reads it: those 6 may be
	// counted as changed, or not at all.
	if n := rep.Resealed + rep.Changed; rep.Identities != 12 || rep.Users != 6 || n < 6*(2+4+1) || n > 6*(3+4+1) {
		t.Errorf("reseal = %+v", rep)
	}
	if n := sumRemaining(rep.Remaining); n != 0 {
		t.Fatalf("still sealed under old keys after reseal: %v", rep.Remaining)
	}
	// Resumable: a second pass finds nothing to do.
	if rep2, err := Reseal(ctx, h.store, next, nil); err != nil || rep2.Resealed != 0 || sumRemaining(rep2.Remaining) != 0 {
		t.Fatalf("second pass = %+v, %v", rep2, err)
	}
	// The second gateway still holds the old keyring: it meets the new key,
	// re-reads the file and carries on.
	tok := h.mpLogin("mp", users[0]).str("token")
	p, _ := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp"].AppID, users[0])
	rec := h.serve(other, "POST", "/auth/miniprogram/decrypt", `{"encrypted_data":"`+p.EncryptedData+`","iv":"`+p.IV+`"}`, tok)
	if rec.Code != 200 {
		t.Fatalf("the un-reloaded gateway failed to read resealed data: %d %s", rec.Code, rec.Body)
	}
	if other.keyring().ActiveKeyID() != next.ActiveKeyID() {
		t.Error("the second gateway did not reload the keyring")
	}
	// 4. Retire the old key; everything still opens.
	retired, err := next.Retire(old.ActiveKeyID())
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(h.keysFile, retired, true); err != nil {
		t.Fatal(err)
	}
	if err := h.gw.ReloadKeyring(); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		tok := h.mpLogin("mp", u).str("token")
		p, _ := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp"].AppID, u)
		h.wantStatus(h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...), 200, "")
	}
	idents, _ := h.store.ScanIdentities(ctx, "", 100)
	for _, i := range idents {
		for _, f := range identityFields(&i) {
			if b := f.get(); len(b) > 0 {
				if _, err := retired.Open(b, f.aad); err != nil {
					t.Fatalf("identity %s: %s does not open after retirement", i.ID, f.name)
				}
			}
		}
	}
}

func sumRemaining(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestSQLiteFileHoldsNoPlaintext greps the database files themselves for
// every secret value a run stored.
func TestSQLiteFileHoldsNoPlaintext(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	u := h.user("Plain")
	tok := h.mpLogin("mp", u).str("token")
	p, _ := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, u)
	ph := h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": p.Code}, bearer(tok)...)
	mc, _ := h.ctl.MobileAuthorize(ctx, h.apps["ios"].AppID, u, "s")
	h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}), 200, "")
	secrets := []string{ph.str("phone_number"), ph.str("pure_phone_number"), tok}
	for _, app := range []string{"mp", "ios"} {
		id := h.identity(app, u)
		secrets = append(secrets, id.OpenID, id.UnionID, id.SessionKey)
	}
	idents, _ := h.store.ScanIdentities(ctx, "", 10)
	for _, i := range idents {
		for _, f := range []string{fieldAccessToken, fieldRefreshToken} {
			blob := i.AccessToken
			if f == fieldRefreshToken {
				blob = i.RefreshToken
			}
			if v, _ := h.gw.open(f, i.OpenIDIndex, blob); v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	dir := filepath.Dir(strings.TrimPrefix(h.cfg.Database, "sqlite:"))
	var files bytes.Buffer
	matches, _ := filepath.Glob(filepath.Join(dir, "wxgate.db*"))
	if len(matches) == 0 {
		t.Fatal("no database files found")
	}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		files.Write(b)
	}
	n := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		n++
		if bytes.Contains(files.Bytes(), []byte(s)) {
			t.Errorf("the database files hold a secret value in plain text (%d chars, starts %q)", len(s), s[:4])
		}
	}
	if n < 9 || files.Len() < 4096 {
		t.Fatalf("searched %d values in %d bytes: the test proves nothing", n, files.Len())
	}
	// And the files do hold data: the search would have found plaintext.
	if !bytes.Contains(files.Bytes(), []byte("Plain")) {
		t.Error("the nickname (not a secret) is missing: the files searched are not the database")
	}
}
