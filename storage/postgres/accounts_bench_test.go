package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/storagetest"
)

// BenchmarkAccounts: administration among 100,000 users.
func BenchmarkAccounts(b *testing.B) {
	schema := freshSchema(b)
	s := open(b, withParam(testURL(), "schema", schema))
	if err := s.Ping(b.Context()); err != nil {
		b.Fatal(err)
	}
	storagetest.BenchAccounts(b, s, func(b *testing.B, _ storage.Store) {
		db := admin(b)
		t := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
		for _, q := range []string{
			`INSERT INTO ` + t("users") + ` (id, nickname, avatar_url, sex, province, city, country, created_at, updated_at)
			 SELECT format('usr-%s', lpad(i::text, 6, '0')), 'user ' || i, '', 0, '', '', '', now(), now() FROM generate_series(0, 99999) i`,
			`INSERT INTO ` + t("identities") + ` (id, user_id, app_id, openid_index, session_key_at, access_expires_at, refresh_expires_at, scope, created_at, updated_at, last_login_at)
			 SELECT format('idn-%s', lpad(i::text, 6, '0')), format('usr-%s', lpad(i::text, 6, '0')), 'wxbench', sha256(i::text::bytea), now(), now(), now(), '', now(), now(), now() FROM generate_series(0, 99999) i`,
			`ANALYZE ` + t("users"),
			`ANALYZE ` + t("identities"),
		} {
			if _, err := db.Exec(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
