package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wxgate/wxgate/storage"
)

// linkTx gives the linking rules (storage.Link and its kin) a write
// transaction. The IMMEDIATE transaction serializes every writer of the
// file, so nothing needs locking within it.
type linkTx struct{ tx wtx }

var _ storage.Tx = linkTx{}

// Statements of merges.
const (
	absorbIdentitiesStmt = `UPDATE identities SET user_id = ?1 WHERE user_id = ?2`
	absorbSessionsStmt   = `UPDATE sessions SET user_id = ?1 WHERE user_id = ?2`
	absorbLinksStmt      = `UPDATE links SET user_id = ?1 WHERE user_id = ?2`
	absorbMergedStmt     = `UPDATE merged_users SET into_id = ?1 WHERE into_id = ?2`
	insertMergedStmt     = `INSERT INTO merged_users (id, into_id) VALUES (?, ?)`
	deleteUserStmt       = `DELETE FROM users WHERE id = ?`
	moveAvatarStmt       = `UPDATE avatars SET user_id = ?1 WHERE user_id = ?2`
)

func (t linkTx) IdentityAndUser(ctx context.Context, openIDIndex []byte) (storage.Identity, storage.User, error) {
	return getIdentityAndUser(ctx, t.tx, openIDIndex)
}

func (t linkTx) Identity(ctx context.Context, id string) (storage.Identity, error) {
	return getIdentity(ctx, t.tx, selectIdentity, id)
}

func (t linkTx) UnionHolder(ctx context.Context, index []byte) (string, bool, error) {
	var userID string
	err := t.tx.QueryRowContext(ctx, selectUnionHolder, index).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return userID, err == nil, err
}

func (t linkTx) User(ctx context.Context, id string, _ bool) (storage.User, error) {
	return getUser(ctx, t.tx, id)
}

func (t linkTx) ResolveUser(ctx context.Context, id string) (string, error) {
	var into string
	switch err := t.tx.QueryRowContext(ctx, selectMergedInto, id).Scan(&into); {
	case err == nil:
		return into, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	var one int
	if err := t.tx.QueryRowContext(ctx, selectUserExists, id).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", errUserNotFound
		}
		return "", err
	}
	return id, nil
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

func (t linkTx) UpdateIdentity(ctx context.Context, i storage.Identity, unionChanged bool) error {
	return updateIdentity(ctx, t.tx, i, unionChanged)
}

func (t linkTx) InsertLink(ctx context.Context, index []byte, userID string) error {
	_, err := t.tx.ExecContext(ctx, insertLinkStmt, index, userID)
	return err
}

func (t linkTx) ReleaseLink(ctx context.Context, index []byte) error {
	_, err := t.tx.ExecContext(ctx, deleteUnusedLinkStmt, index)
	return err
}

func (t linkTx) InsertSession(ctx context.Context, p storage.Session) error {
	return insertSession(ctx, t.tx, p)
}

func (t linkTx) AppendEvent(ctx context.Context, e storage.Event) (storage.Event, error) {
	return appendEvent(ctx, t.tx, e)
}

func (t linkTx) AbsorbUser(ctx context.Context, from, into string) (bool, error) {
	for _, q := range []string{absorbIdentitiesStmt, absorbSessionsStmt, absorbLinksStmt, absorbMergedStmt} {
		if _, err := t.tx.ExecContext(ctx, q, into, from); err != nil {
			return false, err
		}
	}
	moved := false
	var one int
	switch err := t.tx.QueryRowContext(ctx, `SELECT 1 FROM avatars WHERE user_id = ?`, into).Scan(&one); {
	case err == nil:
		if _, err := t.tx.ExecContext(ctx, deleteUserAvatarStmt, from); err != nil {
			return false, err
		}
	case errors.Is(err, sql.ErrNoRows):
		res, err := t.tx.ExecContext(ctx, moveAvatarStmt, into, from)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, err
		}
		moved = n > 0
	default:
		return false, err
	}
	if _, err := t.tx.ExecContext(ctx, insertMergedStmt, from, into); err != nil {
		return false, err
	}
	_, err := t.tx.ExecContext(ctx, deleteUserStmt, from)
	return moved, err
}
