package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var (
	errUserNotFound     = fmt.Errorf("sqlite: user: %w", storage.ErrNotFound)
	errIdentityNotFound = fmt.Errorf("sqlite: identity: %w", storage.ErrNotFound)
	errUnionIDHeld      = fmt.Errorf("sqlite: unionid index is held by another user: %w", storage.ErrConflict)
)

// micros is how a time is stored: unix microseconds (the zero time too,
// so that comparisons in SQL agree with time.Time's).
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is a stored time as the contract gives it back: UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// opt is an optional byte field as stored: NULL when absent.
func opt(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// key is a required byte field as stored: never NULL.
func key(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// absent gives nil for an empty scanned byte field.
func absent(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// queryer is what reads need: the read pool or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

const userColumns = `u.id, u.nickname, u.avatar_url, u.sex, u.province, u.city, u.country, u.phone, u.created_at, u.updated_at`

type userRow struct {
	u                storage.User
	created, updated int64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Nickname, &r.u.AvatarURL, &r.u.Sex, &r.u.Province, &r.u.City, &r.u.Country, &r.u.Phone, &r.created, &r.updated}
}

func (r *userRow) user() storage.User {
	u := r.u
	u.Phone = absent(u.Phone)
	u.CreatedAt, u.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	return u
}

func scanUser(sc scanner) (storage.User, error) {
	var r userRow
	if err := sc.Scan(r.dest()...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return storage.User{}, errUserNotFound
		}
		return storage.User{}, err
	}
	return r.user(), nil
}

const identityColumns = `i.id, i.user_id, i.app_id, i.openid_index, i.openid, i.unionid_index, i.unionid,
	i.session_key, i.session_key_at, i.access_token, i.access_expires_at, i.refresh_token, i.refresh_expires_at,
	i.scope, i.created_at, i.updated_at, i.last_login_at`

type identityRow struct {
	i                                                                storage.Identity
	sessionKeyAt, accessExp, refreshExp, created, updated, lastLogin int64
}

func (r *identityRow) dest() []any {
	i := &r.i
	return []any{&i.ID, &i.UserID, &i.AppID, &i.OpenIDIndex, &i.OpenID, &i.UnionIDIndex, &i.UnionID,
		&i.SessionKey, &r.sessionKeyAt, &i.AccessToken, &r.accessExp, &i.RefreshToken, &r.refreshExp,
		&i.Scope, &r.created, &r.updated, &r.lastLogin}
}

func (r *identityRow) identity() storage.Identity {
	i := r.i
	i.OpenIDIndex, i.OpenID, i.UnionIDIndex, i.UnionID = absent(i.OpenIDIndex), absent(i.OpenID), absent(i.UnionIDIndex), absent(i.UnionID)
	i.SessionKey, i.AccessToken, i.RefreshToken = absent(i.SessionKey), absent(i.AccessToken), absent(i.RefreshToken)
	i.SessionKeyAt, i.AccessExpiresAt, i.RefreshExpiresAt = fromMicros(r.sessionKeyAt), fromMicros(r.accessExp), fromMicros(r.refreshExp)
	i.CreatedAt, i.UpdatedAt, i.LastLoginAt = fromMicros(r.created), fromMicros(r.updated), fromMicros(r.lastLogin)
	return i
}

func scanIdentity(sc scanner) (storage.Identity, error) {
	var r identityRow
	if err := sc.Scan(r.dest()...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return storage.Identity{}, errIdentityNotFound
		}
		return storage.Identity{}, err
	}
	return r.identity(), nil
}

// normUser is u as a read would give it back.
func normUser(u storage.User) storage.User {
	u.Phone = bytes.Clone(absent(u.Phone))
	u.CreatedAt, u.UpdatedAt = fromMicros(micros(u.CreatedAt)), fromMicros(micros(u.UpdatedAt))
	return u
}

// normIdentity is i as a read would give it back.
func normIdentity(i storage.Identity) storage.Identity {
	for _, b := range []*[]byte{&i.OpenIDIndex, &i.OpenID, &i.UnionIDIndex, &i.UnionID, &i.SessionKey, &i.AccessToken, &i.RefreshToken} {
		*b = bytes.Clone(absent(*b))
	}
	for _, t := range []*time.Time{&i.SessionKeyAt, &i.AccessExpiresAt, &i.RefreshExpiresAt, &i.CreatedAt, &i.UpdatedAt, &i.LastLoginAt} {
		*t = fromMicros(micros(*t))
	}
	return i
}

func getUser(ctx context.Context, q queryer, id string) (storage.User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
}

func getIdentity(ctx context.Context, q queryer, where string, arg any) (storage.Identity, error) {
	return scanIdentity(q.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities i WHERE `+where, arg))
}

func insertUser(ctx context.Context, tx *sql.Tx, u storage.User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, nickname, avatar_url, sex, province, city, country, phone, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Nickname, u.AvatarURL, u.Sex, u.Province, u.City, u.Country, opt(u.Phone), micros(u.CreatedAt), micros(u.UpdatedAt))
	return err
}

func insertIdentity(ctx context.Context, tx *sql.Tx, i storage.Identity) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO identities (id, user_id, app_id, openid_index, openid, unionid_index, unionid,
		session_key, session_key_at, access_token, access_expires_at, refresh_token, refresh_expires_at,
		scope, created_at, updated_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.UserID, i.AppID, key(i.OpenIDIndex), opt(i.OpenID), opt(i.UnionIDIndex), opt(i.UnionID),
		opt(i.SessionKey), micros(i.SessionKeyAt), opt(i.AccessToken), micros(i.AccessExpiresAt), opt(i.RefreshToken), micros(i.RefreshExpiresAt),
		i.Scope, micros(i.CreatedAt), micros(i.UpdatedAt), micros(i.LastLoginAt))
	return err
}

// unionHolder returns the user holding a unionid, if any.
func unionHolder(ctx context.Context, tx *sql.Tx, index []byte) (string, bool, error) {
	var userID string
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM links WHERE unionid_index = ?`, index).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return userID, err == nil, err
}

// LinkIdentity implements storage.UserStore. A returning login whose
// identity needs no unionid is answered from one read; everything else
// runs in one IMMEDIATE transaction, which serializes it with every other
// writer of the file.
func (s *Store) LinkIdentity(ctx context.Context, req storage.LinkRequest) (storage.LinkResult, error) {
	if s.closed.Load() {
		return storage.LinkResult{}, errClosed
	}
	in := req.Identity
	row := (reads{s}).QueryRowContext(ctx, `SELECT `+identityColumns+`, `+userColumns+`
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.openid_index = ?`, key(in.OpenIDIndex))
	var ir identityRow
	var ur userRow
	switch err := row.Scan(append(ir.dest(), ur.dest()...)...); {
	case err == nil:
		if idn := ir.identity(); len(idn.UnionIDIndex) > 0 || len(in.UnionIDIndex) == 0 {
			return storage.LinkResult{User: ur.user(), Identity: idn}, nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return storage.LinkResult{}, fail(ctx, "link identity", err)
	}

	var res storage.LinkResult
	err := s.write(ctx, "link identity", func(tx *sql.Tx) error {
		var err error
		res, err = link(ctx, tx, req)
		return err
	})
	if err != nil {
		return storage.LinkResult{}, err
	}
	return res, nil
}

// link applies LinkIdentity's three rules inside tx.
func link(ctx context.Context, tx *sql.Tx, req storage.LinkRequest) (storage.LinkResult, error) {
	in := normIdentity(req.Identity)

	// Rule 1: the identity exists.
	cur, err := getIdentity(ctx, tx, `i.openid_index = ?`, key(in.OpenIDIndex))
	switch {
	case err == nil:
		if len(cur.UnionIDIndex) == 0 && len(in.UnionIDIndex) > 0 {
			holder, held, err := unionHolder(ctx, tx, in.UnionIDIndex)
			if err != nil {
				return storage.LinkResult{}, err
			}
			if !held {
				if _, err := tx.ExecContext(ctx, `INSERT INTO links (unionid_index, user_id) VALUES (?, ?)`, in.UnionIDIndex, cur.UserID); err != nil {
					return storage.LinkResult{}, err
				}
			}
			if !held || holder == cur.UserID {
				if _, err := tx.ExecContext(ctx, `UPDATE identities SET unionid_index = ?, unionid = ? WHERE id = ?`,
					in.UnionIDIndex, opt(in.UnionID), cur.ID); err != nil {
					return storage.LinkResult{}, err
				}
				cur.UnionIDIndex, cur.UnionID = in.UnionIDIndex, in.UnionID
			}
		}
		u, err := getUser(ctx, tx, cur.UserID)
		return storage.LinkResult{User: u, Identity: cur}, err
	case !errors.Is(err, storage.ErrNotFound):
		return storage.LinkResult{}, err
	}

	// Rule 2: a user holds the unionid.
	if len(in.UnionIDIndex) > 0 {
		holder, held, err := unionHolder(ctx, tx, in.UnionIDIndex)
		if err != nil {
			return storage.LinkResult{}, err
		}
		if held {
			in.UserID = holder
			if err := insertIdentity(ctx, tx, in); err != nil {
				return storage.LinkResult{}, err
			}
			u, err := getUser(ctx, tx, holder)
			return storage.LinkResult{User: u, Identity: in, CreatedIdentity: true}, err
		}
	}

	// Rule 3: a new person.
	nu := normUser(req.NewUser)
	if err := insertUser(ctx, tx, nu); err != nil {
		return storage.LinkResult{}, err
	}
	in.UserID = nu.ID
	if err := insertIdentity(ctx, tx, in); err != nil {
		return storage.LinkResult{}, err
	}
	if len(in.UnionIDIndex) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO links (unionid_index, user_id) VALUES (?, ?)`, in.UnionIDIndex, nu.ID); err != nil {
			return storage.LinkResult{}, err
		}
	}
	return storage.LinkResult{User: nu, Identity: in, CreatedUser: true, CreatedIdentity: true}, nil
}

// GetUser implements storage.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	if s.closed.Load() {
		return storage.User{}, errClosed
	}
	u, err := getUser(ctx, reads{s}, id)
	return u, fail(ctx, "get user", err)
}

// UpdateUser implements storage.UserStore. fn runs inside the write
// transaction: it must not call the store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	var out storage.User
	err := s.write(ctx, "update user", func(tx *sql.Tx) error {
		cur, err := getUser(ctx, tx, id)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return updaterError{err}
		}
		next = normUser(next)
		next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
		if _, err := tx.ExecContext(ctx, `UPDATE users SET nickname = ?, avatar_url = ?, sex = ?, province = ?, city = ?, country = ?,
			phone = ?, updated_at = ? WHERE id = ?`,
			next.Nickname, next.AvatarURL, next.Sex, next.Province, next.City, next.Country,
			opt(next.Phone), micros(next.UpdatedAt), id); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return storage.User{}, err
	}
	return out, nil
}

// GetIdentity implements storage.UserStore.
func (s *Store) GetIdentity(ctx context.Context, id string) (storage.Identity, error) {
	if s.closed.Load() {
		return storage.Identity{}, errClosed
	}
	i, err := getIdentity(ctx, reads{s}, `i.id = ?`, id)
	return i, fail(ctx, "get identity", err)
}

// GetIdentityByOpenID implements storage.UserStore.
func (s *Store) GetIdentityByOpenID(ctx context.Context, openIDIndex []byte) (storage.Identity, error) {
	if s.closed.Load() {
		return storage.Identity{}, errClosed
	}
	i, err := getIdentity(ctx, reads{s}, `i.openid_index = ?`, key(openIDIndex))
	return i, fail(ctx, "get identity", err)
}

// ListIdentities implements storage.UserStore: oldest CreatedAt first,
// identities created at the same instant in the order they were stored.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]storage.Identity, error) {
	return s.identities(ctx, `WHERE i.user_id = ? ORDER BY i.created_at, i.rowid`, userID)
}

// ScanIdentities implements storage.UserStore. A limit of 0 or less means
// 100, as for events.
func (s *Store) ScanIdentities(ctx context.Context, afterID string, limit int) ([]storage.Identity, error) {
	return s.identities(ctx, `WHERE i.id > ? ORDER BY i.id LIMIT ?`, afterID, pageSize(limit))
}

func (s *Store) identities(ctx context.Context, clauses string, args ...any) ([]storage.Identity, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	rows, err := (reads{s}).QueryContext(ctx, `SELECT `+identityColumns+` FROM identities i `+clauses, args...)
	if err != nil {
		return nil, fail(ctx, "list identities", err)
	}
	defer rows.Close()
	var out []storage.Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fail(ctx, "list identities", err)
		}
		out = append(out, i)
	}
	return out, fail(ctx, "list identities", rows.Err())
}

// UpdateIdentity implements storage.UserStore. fn runs inside the write
// transaction: it must not call the store.
func (s *Store) UpdateIdentity(ctx context.Context, id string, fn func(storage.Identity) (storage.Identity, error)) (storage.Identity, error) {
	var out storage.Identity
	err := s.write(ctx, "update identity", func(tx *sql.Tx) error {
		cur, err := getIdentity(ctx, tx, `i.id = ?`, id)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return updaterError{err}
		}
		next = normIdentity(next)
		next.ID, next.UserID, next.AppID, next.OpenIDIndex, next.CreatedAt = cur.ID, cur.UserID, cur.AppID, cur.OpenIDIndex, cur.CreatedAt
		unionChanged := !bytes.Equal(next.UnionIDIndex, cur.UnionIDIndex)
		if unionChanged && len(next.UnionIDIndex) > 0 {
			holder, held, err := unionHolder(ctx, tx, next.UnionIDIndex)
			switch {
			case err != nil:
				return err
			case held && holder != cur.UserID:
				return errUnionIDHeld
			case !held:
				if _, err := tx.ExecContext(ctx, `INSERT INTO links (unionid_index, user_id) VALUES (?, ?)`, next.UnionIDIndex, cur.UserID); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET openid = ?, unionid_index = ?, unionid = ?,
			session_key = ?, session_key_at = ?, access_token = ?, access_expires_at = ?, refresh_token = ?, refresh_expires_at = ?,
			scope = ?, updated_at = ?, last_login_at = ? WHERE id = ?`,
			opt(next.OpenID), opt(next.UnionIDIndex), opt(next.UnionID),
			opt(next.SessionKey), micros(next.SessionKeyAt), opt(next.AccessToken), micros(next.AccessExpiresAt), opt(next.RefreshToken), micros(next.RefreshExpiresAt),
			next.Scope, micros(next.UpdatedAt), micros(next.LastLoginAt), id); err != nil {
			return err
		}
		if unionChanged && len(cur.UnionIDIndex) > 0 {
			// The old unionid leads nowhere once no identity carries it.
			if _, err := tx.ExecContext(ctx, `DELETE FROM links WHERE unionid_index = ?1
				AND NOT EXISTS (SELECT 1 FROM identities WHERE unionid_index = ?1)`, cur.UnionIDIndex); err != nil {
				return err
			}
		}
		out = next
		return nil
	})
	if err != nil {
		return storage.Identity{}, err
	}
	return out, nil
}

// ScanUsers implements storage.UserStore. A limit of 0 or less means 100,
// as for events.
func (s *Store) ScanUsers(ctx context.Context, afterID string, limit int) ([]storage.User, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	rows, err := (reads{s}).QueryContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`, afterID, pageSize(limit))
	if err != nil {
		return nil, fail(ctx, "scan users", err)
	}
	defer rows.Close()
	var out []storage.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fail(ctx, "scan users", err)
		}
		out = append(out, u)
	}
	return out, fail(ctx, "scan users", rows.Err())
}

func pageSize(limit int) int {
	if limit <= 0 {
		return 100
	}
	return limit
}
