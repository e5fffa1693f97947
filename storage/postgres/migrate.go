package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"github.com/wxgate/wxgate/storage/internal/migrations"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wxgate/wxgate/storage"
)

// ErrSchemaTooNew is returned (wrapped) for a database migrated by a newer
// wxgate: this build cannot know what the new schema means.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this wxgate")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations, in order.
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFiles, "migrations", "postgres")
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// version returns the schema version, 0 when there is no schema yet.
func version(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	return v, err
}

// lockKey is the advisory lock that serializes the migrations of a schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("wxgate migrate " + schema))
	return int64(h.Sum64())
}

// migrate brings the schema to the latest version. A schema already there
// costs one read. Otherwise every pending migration runs in one
// transaction, under an advisory lock on the schema's name: instances
// starting together wait for the first, then find the work done.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	v, err := version(ctx, s.pool)
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	if v > len(ms) {
		return tooNew(v, len(ms))
	}
	if v == len(ms) {
		return nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		schema := s.schema
		if schema == "" {
			var current *string
			if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
				return err
			}
			if current == nil {
				return updaterError{errors.New("postgres: no schema of the search_path exists to keep wxgate's tables: add schema=NAME to the database URL")}
			}
			schema = *current
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(schema)); err != nil {
			return err
		}
		if s.schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return err
		}
		v, err := version(ctx, tx) // again, under the lock
		if err != nil {
			return err
		}
		if v > len(ms) {
			return updaterError{tooNew(v, len(ms))}
		}
		for _, m := range ms[v:] {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return updaterError{fmt.Errorf("postgres: migration %s: %w", m.Name, s.fail(ctx, "migrate", err))}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
	var ue updaterError
	if errors.As(err, &ue) {
		return ue.err
	}
	return s.fail(ctx, "migrate", err)
}

func tooNew(v, latest int) error {
	return fmt.Errorf("%w: the database is at schema version %d, this build knows up to %d: run the wxgate that wrote it, or a newer one: %w",
		ErrSchemaTooNew, v, latest, storage.ErrUnavailable)
}
