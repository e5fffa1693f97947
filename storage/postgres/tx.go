package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wxgate/wxgate/storage"
)

// linkTx gives the linking rules (storage.Link and its kin) a
// transaction. See the package documentation for how its locks order
// concurrent logins and merges.
type linkTx struct{ tx pgx.Tx }

var _ storage.Tx = linkTx{}

// Statements of merges.
const (
	selectUserLocked     = selectUser + ` FOR UPDATE`
	selectUserKeyShared  = selectUser + ` FOR KEY SHARE`
	absorbIdentitiesStmt = `UPDATE identities SET user_id = $1 WHERE user_id = $2`
	absorbSessionsStmt   = `UPDATE sessions SET user_id = $1 WHERE user_id = $2`
	absorbLinksStmt      = `UPDATE links SET user_id = $1 WHERE user_id = $2`
	absorbMergedStmt     = `UPDATE merged_users SET into_id = $1 WHERE into_id = $2`
	insertMergedStmt     = `INSERT INTO merged_users (id, into_id) VALUES ($1, $2)`
	deleteUserStmt       = `DELETE FROM users WHERE id = $1`
	deleteAvatarOfStmt   = `DELETE FROM avatars WHERE user_id = $1`
	moveAvatarStmt       = `UPDATE avatars SET user_id = $1 WHERE user_id = $2`
)

// missingUser is a transaction that named a user a concurrent merge or
// delete removed after this one read it: run again, it finds the user's
// new id (or none).
type missingUser struct{ err error }

func (e missingUser) Error() string { return e.err.Error() }
func (e missingUser) Unwrap() error { return e.err }

// retryMissingUser marks a foreign-key violation on a user for retry.
func retryMissingUser(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		switch pgErr.ConstraintName {
		case "identities_user_fkey", "sessions_user_fkey", "links_user_fkey", "avatars_user_fkey":
			return missingUser{err}
		}
	}
	return err
}

func (t linkTx) IdentityAndUser(ctx context.Context, openIDIndex []byte) (storage.Identity, storage.User, error) {
	return getIdentityAndUser(ctx, t.tx, selectIdentityAndUserLocked, openIDIndex)
}

func (t linkTx) Identity(ctx context.Context, id string) (storage.Identity, error) {
	return scanIdentity(t.tx.QueryRow(ctx, selectIdentityLocked, id))
}

func (t linkTx) UnionHolder(ctx context.Context, index []byte) (string, bool, error) {
	return unionHolder(ctx, t.tx, index)
}

func (t linkTx) User(ctx context.Context, id string, lock bool) (storage.User, error) {
	// Unlocked reads (rule 2) still take the lock the identity's foreign
	// key would: the login then sees the user as a block leaves it.
	q := selectUserKeyShared
	if lock {
		q = selectUserLocked
	}
	return scanUser(t.tx.QueryRow(ctx, q, id))
}

func (t linkTx) ResolveUser(ctx context.Context, id string) (string, error) {
	// One statement, one snapshot: a merge committing between two
	// statements could otherwise hide the id in both places.
	var into *string
	if err := t.tx.QueryRow(ctx, `SELECT coalesce((SELECT into_id FROM merged_users WHERE id = $1), (SELECT id FROM users WHERE id = $1))`, id).Scan(&into); err != nil {
		return "", err
	}
	if into == nil {
		return "", errUserNotFound
	}
	return *into, nil
}

func (t linkTx) InsertUser(ctx context.Context, u storage.User) error {
	return insertUser(ctx, t.tx, u)
}

func (t linkTx) UpdateUser(ctx context.Context, u storage.User) error {
	return updateUser(ctx, t.tx, u)
}

func (t linkTx) InsertIdentity(ctx context.Context, i storage.Identity) error {
	return insertIdentity(ctx, t.tx, i)
}

func (t linkTx) UpdateIdentity(ctx context.Context, i storage.Identity, _ bool) error {
	return updateIdentity(ctx, t.tx, i)
}

func (t linkTx) InsertLink(ctx context.Context, index []byte, userID string) error {
	_, err := t.tx.Exec(ctx, insertLinkStmt, index, userID)
	return err
}

func (t linkTx) ReleaseLink(ctx context.Context, index []byte) error {
	return releaseUnion(ctx, t.tx, index)
}

func (t linkTx) InsertSession(ctx context.Context, p storage.Session) error {
	return insertSession(ctx, t.tx, p)
}

func (t linkTx) AppendEvent(ctx context.Context, e storage.Event) (storage.Event, error) {
	return appendEvent(ctx, t.tx, e)
}

func (t linkTx) AbsorbUser(ctx context.Context, from, into string) (bool, error) {
	for _, q := range []string{absorbIdentitiesStmt, absorbSessionsStmt, absorbLinksStmt, absorbMergedStmt} {
		if _, err := t.tx.Exec(ctx, q, into, from); err != nil {
			return false, err
		}
	}
	moved := false
	var one int
	switch err := t.tx.QueryRow(ctx, `SELECT 1 FROM avatars WHERE user_id = $1`, into).Scan(&one); {
	case err == nil:
		if _, err := t.tx.Exec(ctx, deleteAvatarOfStmt, from); err != nil {
			return false, err
		}
	case errors.Is(err, pgx.ErrNoRows):
		tag, err := t.tx.Exec(ctx, moveAvatarStmt, into, from)
		if err != nil {
			return false, err
		}
		moved = tag.RowsAffected() > 0
	default:
		return false, err
	}
	if _, err := t.tx.Exec(ctx, insertMergedStmt, from, into); err != nil {
		return false, err
	}
	_, err := t.tx.Exec(ctx, deleteUserStmt, from)
	return moved, err
}
