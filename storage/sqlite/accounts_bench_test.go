package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// BenchmarkAccounts: administration among 100,000 users.
func BenchmarkAccounts(b *testing.B) {
	path := filepath.Join(b.TempDir(), "wxgate.db")
	s, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storagetest.BenchAccounts(b, s, func(b *testing.B, _ storage.Store) {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{
			`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
			 INSERT INTO users (id, nickname, avatar_url, sex, province, city, country, created_at, updated_at)
			 SELECT printf('usr-%06d', i), 'user ' || i, '', 0, '', '', '', i, i FROM n`,
			`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
			 INSERT INTO identities (id, user_id, app_id, openid_index, session_key_at, access_expires_at, refresh_expires_at, scope, created_at, updated_at, last_login_at)
			 SELECT printf('idn-%06d', i), printf('usr-%06d', i), 'wxbench', randomblob(32), 0, 0, 0, '', i, i, i FROM n`,
		} {
			if _, err := db.ExecContext(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
