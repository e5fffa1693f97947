package sqlite

import (
	"context"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var _ storage.AccountTx = linkTx{}

// SearchUsers implements storage.AccountStore.
func (s *Store) SearchUsers(ctx context.Context, q storage.UserQuery) ([]storage.User, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	query := `SELECT ` + userColumns + ` FROM users u WHERE u.id > ?1 ORDER BY u.id LIMIT ?2`
	args := []any{q.AfterID, q.PageLimit()}
	if q.Text != "" {
		// The user with the id, and users whose nickname starts with the
		// text: two index look-ups (users_nickname is in binary order,
		// and U+10FFFF sorts after every character that may follow).
		query = `SELECT ` + userColumns + ` FROM users u WHERE u.id > ?1 AND u.id = coalesce((SELECT into_id FROM merged_users WHERE id = ?3), ?3)
			UNION
			SELECT ` + userColumns + ` FROM users u WHERE u.id > ?1 AND u.nickname >= ?3 AND u.nickname < ?3 || char(1114111)
			ORDER BY 1 LIMIT ?2`
		args = append(args, q.Text)
	}
	rows, err := (reads{s}).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fail(ctx, "search users", err)
	}
	defer rows.Close()
	var out []storage.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fail(ctx, "search users", err)
		}
		out = append(out, u)
	}
	return out, fail(ctx, "search users", rows.Err())
}

// ListUserSessions implements storage.AccountStore.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]storage.Session, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	rows, err := (reads{s}).QueryContext(ctx, `SELECT id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key
		FROM sessions WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fail(ctx, "list sessions", err)
	}
	defer rows.Close()
	var out []storage.Session
	for rows.Next() {
		var p storage.Session
		var created, lastSeen, expires int64
		if err := rows.Scan(&p.ID, &p.TokenHash, &p.UserID, &p.IdentityID, &p.App, &created, &lastSeen, &expires, &p.SigningKey); err != nil {
			return nil, fail(ctx, "list sessions", err)
		}
		p.TokenHash, p.SigningKey = absent(p.TokenHash), absent(p.SigningKey)
		p.CreatedAt, p.LastSeenAt, p.ExpiresAt = fromMicros(created), fromMicros(lastSeen), fromMicros(expires)
		out = append(out, p)
	}
	return out, fail(ctx, "list sessions", rows.Err())
}

// SetBlocked implements storage.AccountStore.
func (s *Store) SetBlocked(ctx context.Context, id string, blocked bool, at time.Time) (storage.User, int, error) {
	var u storage.User
	var n int
	err := s.write(ctx, "block user", func(tx wtx) error {
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
	err := s.write(ctx, "unlink identity", func(tx wtx) error {
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
	return s.write(ctx, "delete user", func(tx wtx) error {
		return storage.DeleteUserTx(ctx, linkTx{tx}, id, at)
	})
}

func (t linkTx) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	res, err := t.tx.ExecContext(ctx, deleteUserSessionsStmt, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t linkTx) CountIdentities(ctx context.Context, userID string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM identities WHERE user_id = ?`, userID).Scan(&n)
	return n, err
}

func (t linkTx) DeleteIdentity(ctx context.Context, id string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM sessions WHERE identity_id = ?`, id); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM identities WHERE id = ?`, id)
	return err
}

func (t linkTx) PurgeUser(ctx context.Context, id string) error {
	for _, q := range []string{
		`UPDATE events SET ip = '' WHERE user_id = ?1 OR user_id IN (SELECT id FROM merged_users WHERE into_id = ?1)`,
		`DELETE FROM sessions WHERE user_id = ?1`,
		`DELETE FROM links WHERE user_id = ?1`,
		`DELETE FROM identities WHERE user_id = ?1`,
		`DELETE FROM avatars WHERE user_id = ?1`,
		`DELETE FROM merged_users WHERE into_id = ?1`,
		`DELETE FROM users WHERE id = ?1`,
	} {
		if _, err := t.tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
