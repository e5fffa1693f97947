package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var errSessionNotFound = fmt.Errorf("sqlite: session: %w", storage.ErrNotFound)

// The statements of write transactions on sessions and events; see
// writeStatements.
const (
	insertSessionStmt = `INSERT INTO sessions (id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	touchSessionStmt          = `UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`
	deleteSessionStmt         = `DELETE FROM sessions WHERE id = ?`
	deleteUserSessionsStmt    = `DELETE FROM sessions WHERE user_id = ?`
	deleteExpiredSessionsStmt = `DELETE FROM sessions WHERE expires_at < ?`
	deleteIdleSessionsStmt    = `DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?`
	insertEventStmt           = `INSERT INTO events (time, type, user_id, app, ip, detail) VALUES (?, ?, ?, ?, ?, ?)`
)

// CreateSession implements storage.SessionStore. A session of a user that
// does not exist is refused with storage.ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, p storage.Session) error {
	return s.write(ctx, "create session", func(tx wtx) error {
		return insertSession(ctx, tx, p)
	})
}

func insertSession(ctx context.Context, tx wtx, p storage.Session) error {
	_, err := tx.ExecContext(ctx, insertSessionStmt,
		p.ID, key(p.TokenHash), p.UserID, p.IdentityID, p.App, micros(p.CreatedAt), micros(p.LastSeenAt), micros(p.ExpiresAt), opt(p.SigningKey))
	return err
}

// GetSessionByTokenHash implements storage.SessionStore.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (storage.Session, error) {
	if s.closed.Load() {
		return storage.Session{}, errClosed
	}
	var p storage.Session
	var created, lastSeen, expires int64
	err := (reads{s}).QueryRowContext(ctx, `SELECT id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key
		FROM sessions WHERE token_hash = ?`, key(tokenHash)).
		Scan(&p.ID, &p.TokenHash, &p.UserID, &p.IdentityID, &p.App, &created, &lastSeen, &expires, &p.SigningKey)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Session{}, errSessionNotFound
	}
	if err != nil {
		return storage.Session{}, fail(ctx, "get session", err)
	}
	p.TokenHash, p.SigningKey = absent(p.TokenHash), absent(p.SigningKey)
	p.CreatedAt, p.LastSeenAt, p.ExpiresAt = fromMicros(created), fromMicros(lastSeen), fromMicros(expires)
	return p, nil
}

// TouchSession implements storage.SessionStore.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, "touch session", func(tx wtx) error {
		res, err := tx.ExecContext(ctx, touchSessionStmt, micros(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = errSessionNotFound
		}
		return err
	})
}

// DeleteSession implements storage.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.delete(ctx, "delete session", deleteSessionStmt, id)
	return err
}

// DeleteUserSessions implements storage.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return s.delete(ctx, "delete user sessions", deleteUserSessionsStmt, userID)
}

// DeleteExpiredSessions implements storage.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t, idleBefore time.Time) (int, error) {
	if idleBefore.IsZero() {
		return s.delete(ctx, "delete expired sessions", deleteExpiredSessionsStmt, micros(t))
	}
	return s.delete(ctx, "delete expired sessions", deleteIdleSessionsStmt, micros(t), micros(idleBefore))
}

func (s *Store) delete(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, op, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// AppendEvent implements storage.EventStore.
func (s *Store) AppendEvent(ctx context.Context, e storage.Event) (storage.Event, error) {
	var out storage.Event
	err := s.write(ctx, "append event", func(tx wtx) error {
		var err error
		out, err = appendEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return storage.Event{}, err
	}
	return out, nil
}

// appendEvent inserts e inside tx and returns it as stored, with its ID.
func appendEvent(ctx context.Context, tx wtx, e storage.Event) (storage.Event, error) {
	var detail any
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return storage.Event{}, fmt.Errorf("sqlite: append event: %w", err)
		}
		detail = string(b)
	}
	e.Time = fromMicros(micros(e.Time))
	res, err := tx.ExecContext(ctx, insertEventStmt, micros(e.Time), e.Type, e.UserID, e.App, e.IP, detail)
	if err != nil {
		return storage.Event{}, err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return storage.Event{}, err
	}
	e.Detail = maps.Clone(e.Detail) // the caller's map stays theirs
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, nil
}

// ListEvents implements storage.EventStore.
func (s *Store) ListEvents(ctx context.Context, f storage.EventFilter) ([]storage.Event, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, micros(f.Until))
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.AfterID > 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	query := `SELECT id, time, type, user_id, app, ip, detail FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, pageSize(f.Limit))

	rows, err := (reads{s}).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fail(ctx, "list events", err)
	}
	defer rows.Close()
	var out []storage.Event
	for rows.Next() {
		var e storage.Event
		var t int64
		var detail sql.NullString
		if err := rows.Scan(&e.ID, &t, &e.Type, &e.UserID, &e.App, &e.IP, &detail); err != nil {
			return nil, fail(ctx, "list events", err)
		}
		e.Time = fromMicros(t)
		if detail.Valid {
			if err := json.Unmarshal([]byte(detail.String), &e.Detail); err != nil {
				return nil, fmt.Errorf("sqlite: list events: event %d: bad detail: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, fail(ctx, "list events", rows.Err())
}
