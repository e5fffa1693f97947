package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/wxgate/wxgate/storage/internal/migrations"
)

// ErrSchemaTooNew is returned (wrapped) by Open for a database migrated by
// a newer wxgate: this build cannot know what the new schema means.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this wxgate")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations, in order.
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFiles, "migrations", "sqlite")
}

// version returns the schema version of the database, 0 for a new one.
func version(ctx context.Context, q queryer) (int, error) {
	var exists int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'`).Scan(&exists)
	if err != nil || exists == 0 {
		return 0, err
	}
	var v sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v)
	return int(v.Int64), err
}

// migrate brings the database to the latest schema in one IMMEDIATE
// transaction, so concurrent Opens of one file migrate it once. A database
// already at the latest schema needs only a read, so Open works while
// another instance is writing.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	v, err := version(ctx, db)
	if err != nil {
		return fail(ctx, "migrate", err)
	}
	if v > len(ms) {
		return tooNew(v, len(ms))
	}
	if v == len(ms) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(ctx, "migrate", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT`); err != nil {
		return fail(ctx, "migrate", err)
	}
	if v, err = version(ctx, tx); err != nil { // again, under the lock
		return fail(ctx, "migrate", err)
	}
	if v > len(ms) {
		return tooNew(v, len(ms))
	}
	for _, m := range ms[v:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fail(ctx, "migration "+m.Name, err)
		}
	}
	if v < len(ms) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
			return fail(ctx, "migrate", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, len(ms)); err != nil {
			return fail(ctx, "migrate", err)
		}
	}
	return fail(ctx, "migrate", tx.Commit())
}

func tooNew(v, latest int) error {
	return fmt.Errorf("%w: the database is at schema version %d, this build knows up to %d: run the wxgate that wrote it, or a newer one", ErrSchemaTooNew, v, latest)
}
