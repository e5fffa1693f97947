package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wxgate/wxgate/storage"
)

const (
	avatarColumns        = `id, user_id, content_type, data, source, created_at`
	selectAvatar         = `SELECT ` + avatarColumns + ` FROM avatars WHERE id = ?`
	selectUserAvatar     = `SELECT ` + avatarColumns + ` FROM avatars WHERE user_id = ?`
	deleteUserAvatarStmt = `DELETE FROM avatars WHERE user_id = ?`
	insertAvatarStmt     = `INSERT INTO avatars (` + avatarColumns + `) VALUES (?, ?, ?, ?, ?, ?)`
	selectUserExists     = `SELECT 1 FROM users WHERE id = ?`
)

// PutAvatar implements storage.AvatarStore.
func (s *Store) PutAvatar(ctx context.Context, a storage.Avatar) error {
	if len(a.Data) > storage.MaxAvatarSize {
		return fmt.Errorf("sqlite: put avatar: %d bytes is more than %d", len(a.Data), storage.MaxAvatarSize)
	}
	return s.write(ctx, "put avatar", func(tx wtx) error {
		var one int
		if err := tx.QueryRowContext(ctx, selectUserExists, a.UserID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlite: put avatar: user: %w", storage.ErrNotFound)
			}
			return err
		}
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM avatars WHERE id = ?`, a.ID).Scan(&existing)
		switch {
		case err == nil:
			return fmt.Errorf("sqlite: put avatar %s: %w", a.ID, storage.ErrConflict)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteUserAvatarStmt, a.UserID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, insertAvatarStmt, a.ID, a.UserID, a.ContentType, key(a.Data), key(a.Source), micros(a.CreatedAt))
		return err
	})
}

// GetAvatar implements storage.AvatarStore.
func (s *Store) GetAvatar(ctx context.Context, id string) (storage.Avatar, error) {
	if s.closed.Load() {
		return storage.Avatar{}, errClosed
	}
	a, err := scanAvatar(reads{s}.QueryRowContext(ctx, selectAvatar, id))
	return a, fail(ctx, "get avatar", err)
}

// GetUserAvatar implements storage.AvatarStore.
func (s *Store) GetUserAvatar(ctx context.Context, userID string) (storage.Avatar, error) {
	if s.closed.Load() {
		return storage.Avatar{}, errClosed
	}
	a, err := scanAvatar(reads{s}.QueryRowContext(ctx, selectUserAvatar, userID))
	return a, fail(ctx, "get user avatar", err)
}

func scanAvatar(row scanner) (storage.Avatar, error) {
	var a storage.Avatar
	var created int64
	if err := row.Scan(&a.ID, &a.UserID, &a.ContentType, &a.Data, &a.Source, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return storage.Avatar{}, fmt.Errorf("sqlite: avatar: %w", storage.ErrNotFound)
		}
		return storage.Avatar{}, err
	}
	a.CreatedAt = fromMicros(created)
	return a, nil
}
