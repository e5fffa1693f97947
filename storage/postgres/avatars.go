package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
)

const (
	avatarColumns    = `id, user_id, content_type, data, source, created_at`
	selectAvatar     = `SELECT ` + avatarColumns + ` FROM avatars WHERE id = $1`
	selectUserAvatar = `SELECT ` + avatarColumns + ` FROM avatars WHERE user_id = $1`
	selectUserExists = `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1), EXISTS (SELECT 1 FROM avatars WHERE id = $2)`
	deleteUserAvatar = `DELETE FROM avatars WHERE user_id = $1`
	insertAvatarStmt = `INSERT INTO avatars (` + avatarColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`
)

// PutAvatar implements storage.AvatarStore. Two puts for one user at once
// both delete the old avatar; the second's insert then fails on
// avatars_user_id_key and runs again, replacing the first's.
func (s *Store) PutAvatar(ctx context.Context, a storage.Avatar) error {
	if len(a.Data) > storage.MaxAvatarSize {
		return fmt.Errorf("postgres: put avatar: %d bytes is more than %d", len(a.Data), storage.MaxAvatarSize)
	}
	return s.write(ctx, "put avatar", func(ctx context.Context, tx pgx.Tx) error {
		var user, taken bool
		if err := tx.QueryRow(ctx, selectUserExists, a.UserID, a.ID).Scan(&user, &taken); err != nil {
			return err
		}
		switch {
		case !user:
			return fmt.Errorf("postgres: put avatar: user: %w", storage.ErrNotFound)
		case taken:
			return fmt.Errorf("postgres: put avatar %s: %w", a.ID, storage.ErrConflict)
		}
		if _, err := tx.Exec(ctx, deleteUserAvatar, a.UserID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insertAvatarStmt, a.ID, a.UserID, a.ContentType, key(a.Data), key(a.Source), ts(a.CreatedAt))
		return err
	})
}

// GetAvatar implements storage.AvatarStore.
func (s *Store) GetAvatar(ctx context.Context, id string) (storage.Avatar, error) {
	return s.avatar(ctx, "get avatar", selectAvatar, id)
}

// GetUserAvatar implements storage.AvatarStore.
func (s *Store) GetUserAvatar(ctx context.Context, userID string) (storage.Avatar, error) {
	return s.avatar(ctx, "get user avatar", selectUserAvatar, userID)
}

func (s *Store) avatar(ctx context.Context, op, query, arg string) (storage.Avatar, error) {
	var a storage.Avatar
	err := s.read(ctx, op, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, query, arg).Scan(&a.ID, &a.UserID, &a.ContentType, &a.Data, &a.Source, &a.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: avatar: %w", storage.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return storage.Avatar{}, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}
