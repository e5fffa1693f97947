package session

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/sqlite"
)

// BenchmarkVerify measures in-process session verification, next to the
// HS256 JWT verification (github.com/golang-jwt/jwt/v5) that users would
// otherwise pick for stateless sessions. Unlike the JWT, a wxgate session
// can be revoked: with a cache, a revocation elsewhere is seen within
// CacheTTL; without one, at once.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	mem := memory.New()
	db, err := sqlite.Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name  string
		store storage.Store
		cache time.Duration
	}{
		{"session/cached", mem, 2 * time.Second},
		{"session/memory", mem, 0},
		{"session/sqlite", db, 0},
	} {
		v := NewVerifier(Options{Store: tc.store, IdleTimeout: time.Hour, CacheTTL: tc.cache})
		tok := newSession(b, tc.store, now, time.Hour)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	key := []byte("0123456789abcdef0123456789abcdef")
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   "usr_0123456789abcdef0123456789abcdef",
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        "ses_0123456789abcdef0123456789abcdef",
	}).SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	b.Run("jwt-hs256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c jwt.RegisteredClaims
			if _, err := parser.ParseWithClaims(signed, &c, keyFunc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
