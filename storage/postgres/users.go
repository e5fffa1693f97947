package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wxgate/wxgate/storage"
)

var (
	errUserNotFound     = fmt.Errorf("postgres: user: %w", storage.ErrNotFound)
	errIdentityNotFound = fmt.Errorf("postgres: identity: %w", storage.ErrNotFound)
)

// ts is a time as the contract stores it: UTC, truncated to the
// microsecond (what timestamptz keeps; truncating here makes it explicit
// that nothing is rounded).
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// opt is an optional byte field as stored: NULL when absent.
func opt(b []byte) []byte {
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

// queryer is what reads need: the pool or a transaction.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a read (retried as s.read retries) and scans every row it
// answers with scan.
func queryAll[T any](ctx context.Context, s *Store, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := s.read(ctx, op, func(ctx context.Context) error {
		out = nil
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const userColumns = `u.id, u.nickname, u.avatar_url, u.sex, u.province, u.city, u.country, u.phone, u.created_at, u.updated_at, u.blocked_at`

func userDest(u *storage.User) []any {
	return []any{&u.ID, &u.Nickname, &u.AvatarURL, &u.Sex, &u.Province, &u.City, &u.Country, &u.Phone, &u.CreatedAt, &u.UpdatedAt, blockedDest{&u.BlockedAt}}
}

// blockedDest scans blocked_at: NULL is the zero time.
type blockedDest struct{ t *time.Time }

func (d blockedDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	*d.t = time.Time{}
	if v.Valid {
		*d.t = v.Time.UTC()
	}
	return nil
}

// blockedAt is a user's blocked_at as stored: NULL when not blocked.
func blockedAt(u storage.User) *time.Time {
	if u.BlockedAt.IsZero() {
		return nil
	}
	t := ts(u.BlockedAt)
	return &t
}

// fixUser makes a scanned user what the contract gives back.
func fixUser(u *storage.User) {
	u.Phone = absent(u.Phone)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
}

func scanUser(sc scanner) (storage.User, error) {
	var u storage.User
	if err := sc.Scan(userDest(&u)...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.User{}, errUserNotFound
		}
		return storage.User{}, err
	}
	fixUser(&u)
	return u, nil
}

const identityColumns = `i.id, i.user_id, i.app_id, i.openid_index, i.openid, i.unionid_index, i.unionid,
	i.session_key, i.session_key_at, i.access_token, i.access_expires_at, i.refresh_token, i.refresh_expires_at,
	i.scope, i.created_at, i.updated_at, i.last_login_at`

func identityDest(i *storage.Identity) []any {
	return []any{&i.ID, &i.UserID, &i.AppID, &i.OpenIDIndex, &i.OpenID, &i.UnionIDIndex, &i.UnionID,
		&i.SessionKey, &i.SessionKeyAt, &i.AccessToken, &i.AccessExpiresAt, &i.RefreshToken, &i.RefreshExpiresAt,
		&i.Scope, &i.CreatedAt, &i.UpdatedAt, &i.LastLoginAt}
}

// fixIdentity makes a scanned identity what the contract gives back.
func fixIdentity(i *storage.Identity) {
	i.OpenIDIndex, i.OpenID, i.UnionIDIndex, i.UnionID = absent(i.OpenIDIndex), absent(i.OpenID), absent(i.UnionIDIndex), absent(i.UnionID)
	i.SessionKey, i.AccessToken, i.RefreshToken = absent(i.SessionKey), absent(i.AccessToken), absent(i.RefreshToken)
	i.SessionKeyAt, i.AccessExpiresAt, i.RefreshExpiresAt = i.SessionKeyAt.UTC(), i.AccessExpiresAt.UTC(), i.RefreshExpiresAt.UTC()
	i.CreatedAt, i.UpdatedAt, i.LastLoginAt = i.CreatedAt.UTC(), i.UpdatedAt.UTC(), i.LastLoginAt.UTC()
}

func scanIdentity(sc scanner) (storage.Identity, error) {
	var i storage.Identity
	if err := sc.Scan(identityDest(&i)...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.Identity{}, errIdentityNotFound
		}
		return storage.Identity{}, err
	}
	fixIdentity(&i)
	return i, nil
}

// normUser is u as a read would give it back.
func normUser(u storage.User) storage.User { return storage.NormUser(u) }

// Statements on users and identities.
const (
	selectUser             = `SELECT ` + userColumns + ` FROM users u WHERE u.id = $1`
	selectUserForUpdate    = selectUser + ` FOR UPDATE`
	selectIdentity         = `SELECT ` + identityColumns + ` FROM identities i WHERE i.id = $1`
	selectIdentityLocked   = selectIdentity + ` FOR UPDATE`
	selectIdentityByOpenID = `SELECT ` + identityColumns + ` FROM identities i WHERE i.openid_index = $1`
	selectIdentityAndUser  = `SELECT ` + identityColumns + `, ` + userColumns + `
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.openid_index = $1`
	// selectIdentityAndUserLocked locks the identity a login updates, so
	// that concurrent logins of one person update it one after the other,
	// and its user against a block or delete (FOR UPDATE) until the login
	// commits: the login sees the user as a block leaves it.
	selectIdentityAndUserLocked = selectIdentityAndUser + ` FOR UPDATE OF i FOR KEY SHARE OF u`
	// selectUnionHolder locks the link of a unionid against its deletion
	// (see releaseUnion) while a transaction makes an identity carry it.
	selectUnionHolder = `SELECT user_id FROM links WHERE unionid_index = $1 FOR SHARE`

	insertUserStmt = `INSERT INTO users (id, nickname, avatar_url, sex, province, city, country, phone, created_at, updated_at, blocked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	updateUserStmt = `UPDATE users SET nickname = $1, avatar_url = $2, sex = $3, province = $4, city = $5, country = $6,
		phone = $7, updated_at = $8, blocked_at = $9 WHERE id = $10`
	// selectResolvedUser is selectUser following a merge.
	selectResolvedUser = `SELECT ` + userColumns + ` FROM users u
		WHERE u.id = coalesce((SELECT into_id FROM merged_users WHERE id = $1), $1)`
	selectMergedInto   = `SELECT into_id FROM merged_users WHERE id = $1`
	insertIdentityStmt = `INSERT INTO identities (id, user_id, app_id, openid_index, openid, unionid_index, unionid,
		session_key, session_key_at, access_token, access_expires_at, refresh_token, refresh_expires_at,
		scope, created_at, updated_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`
	updateIdentityStmt = `UPDATE identities SET openid = $1, unionid_index = $2, unionid = $3,
		session_key = $4, session_key_at = $5, access_token = $6, access_expires_at = $7, refresh_token = $8, refresh_expires_at = $9,
		scope = $10, updated_at = $11, last_login_at = $12 WHERE id = $13`
	insertLinkStmt     = `INSERT INTO links (unionid_index, user_id) VALUES ($1, $2)`
	lockLinkStmt       = `SELECT 1 FROM links WHERE unionid_index = $1 FOR UPDATE`
	deleteUnusedLink   = `DELETE FROM links WHERE unionid_index = $1 AND NOT EXISTS (SELECT 1 FROM identities WHERE unionid_index = $1)`
	selectUserIdentity = `SELECT ` + identityColumns + ` FROM identities i `
)

// getIdentityAndUser returns the identity with the blind index and its
// user, in one statement (query is selectIdentityAndUser or its locking
// form).
func getIdentityAndUser(ctx context.Context, q queryer, query string, openIDIndex []byte) (storage.Identity, storage.User, error) {
	var i storage.Identity
	var u storage.User
	if err := q.QueryRow(ctx, query, key(openIDIndex)).Scan(append(identityDest(&i), userDest(&u)...)...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.Identity{}, storage.User{}, errIdentityNotFound
		}
		return storage.Identity{}, storage.User{}, err
	}
	fixIdentity(&i)
	fixUser(&u)
	return i, u, nil
}

func insertUser(ctx context.Context, tx pgx.Tx, u storage.User) error {
	_, err := tx.Exec(ctx, insertUserStmt,
		u.ID, u.Nickname, u.AvatarURL, u.Sex, u.Province, u.City, u.Country, opt(u.Phone), ts(u.CreatedAt), ts(u.UpdatedAt), blockedAt(u))
	return err
}

func updateUser(ctx context.Context, tx pgx.Tx, u storage.User) error {
	_, err := tx.Exec(ctx, updateUserStmt,
		u.Nickname, u.AvatarURL, u.Sex, u.Province, u.City, u.Country, opt(u.Phone), ts(u.UpdatedAt), blockedAt(u), u.ID)
	return err
}

func insertIdentity(ctx context.Context, tx pgx.Tx, i storage.Identity) error {
	_, err := tx.Exec(ctx, insertIdentityStmt,
		i.ID, i.UserID, i.AppID, key(i.OpenIDIndex), opt(i.OpenID), opt(i.UnionIDIndex), opt(i.UnionID),
		opt(i.SessionKey), ts(i.SessionKeyAt), opt(i.AccessToken), ts(i.AccessExpiresAt), opt(i.RefreshToken), ts(i.RefreshExpiresAt),
		i.Scope, ts(i.CreatedAt), ts(i.UpdatedAt), ts(i.LastLoginAt))
	return err
}

// updateIdentity stores the mutable fields of i.
func updateIdentity(ctx context.Context, tx pgx.Tx, i storage.Identity) error {
	_, err := tx.Exec(ctx, updateIdentityStmt,
		opt(i.OpenID), opt(i.UnionIDIndex), opt(i.UnionID),
		opt(i.SessionKey), ts(i.SessionKeyAt), opt(i.AccessToken), ts(i.AccessExpiresAt), opt(i.RefreshToken), ts(i.RefreshExpiresAt),
		i.Scope, ts(i.UpdatedAt), ts(i.LastLoginAt), i.ID)
	return err
}

// unionHolder returns the user holding a unionid, if any, and locks the
// link against deletion until the transaction ends.
func unionHolder(ctx context.Context, tx pgx.Tx, index []byte) (string, bool, error) {
	var userID string
	err := tx.QueryRow(ctx, selectUnionHolder, index).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return userID, err == nil, err
}

// releaseUnion makes a unionid lead nowhere once no identity carries it.
// It locks the link first, then looks for carriers in a statement of its
// own: that statement sees every transaction that held the lock, so an
// identity made to carry the unionid meanwhile keeps its link.
func releaseUnion(ctx context.Context, tx pgx.Tx, index []byte) error {
	if _, err := tx.Exec(ctx, lockLinkStmt, index); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, deleteUnusedLink, index)
	return err
}

// LinkIdentity implements storage.UserStore. A returning login whose
// identity needs no unionid, and that neither updates the identity nor
// starts a session, is answered from one read; everything else runs in one
// transaction (see the package documentation for how concurrent logins of
// one person resolve to one user). req.Update runs inside that transaction,
// possibly more than once: it must not call the store.
func (s *Store) LinkIdentity(ctx context.Context, req storage.LinkRequest) (storage.LinkResult, error) {
	if req.Update == nil && req.Session == nil && req.Event == nil {
		var res storage.LinkResult
		done := false
		err := s.read(ctx, "link identity", func(ctx context.Context) error {
			idn, u, err := getIdentityAndUser(ctx, s.pool, selectIdentityAndUser, req.Identity.OpenIDIndex)
			switch {
			case err == nil:
				if (len(idn.UnionIDIndex) > 0 || len(req.Identity.UnionIDIndex) == 0) && u.BlockedAt.IsZero() {
					res, done = storage.LinkResult{User: u, Identity: idn}, true
				}
				return nil
			case errors.Is(err, storage.ErrNotFound):
				return nil
			}
			return err
		})
		if err != nil || done {
			return res, err
		}
	}

	var res storage.LinkResult
	err := s.write(ctx, "link identity", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		res, err = storage.Link(ctx, linkTx{tx}, req)
		return retryMissingUser(err)
	})
	if err != nil {
		return storage.LinkResult{}, err
	}
	return res, nil
}

// GetUser implements storage.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	var u storage.User
	err := s.read(ctx, "get user", func(ctx context.Context) error {
		var err error
		u, err = scanUser(s.pool.QueryRow(ctx, selectResolvedUser, id))
		return err
	})
	return u, err
}

// UpdateUser implements storage.UserStore. fn runs inside the transaction,
// with the user's row locked, possibly more than once: it must not call the
// store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	var out storage.User
	err := s.write(ctx, "update user", func(ctx context.Context, tx pgx.Tx) error {
		cur, err := scanUser(tx.QueryRow(ctx, selectUserForUpdate, id))
		if err != nil {
			return err
		}
		next, err := fn(normUser(cur))
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
	var i storage.Identity
	err := s.read(ctx, "get identity", func(ctx context.Context) error {
		var err error
		i, err = scanIdentity(s.pool.QueryRow(ctx, selectIdentity, id))
		return err
	})
	return i, err
}

// GetIdentityByOpenID implements storage.UserStore.
func (s *Store) GetIdentityByOpenID(ctx context.Context, openIDIndex []byte) (storage.Identity, error) {
	var i storage.Identity
	err := s.read(ctx, "get identity", func(ctx context.Context) error {
		var err error
		i, err = scanIdentity(s.pool.QueryRow(ctx, selectIdentityByOpenID, key(openIDIndex)))
		return err
	})
	return i, err
}

// ListIdentities implements storage.UserStore: oldest CreatedAt first,
// identities created at the same instant in the order they were stored.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]storage.Identity, error) {
	return s.identities(ctx, "list identities", selectUserIdentity+`WHERE i.user_id = $1 ORDER BY i.created_at, i.seq`, userID)
}

// ScanIdentities implements storage.UserStore. A limit of 0 or less means
// 100, as for events.
func (s *Store) ScanIdentities(ctx context.Context, afterID string, limit int) ([]storage.Identity, error) {
	return s.identities(ctx, "scan identities", selectUserIdentity+`WHERE i.id > $1 ORDER BY i.id LIMIT $2`, afterID, pageSize(limit))
}

func (s *Store) identities(ctx context.Context, op, query string, args ...any) ([]storage.Identity, error) {
	return queryAll(ctx, s, op, scanIdentity, query, args...)
}

// UpdateIdentity implements storage.UserStore. fn runs inside the
// transaction, with the identity's row locked, possibly more than once: it
// must not call the store.
func (s *Store) UpdateIdentity(ctx context.Context, id string, fn func(storage.Identity) (storage.Identity, error)) (storage.Identity, error) {
	var out storage.Identity
	err := s.write(ctx, "update identity", func(ctx context.Context, tx pgx.Tx) error {
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
	return queryAll(ctx, s, "scan users", scanUser, `SELECT `+userColumns+` FROM users u WHERE u.id > $1 ORDER BY u.id LIMIT $2`, afterID, pageSize(limit))
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
	err := s.write(ctx, "merge users", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		u, merged, err = storage.MergeUsersTx(ctx, linkTx{tx}, from, into, at, "", reseal)
		return retryMissingUser(err)
	})
	if err != nil {
		return storage.User{}, false, err
	}
	return u, merged, nil
}
