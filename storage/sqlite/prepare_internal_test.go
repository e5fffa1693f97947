package sqlite

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/wxgate/wxgate/storage"
)

// The write paths of every login and request run statements prepared once:
// a returning login (LinkIdentity with Update and Session), UpdateIdentity,
// CreateSession and TouchSession compile nothing on the write connection
// but the BEGIN and COMMIT the driver compiles for every transaction.
func TestHotWritesArePrepared(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "wxgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// SQLite calls a connection's authorizer for every statement it
	// compiles on it.
	var mu sync.Mutex
	var compiled []string
	conn, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		return dc.(sqlite.AuthorizerRegisterer).RegisterAuthorizer(func(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
			if action != sqlite.AuthTransaction {
				mu.Lock()
				compiled = append(compiled, fmt.Sprintf("action %d on %s %s", action, arg1, arg2))
				mu.Unlock()
			}
			return sqlite.AuthorizerOK
		})
	})
	conn.Close() // back to the pool, as the store's one write connection
	if err != nil {
		t.Fatal(err)
	}

	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	req := storage.LinkRequest{
		Identity: storage.Identity{ID: "idn-1", AppID: "wxapp", OpenIDIndex: sum("openid"), UnionIDIndex: sum("unionid"), CreatedAt: at},
		NewUser:  storage.User{ID: "usr-1", CreatedAt: at},
	}
	if _, err := s.LinkIdentity(ctx, req); err != nil {
		t.Fatal(err)
	}
	req.Update = func(i storage.Identity) (storage.Identity, error) {
		i.SessionKey, i.LastLoginAt = sum("session_key"), at
		return i, nil
	}
	round := func(n int) {
		t.Helper()
		id := fmt.Sprint("ses-", n)
		req.Session = &storage.Session{ID: id, TokenHash: sum(id), App: "web", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		res, err := s.LinkIdentity(ctx, req)
		if err != nil || res.CreatedIdentity {
			t.Fatalf("returning login: created identity %v, %v", res.CreatedIdentity, err)
		}
		if _, err := s.UpdateIdentity(ctx, res.Identity.ID, req.Update); err != nil {
			t.Fatal(err)
		}
		p := *req.Session
		p.ID, p.TokenHash, p.UserID = id+"-b", sum(id+"-b"), res.User.ID
		if err := s.CreateSession(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, p.ID, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// Installing an authorizer expires the prepared statements: the first
	// round prepares them again.
	round(0)
	mu.Lock()
	if len(compiled) == 0 {
		t.Fatalf("the authorizer saw no statement compiled: the test no longer observes the write connection")
	}
	compiled = nil
	mu.Unlock()

	for n := 1; n <= 3; n++ {
		round(n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(compiled) > 0 {
		t.Errorf("the hot write paths compiled statements on the write connection:\n%s", strings.Join(compiled, "\n"))
	}
}
