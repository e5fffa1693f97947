package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
)

var _ storage.AccountTx = linkTx{}

// SearchUsers implements storage.AccountStore.
func (s *Store) SearchUsers(ctx context.Context, q storage.UserQuery) ([]storage.User, error) {
	query := `SELECT ` + userColumns + ` FROM users u WHERE u.id > $1 ORDER BY u.id LIMIT $2`
	args := []any{q.AfterID, q.PageLimit()}
	if q.Text != "" {
		// The user with the id, and users whose nickname starts with the
		// text, compared by bytes: two index look-ups (users_nickname).
		query = `SELECT ` + userColumns + ` FROM users u WHERE u.id > $1 AND u.id = coalesce((SELECT into_id FROM merged_users WHERE id = $3), $3)
			UNION
			SELECT ` + userColumns + ` FROM users u WHERE u.id > $1 AND (u.nickname COLLATE "C") >= $3 AND (u.nickname COLLATE "C") < $3 || chr(1114111)
			ORDER BY 1 LIMIT $2`
		args = append(args, q.Text)
	}
	return queryAll(ctx, s, "search users", scanUser, query, args...)
}

// ListUserSessions implements storage.AccountStore.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]storage.Session, error) {
	return queryAll(ctx, s, "list sessions", scanSessionRow, `SELECT id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key
			FROM sessions WHERE user_id = $1 ORDER BY created_at, id`, userID)
}

// scanSessionRow reads a sessions row of ListUserSessions' columns.
func scanSessionRow(sc scanner) (storage.Session, error) {
	var p storage.Session
	if err := sc.Scan(&p.ID, &p.TokenHash, &p.UserID, &p.IdentityID, &p.App, &p.CreatedAt, &p.LastSeenAt, &p.ExpiresAt, &p.SigningKey); err != nil {
		return p, err
	}
	p.TokenHash, p.SigningKey = absent(p.TokenHash), absent(p.SigningKey)
	p.CreatedAt, p.LastSeenAt, p.ExpiresAt = p.CreatedAt.UTC(), p.LastSeenAt.UTC(), p.ExpiresAt.UTC()
	return p, nil
}

// SetBlocked implements storage.AccountStore. The user's row is locked
// first; logins lock it too (FOR KEY SHARE) before they check it, so a
// login either commits its session before the block deletes them all, or
// finds the user blocked.
func (s *Store) SetBlocked(ctx context.Context, id string, blocked bool, at time.Time) (storage.User, int, error) {
	var u storage.User
	var n int
	err := s.write(ctx, "block user", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		u, n, err = storage.SetBlockedTx(ctx, linkTx{tx}, id, blocked, at)
		return err
	})
	if err != nil {
		return storage.User{}, 0, err
	}
	return u, n, nil
}

// UnlinkIdentity implements storage.AccountStore.
func (s *Store) UnlinkIdentity(ctx context.Context, identityID string, at time.Time) (storage.Identity, error) {
	var i storage.Identity
	err := s.write(ctx, "unlink identity", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		i, err = storage.UnlinkIdentityTx(ctx, linkTx{tx}, identityID, at)
		return err
	})
	if err != nil {
		return storage.Identity{}, err
	}
	return i, nil
}

// DeleteUser implements storage.AccountStore.
func (s *Store) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, "delete user", func(ctx context.Context, tx pgx.Tx) error {
		return storage.DeleteUserTx(ctx, linkTx{tx}, id, at)
	})
}

func (t linkTx) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	tag, err := t.tx.Exec(ctx, deleteUserSessionsStmt, userID)
	return int(tag.RowsAffected()), err
}

func (t linkTx) CountIdentities(ctx context.Context, userID string) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM identities WHERE user_id = $1`, userID).Scan(&n)
	return n, err
}

func (t linkTx) DeleteIdentity(ctx context.Context, id string) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM sessions WHERE identity_id = $1`, id); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `DELETE FROM identities WHERE id = $1`, id)
	return err
}

func (t linkTx) PurgeUser(ctx context.Context, id string) error {
	for _, q := range []string{
		`UPDATE events SET ip = '' WHERE user_id = $1 OR user_id IN (SELECT id FROM merged_users WHERE into_id = $1)`,
		`DELETE FROM sessions WHERE user_id = $1`,
		`DELETE FROM links WHERE user_id = $1`,
		`DELETE FROM identities WHERE user_id = $1`,
		`DELETE FROM avatars WHERE user_id = $1`,
		`DELETE FROM merged_users WHERE into_id = $1`,
		`DELETE FROM users WHERE id = $1`,
	} {
		if _, err := t.tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
