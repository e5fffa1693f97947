package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/storage"
)

var errSessionNotFound = fmt.Errorf("postgres: session: %w", storage.ErrNotFound)

const (
	insertSessionStmt = `INSERT INTO sessions (id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	selectSessionByTokenHash = `SELECT id, token_hash, user_id, identity_id, app, created_at, last_seen_at, expires_at, signing_key
		FROM sessions WHERE token_hash = $1`
	touchSessionStmt          = `UPDATE sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE id = $2`
	deleteSessionStmt         = `DELETE FROM sessions WHERE id = $1`
	deleteUserSessionsStmt    = `DELETE FROM sessions WHERE user_id = $1`
	deleteExpiredSessionsStmt = `DELETE FROM sessions WHERE expires_at < $1`
	deleteIdleSessionsStmt    = `DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`
	insertEventStmt           = `INSERT INTO events (time, type, user_id, app, ip, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
)

// CreateSession implements storage.SessionStore. A session of a user that
// does not exist is refused with storage.ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, p storage.Session) error {
	return s.exec(ctx, "create session", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, insertSessionStmt,
			p.ID, key(p.TokenHash), p.UserID, p.IdentityID, p.App, ts(p.CreatedAt), ts(p.LastSeenAt), ts(p.ExpiresAt), opt(p.SigningKey))
		return err
	})
}

func insertSession(ctx context.Context, tx pgx.Tx, p storage.Session) error {
	_, err := tx.Exec(ctx, insertSessionStmt,
		p.ID, key(p.TokenHash), p.UserID, p.IdentityID, p.App, p.CreatedAt, p.LastSeenAt, p.ExpiresAt, opt(p.SigningKey))
	return err
}

// GetSessionByTokenHash implements storage.SessionStore.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (storage.Session, error) {
	var p storage.Session
	err := s.read(ctx, "get session", func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, selectSessionByTokenHash, key(tokenHash)).
			Scan(&p.ID, &p.TokenHash, &p.UserID, &p.IdentityID, &p.App, &p.CreatedAt, &p.LastSeenAt, &p.ExpiresAt, &p.SigningKey)
		if errors.Is(err, pgx.ErrNoRows) {
			return errSessionNotFound
		}
		return err
	})
	if err != nil {
		return storage.Session{}, err
	}
	p.TokenHash, p.SigningKey = absent(p.TokenHash), absent(p.SigningKey)
	p.CreatedAt, p.LastSeenAt, p.ExpiresAt = p.CreatedAt.UTC(), p.LastSeenAt.UTC(), p.ExpiresAt.UTC()
	return p, nil
}

// TouchSession implements storage.SessionStore.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "touch session", func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, touchSessionStmt, ts(at), id)
		if err == nil && tag.RowsAffected() == 0 {
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
		return s.delete(ctx, "delete expired sessions", deleteExpiredSessionsStmt, ts(t))
	}
	return s.delete(ctx, "delete expired sessions", deleteIdleSessionsStmt, ts(t), ts(idleBefore))
}

func (s *Store) delete(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int64
	err := s.exec(ctx, op, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, query, args...)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

// exec runs fn, one statement on the pool (atomic by itself), as a call
// named op. Unlike a read it is not run again after a connection failure:
// the statement may have been applied.
func (s *Store) exec(ctx context.Context, op string, fn func(context.Context) error) error {
	ctx, cancel, err := s.begin(ctx, op)
	if err != nil {
		return err
	}
	defer cancel()
	return s.fail(ctx, op, fn(ctx))
}

// AppendEvent implements storage.EventStore.
func (s *Store) AppendEvent(ctx context.Context, e storage.Event) (storage.Event, error) {
	var out storage.Event
	err := s.exec(ctx, "append event", func(ctx context.Context) error {
		var err error
		out, err = appendEvent(ctx, s.pool, e)
		return err
	})
	if err != nil {
		return storage.Event{}, err
	}
	return out, nil
}

// queryRower is the pool or a transaction.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// appendEvent inserts e (through the pool or inside a transaction) and
// returns it as stored, with its ID.
func appendEvent(ctx context.Context, q queryRower, e storage.Event) (storage.Event, error) {
	var detail []byte
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return storage.Event{}, fmt.Errorf("postgres: append event: %w", err)
		}
		detail = b
	}
	e.Time = ts(e.Time)
	if err := q.QueryRow(ctx, insertEventStmt, e.Time, e.Type, e.UserID, e.App, e.IP, detail).Scan(&e.ID); err != nil {
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
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if !f.Since.IsZero() {
		arg("time >=", ts(f.Since))
	}
	if !f.Until.IsZero() {
		arg("time <", ts(f.Until))
	}
	if f.Type != "" {
		arg("type =", f.Type)
	}
	if f.UserID != "" {
		arg("user_id =", f.UserID)
	}
	if f.AfterID > 0 {
		arg("id >", f.AfterID)
	}
	query := `SELECT id, time, type, user_id, app, ip, detail FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, pageSize(f.Limit))
	query += ` ORDER BY id LIMIT $` + strconv.Itoa(len(args))

	var out []storage.Event
	err := s.read(ctx, "list events", func(ctx context.Context) error {
		out = nil
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e storage.Event
			var detail []byte
			if err := rows.Scan(&e.ID, &e.Time, &e.Type, &e.UserID, &e.App, &e.IP, &detail); err != nil {
				return err
			}
			e.Time = e.Time.UTC()
			if detail != nil {
				if err := json.Unmarshal(detail, &e.Detail); err != nil {
					return fmt.Errorf("postgres: list events: event %d: bad detail: %w", e.ID, err)
				}
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
