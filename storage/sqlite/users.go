package sqlite

import (
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

const userColumns = `u.id, u.nickname, u.avatar_url, u.sex, u.province, u.city, u.country, u.phone, u.created_at, u.updated_at, u.blocked_at`

type userRow struct {
	u                storage.User
	created, updated int64
	blocked          sql.NullInt64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Nickname, &r.u.AvatarURL, &r.u.Sex, &r.u.Province, &r.u.City, &r.u.Country, &r.u.Phone, &r.created, &r.updated, &r.blocked}
}

func (r *userRow) user() storage.User {
	u := r.u
	u.Phone = absent(u.Phone)
	u.CreatedAt, u.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	if r.blocked.Valid {
		u.BlockedAt = fromMicros(r.blocked.Int64)
	}
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
func normUser(u storage.User) storage.User { return storage.NormUser(u) }

// Statements on users and identities.
const (
	selectUser             = `SELECT ` + userColumns + ` FROM users u WHERE u.id = ?`
	selectIdentity         = `SELECT ` + identityColumns + ` FROM identities i WHERE i.id = ?`
	selectIdentityByOpenID = `SELECT ` + identityColumns + ` FROM identities i WHERE i.openid_index = ?`
	selectIdentityAndUser  = `SELECT ` + identityColumns + `, ` + userColumns + `
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.openid_index = ?`
	selectUnionHolder = `SELECT user_id FROM links WHERE unionid_index = ?`

	insertUserStmt = `INSERT INTO users (id, nickname, avatar_url, sex, province, city, country, phone, created_at, updated_at, blocked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateUserStmt = `UPDATE users SET nickname = ?, avatar_url = ?, sex = ?, province = ?, city = ?, country = ?,
		phone = ?, updated_at = ?, blocked_at = ? WHERE id = ?`
	// selectResolvedUser is selectUser following a merge.
	selectResolvedUser = `SELECT ` + userColumns + ` FROM users u
		WHERE u.id = coalesce((SELECT into_id FROM merged_users WHERE id = ?1), ?1)`
	selectMergedInto   = `SELECT into_id FROM merged_users WHERE id = ?`
	insertIdentityStmt = `INSERT INTO identities (id, user_id, app_id, openid_index, openid, unionid_index, unionid,
		session_key, session_key_at, access_token, access_expires_at, refresh_token, refresh_expires_at,
		scope, created_at, updated_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// updateIdentityStmt leaves unionid_index alone: setting it, even to
	// the value it has, rewrites its index entry, one page more for every
	// login to write to the WAL. setUnionIDStmt sets it.
	updateIdentityStmt = `UPDATE identities SET openid = ?, unionid = ?,
		session_key = ?, session_key_at = ?, access_token = ?, access_expires_at = ?, refresh_token = ?, refresh_expires_at = ?,
		scope = ?, updated_at = ?, last_login_at = ? WHERE id = ?`
	setUnionIDStmt       = `UPDATE identities SET unionid_index = ? WHERE id = ?`
	insertLinkStmt       = `INSERT INTO links (unionid_index, user_id) VALUES (?, ?)`
	deleteUnusedLinkStmt = `DELETE FROM links WHERE unionid_index = ?1
		AND NOT EXISTS (SELECT 1 FROM identities WHERE unionid_index = ?1)`
)

// writeStatements are the statements write transactions run, prepared
// once at Open: SQLite takes longer to parse most of them than to run
// them.
var writeStatements = []string{
	selectUser, selectIdentity, selectIdentityAndUser, selectUnionHolder,
	insertUserStmt, updateUserStmt, insertIdentityStmt, updateIdentityStmt, setUnionIDStmt,
	insertLinkStmt, deleteUnusedLinkStmt,
	insertSessionStmt, touchSessionStmt, deleteSessionStmt, deleteUserSessionsStmt,
	deleteExpiredSessionsStmt, deleteIdleSessionsStmt, insertEventStmt,
	deleteUserAvatarStmt, insertAvatarStmt,
}

func getUser(ctx context.Context, q queryer, id string) (storage.User, error) {
	return scanUser(q.QueryRowContext(ctx, selectUser, id))
}

func getIdentity(ctx context.Context, q queryer, query string, arg any) (storage.Identity, error) {
	return scanIdentity(q.QueryRowContext(ctx, query, arg))
}

// getIdentityAndUser returns the identity with the blind index and its
// user, in one statement.
func getIdentityAndUser(ctx context.Context, q queryer, openIDIndex []byte) (storage.Identity, storage.User, error) {
	var ir identityRow
	var ur userRow
	if err := q.QueryRowContext(ctx, selectIdentityAndUser, key(openIDIndex)).Scan(append(ir.dest(), ur.dest()...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return storage.Identity{}, storage.User{}, errIdentityNotFound
		}
		return storage.Identity{}, storage.User{}, err
	}
	return ir.identity(), ur.user(), nil
}

func insertUser(ctx context.Context, tx wtx, u storage.User) error {
	_, err := tx.ExecContext(ctx, insertUserStmt,
		u.ID, u.Nickname, u.AvatarURL, u.Sex, u.Province, u.City, u.Country, opt(u.Phone), micros(u.CreatedAt), micros(u.UpdatedAt), blockedAt(u))
	return err
}

// blockedAt is a user's blocked_at as stored: NULL when not blocked.
func blockedAt(u storage.User) any {
	if u.BlockedAt.IsZero() {
		return nil
	}
	return micros(u.BlockedAt)
}

func updateUser(ctx context.Context, tx wtx, u storage.User) error {
	_, err := tx.ExecContext(ctx, updateUserStmt,
		u.Nickname, u.AvatarURL, u.Sex, u.Province, u.City, u.Country, opt(u.Phone), micros(u.UpdatedAt), blockedAt(u), u.ID)
	return err
}

func insertIdentity(ctx context.Context, tx wtx, i storage.Identity) error {
	_, err := tx.ExecContext(ctx, insertIdentityStmt,
		i.ID, i.UserID, i.AppID, key(i.OpenIDIndex), opt(i.OpenID), opt(i.UnionIDIndex), opt(i.UnionID),
		opt(i.SessionKey), micros(i.SessionKeyAt), opt(i.AccessToken), micros(i.AccessExpiresAt), opt(i.RefreshToken), micros(i.RefreshExpiresAt),
		i.Scope, micros(i.CreatedAt), micros(i.UpdatedAt), micros(i.LastLoginAt))
	return err
}

// updateIdentity stores the mutable fields of i; its unionid index only
// if unionChanged (see updateIdentityStmt).
func updateIdentity(ctx context.Context, tx wtx, i storage.Identity, unionChanged bool) error {
	if unionChanged {
		if _, err := tx.ExecContext(ctx, setUnionIDStmt, opt(i.UnionIDIndex), i.ID); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, updateIdentityStmt,
		opt(i.OpenID), opt(i.UnionID),
		opt(i.SessionKey), micros(i.SessionKeyAt), opt(i.AccessToken), micros(i.AccessExpiresAt), opt(i.RefreshToken), micros(i.RefreshExpiresAt),
		i.Scope, micros(i.UpdatedAt), micros(i.LastLoginAt), i.ID)
	return err
}

// LinkIdentity implements storage.UserStore. A returning login whose
// identity needs no unionid, and that neither updates the identity nor
// starts a session, is answered from one read; everything else runs in
// one IMMEDIATE transaction, which serializes it with every other writer
// of the file. req.Update runs inside that transaction: it must not call
// the store.
func (s *Store) LinkIdentity(ctx context.Context, req storage.LinkRequest) (storage.LinkResult, error) {
	if s.closed.Load() {
		return storage.LinkResult{}, errClosed
	}
	if req.Update == nil && req.Session == nil && req.Event == nil {
		in := req.Identity
		switch idn, u, err := getIdentityAndUser(ctx, reads{s}, in.OpenIDIndex); {
		case err == nil:
			if (len(idn.UnionIDIndex) > 0 || len(in.UnionIDIndex) == 0) && u.BlockedAt.IsZero() {
				return storage.LinkResult{User: u, Identity: idn}, nil
			}
		case !errors.Is(err, storage.ErrNotFound):
			return storage.LinkResult{}, fail(ctx, "link identity", err)
		}
	}

	var res storage.LinkResult
	err := s.write(ctx, "link identity", func(tx wtx) error {
		var err error
		res, err = storage.Link(ctx, linkTx{tx}, req)
		return err
	})
	if err != nil {
		return storage.LinkResult{}, err
	}
	return res, nil
}

// GetUser implements storage.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	if s.closed.Load() {
		return storage.User{}, errClosed
	}
	u, err := scanUser((reads{s}).QueryRowContext(ctx, selectResolvedUser, id))
	return u, fail(ctx, "get user", err)
}

// UpdateUser implements storage.UserStore. fn runs inside the write
// transaction: it must not call the store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	var out storage.User
	err := s.write(ctx, "update user", func(tx wtx) error {
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
		if err := updateUser(ctx, tx, next); err != nil {
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
	i, err := getIdentity(ctx, reads{s}, selectIdentity, id)
	return i, fail(ctx, "get identity", err)
}

// GetIdentityByOpenID implements storage.UserStore.
func (s *Store) GetIdentityByOpenID(ctx context.Context, openIDIndex []byte) (storage.Identity, error) {
	if s.closed.Load() {
		return storage.Identity{}, errClosed
	}
	i, err := getIdentity(ctx, reads{s}, selectIdentityByOpenID, key(openIDIndex))
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
	err := s.write(ctx, "update identity", func(tx wtx) error {
		next, err := storage.UpdateIdentityTx(ctx, linkTx{tx}, id, fn)
		if err != nil {
			return err
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

// MergeUsers implements storage.UserStore.
func (s *Store) MergeUsers(ctx context.Context, from, into string, at time.Time, reseal storage.PhoneResealer) (storage.User, bool, error) {
	var u storage.User
	var merged bool
	err := s.write(ctx, "merge users", func(tx wtx) error {
		var err error
		u, merged, err = storage.MergeUsersTx(ctx, linkTx{tx}, from, into, at, "", reseal)
		return err
	})
	if err != nil {
		return storage.User{}, false, err
	}
	return u, merged, nil
}
