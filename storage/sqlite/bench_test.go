package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// BenchmarkLogin measures the store's share of a gateway login: 64
// clients each committing what a returning mini-program login commits
// (LinkIdentity with the identity's update, a new session and the audit
// record), on a database file. group=on is the store as it opens by
// default, group=off the same with one transaction per write
// (_group_commit=0, the store before group commit): the before and after
// of group commit, in one run.
func BenchmarkLogin(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("group="+mode, func(b *testing.B) {
			loc := "file:" + filepath.Join(b.TempDir(), "wxgate.db")
			if mode == "off" {
				loc += "?_group_commit=0"
			}
			s, err := Open(context.Background(), loc)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchLogins(b, s)
		})
	}
}

const benchClients = 64

func benchLogins(b *testing.B, s *Store) {
	ctx := context.Background()
	users := make([][]byte, 256)
	for i := range users {
		h := sha256.Sum256(fmt.Appendf(nil, "openid-%d", i))
		users[i] = h[:]
	}
	var seq atomic.Int64
	loginOnce := func(i int) error {
		now := time.Now()
		n := seq.Add(1)
		idx := users[i%len(users)]
		tok := sha256.Sum256(fmt.Appendf(nil, "token-%d", n))
		_, err := s.LinkIdentity(ctx, storage.LinkRequest{
			Identity: storage.Identity{ID: fmt.Sprintf("idn_%d", n), AppID: "wx0123456789abcdef", OpenIDIndex: idx,
				OpenID: make([]byte, 60), CreatedAt: now, UpdatedAt: now, LastLoginAt: now},
			NewUser: storage.User{ID: fmt.Sprintf("usr_%d", n), CreatedAt: now, UpdatedAt: now},
			Update: func(id storage.Identity) (storage.Identity, error) {
				id.SessionKey, id.SessionKeyAt = make([]byte, 60), now
				id.LastLoginAt, id.UpdatedAt = now, now
				return id, nil
			},
			Session: &storage.Session{ID: fmt.Sprintf("ses_%d", n), TokenHash: tok[:], App: "mp",
				CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)},
			Event: &storage.Event{Time: now, Type: "login", App: "mp", IP: "127.0.0.1", Detail: map[string]string{"type": "miniprogram"}},
		})
		return err
	}
	for i := range users { // the users exist: logins are returning ones
		if err := loginOnce(i); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t := time.Now()
				if err := loginOnce(i); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/d.Seconds(), "logins/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
