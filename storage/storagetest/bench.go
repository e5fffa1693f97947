package storagetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// BenchStore measures the Store calls on the login and request paths:
//   - LinkIdentity: a returning user (rule 1) resolved, nothing written;
//   - Login: a whole returning login, LinkIdentity with Update (a new
//     session_key) and Session, then the same from GOMAXPROCS goroutines,
//     each logging in a user of its own;
//   - GetSessionByTokenHash: the lookup behind every authenticated request,
//     among 1000 sessions, then the same from GOMAXPROCS goroutines.
//
// newStore is called once per sub-benchmark and must return an empty store.
func BenchStore(b *testing.B, newStore func(b *testing.B) storage.Store) {
	b.Run("LinkIdentity", func(b *testing.B) {
		s, g := newStore(b), &gen{}
		req := g.request("wxbench", g.bytes(), g.bytes())
		link(b, s, req)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			res, err := s.LinkIdentity(ctx, req)
			if err != nil || res.CreatedIdentity {
				b.Fatalf("LinkIdentity: created %v, %v", res.CreatedIdentity, err)
			}
		}
	})

	b.Run("Login", func(b *testing.B) {
		s := newStore(b)
		logins, ctx := returningLogins(b, s, 1), b.Context()
		b.ReportAllocs()
		var n uint64
		for b.Loop() {
			n++
			if err := logins[0].login(ctx, s, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoginParallel", func(b *testing.B) {
		s := newStore(b)
		logins, ctx := returningLogins(b, s, 64), b.Context()
		var worker, seq atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			l := logins[worker.Add(1)%uint64(len(logins))]
			for pb.Next() {
				if err := l.login(ctx, s, seq.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	sessions := func(b *testing.B) (storage.Store, [][]byte) {
		s, g := newStore(b), &gen{}
		u, idn := g.user(b, s)
		hashes := make([][]byte, 1000)
		for i := range hashes {
			p := g.session(u, idn)
			if err := s.CreateSession(b.Context(), p); err != nil {
				b.Fatal(err)
			}
			hashes[i] = p.TokenHash
		}
		return s, hashes
	}
	b.Run("GetSessionByTokenHash", func(b *testing.B) {
		s, hashes := sessions(b)
		ctx := b.Context()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.GetSessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("GetSessionByTokenHashParallel", func(b *testing.B) {
		s, hashes := sessions(b)
		ctx := b.Context()
		var seed atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(7919))
			for pb.Next() {
				if _, err := s.GetSessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// benchLogin is a returning user's login as the gateway makes it: one
// call that records the new session_key and starts a session.
type benchLogin struct {
	req     storage.LinkRequest
	session storage.Session // the template of the sessions it starts
}

// returningLogins stores n users and returns a login of each.
func returningLogins(b *testing.B, s storage.Store, n int) []benchLogin {
	g := &gen{}
	logins := make([]benchLogin, n)
	for i := range logins {
		req := g.request("wxbench", g.bytes(), g.bytes())
		link(b, s, req)
		sessionKey, at := g.bytes(), g.time()
		req.Update = func(idn storage.Identity) (storage.Identity, error) {
			idn.SessionKey, idn.SessionKeyAt, idn.LastLoginAt, idn.UpdatedAt = sessionKey, at, at, at
			return idn, nil
		}
		logins[i] = benchLogin{req: req, session: g.session(storage.User{}, storage.Identity{})}
	}
	return logins
}

// login logs the user in with a session numbered n: its ID and TokenHash
// are those of no other session.
func (l benchLogin) login(ctx context.Context, s storage.Store, n uint64) error {
	p := l.session
	p.ID = "ses-bench-" + strconv.FormatUint(n, 10)
	p.TokenHash = bytes.Clone(p.TokenHash)
	binary.BigEndian.PutUint64(p.TokenHash[len(p.TokenHash)-8:], n)
	req := l.req
	req.Session = &p
	res, err := s.LinkIdentity(ctx, req)
	switch {
	case err != nil:
		return err
	case res.CreatedIdentity || res.Session.UserID != res.User.ID:
		return fmt.Errorf("storagetest: a returning login created an identity (%v) or a session of user %q, not %q",
			res.CreatedIdentity, res.Session.UserID, res.User.ID)
	}
	return nil
}

// BenchKV measures the KV round trip of every browser login: the OAuth
// state stored with SetNX and consumed with Take, on one goroutine and on
// GOMAXPROCS goroutines with a key each.
func BenchKV(b *testing.B, newKV func(b *testing.B) storage.KV) {
	value := []byte("return_to=/account&nonce=3q2+7w&created=1700000000")
	b.Run("SetNXTake", func(b *testing.B) {
		kv, ctx, k := newKV(b), b.Context(), key(b, "state")
		b.ReportAllocs()
		for b.Loop() {
			if err := setNXTake(ctx, kv, k, value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SetNXTakeParallel", func(b *testing.B) {
		kv, ctx := newKV(b), b.Context()
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := key(b, fmt.Sprint("state", n.Add(1)))
			for pb.Next() {
				if err := setNXTake(ctx, kv, k, value); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func setNXTake(ctx context.Context, kv storage.KV, k string, value []byte) error {
	ok, err := kv.SetNX(ctx, k, value, 10*time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("storagetest: SetNX refused a fresh key")
	}
	v, err := kv.Take(ctx, k)
	if err != nil {
		return err
	}
	if len(v) != len(value) {
		return fmt.Errorf("storagetest: Take gave %d bytes, want %d", len(v), len(value))
	}
	return nil
}
