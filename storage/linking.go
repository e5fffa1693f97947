package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInvalid is a request the store refuses whatever it holds, such as
// merging a user into itself.
var ErrInvalid = errors.New("storage: invalid request")

// PhoneResealer re-seals a user's sealed phone for another user: the
// gateway binds the sealed phone to its user's id, so a phone moving with
// a merge must be sealed again. It runs inside the store's transaction,
// possibly more than once, and must not call the store.
type PhoneResealer func(sealed []byte, fromUserID, intoUserID string) ([]byte, error)

// ErrRaced is what the linking rules return when a user they read was
// merged or deleted by a concurrent transaction before they could lock
// it: a backend whose transactions run concurrently runs the whole
// transaction again (it then finds the user's new id, or none).
var ErrRaced = errors.New("storage: a user changed under the transaction; run it again")

// MergePolicy says what LinkIdentity does when a login brings a unionid
// for an identity whose user has none, and another user already holds
// that unionid: the same person became two users (say, first met through
// an official account's snsapi_base login, which gives no unionid, and
// through the website).
type MergePolicy int

const (
	// MergeAuto makes the two users one, in the login's transaction (see
	// MergeUsers for which values win), with a "user_merged" event.
	MergeAuto MergePolicy = iota
	// MergeManual leaves both users as they are and records a
	// "merge_conflict" event for an operator to merge them.
	MergeManual
)

// Event types the linking rules append.
const (
	EventUserMerged    = "user_merged"
	EventMergeConflict = "merge_conflict"
)

// Tx is one transaction of a backend, as the linking rules (Link,
// MergeUsersTx, UpdateIdentityTx) use it: small primitives, each one
// statement or so, that know nothing of the rules. The backend commits
// what the rules did, or rolls it all back when they fail; several
// logins may share one transaction (group commit), since the rules only
// ever use the Tx they are given.
//
// Values passed in are normalized (see NormUser, NormIdentity and
// NormSession); values returned must be too.
type Tx interface {
	// IdentityAndUser returns the identity with the blind index and its
	// user, locking the identity until the transaction ends; ErrNotFound
	// if there is none.
	IdentityAndUser(ctx context.Context, openIDIndex []byte) (Identity, User, error)
	// Identity returns the identity with the id, locked; ErrNotFound.
	Identity(ctx context.Context, id string) (Identity, error)
	// UnionHolder returns the user a unionid leads to, if any, locking
	// the link against its deletion until the transaction ends.
	UnionHolder(ctx context.Context, unionIDIndex []byte) (userID string, held bool, err error)
	// User returns the user with the id (not following merges); locked
	// until the transaction ends when lock is set. ErrNotFound.
	User(ctx context.Context, id string, lock bool) (User, error)
	// ResolveUser returns the id a user id stands for now: the user it
	// was merged into, or id itself.
	ResolveUser(ctx context.Context, id string) (string, error)
	InsertUser(ctx context.Context, u User) error
	// UpdateUser stores u's mutable fields (all but ID and CreatedAt).
	UpdateUser(ctx context.Context, u User) error
	InsertIdentity(ctx context.Context, i Identity) error
	// UpdateIdentity stores i's mutable fields, and its unionid index
	// only when unionChanged.
	UpdateIdentity(ctx context.Context, i Identity, unionChanged bool) error
	// InsertLink makes a unionid lead to a user.
	InsertLink(ctx context.Context, unionIDIndex []byte, userID string) error
	// ReleaseLink makes a unionid lead nowhere once no identity carries it.
	ReleaseLink(ctx context.Context, unionIDIndex []byte) error
	// InsertSession stores a session; ErrConflict if its ID or TokenHash exists.
	InsertSession(ctx context.Context, s Session) error
	// AppendEvent stores an event and returns it with its ID.
	AppendEvent(ctx context.Context, e Event) (Event, error)
	// AbsorbUser gives everything of user from to user into (identities,
	// sessions, unionid links, the ids earlier merged into from) and its
	// avatar copy if into has none (reporting whether it did; from's is
	// deleted otherwise), records that from now stands for into, and
	// deletes user from. Both rows are locked by the caller.
	AbsorbUser(ctx context.Context, from, into string) (avatarMoved bool, err error)
}

// Norm is t as every backend keeps it: UTC, truncated to the microsecond.
func Norm(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// NormUser is u as a backend gives it back: times normalized, absent bytes
// nil, nothing shared with u.
func NormUser(u User) User {
	u.Phone = clone(u.Phone)
	u.CreatedAt, u.UpdatedAt = Norm(u.CreatedAt), Norm(u.UpdatedAt)
	if !u.BlockedAt.IsZero() {
		u.BlockedAt = Norm(u.BlockedAt)
	}
	return u
}

// NormIdentity is NormUser for identities.
func NormIdentity(i Identity) Identity {
	for _, b := range []*[]byte{&i.OpenIDIndex, &i.OpenID, &i.UnionIDIndex, &i.UnionID, &i.SessionKey, &i.AccessToken, &i.RefreshToken} {
		*b = clone(*b)
	}
	for _, t := range []*time.Time{&i.SessionKeyAt, &i.AccessExpiresAt, &i.RefreshExpiresAt, &i.CreatedAt, &i.UpdatedAt, &i.LastLoginAt} {
		*t = Norm(*t)
	}
	return i
}

// NormSession is NormUser for sessions.
func NormSession(p Session) Session {
	p.TokenHash, p.SigningKey = clone(p.TokenHash), clone(p.SigningKey)
	p.CreatedAt, p.LastSeenAt, p.ExpiresAt = Norm(p.CreatedAt), Norm(p.LastSeenAt), Norm(p.ExpiresAt)
	return p
}

// UpdaterError carries the error of a caller's function (LinkRequest.Update,
// an updater) out of a backend's transaction, untouched: the backend
// returns Err as it is and does not retry.
type UpdaterError struct{ Err error }

func (e UpdaterError) Error() string { return e.Err.Error() }
func (e UpdaterError) Unwrap() error { return e.Err }

var errUnionIDHeld = fmt.Errorf("storage: unionid index is held by another user: %w", ErrConflict)

// applyUpdate applies an updater to cur as UpdateIdentity does: fn gets a
// copy of its own, and the immutable fields of its result are cur's.
func applyUpdate(cur Identity, fn func(Identity) (Identity, error)) (Identity, error) {
	next, err := fn(NormIdentity(cur))
	if err != nil {
		return Identity{}, UpdaterError{err}
	}
	next = NormIdentity(next)
	next.ID, next.UserID, next.AppID, next.OpenIDIndex, next.CreatedAt = cur.ID, cur.UserID, cur.AppID, cur.OpenIDIndex, cur.CreatedAt
	return next, nil
}

// holdUnion makes a unionid lead to userID: ErrConflict if it leads to
// another user.
func holdUnion(ctx context.Context, tx Tx, index []byte, userID string) error {
	holder, held, err := tx.UnionHolder(ctx, index)
	switch {
	case err != nil:
		return err
	case held && holder != userID:
		return errUnionIDHeld
	case !held:
		return tx.InsertLink(ctx, index, userID)
	}
	return nil
}

// Link applies LinkIdentity's rules to req inside tx: every backend's
// LinkIdentity is this function run in one of its transactions. On error
// the caller rolls tx back; an UpdaterError carries req.Update's error.
//
// The rules, in order:
//  1. An identity with the OpenIDIndex exists: it and its user are the
//     result. If it has no unionid and the request carries one: no other
//     user holding it, it is attached; another user holding it, the two
//     users are merged (req.Merge MergeAuto: the identity's user into the
//     holder, see MergeUsersTx) and then it is attached, or (MergeManual)
//     a merge_conflict event is recorded and nothing attached.
//  2. Otherwise, a user holding the request's unionid gets a new identity.
//  3. Otherwise req.NewUser and a new identity are created.
//
// Then req.Update, req.Session and req.Event, as LinkRequest says. A
// blocked user (User.BlockedAt set) logs in nobody: ErrBlocked, nothing
// stored; a request with NoNewUser fails with ErrNoSignup instead of rule 3.
func Link(ctx context.Context, tx Tx, req LinkRequest) (LinkResult, error) {
	in := NormIdentity(req.Identity)
	var res LinkResult
	// stored is the identity as the database holds it, nil for a new one;
	// res.Identity is what the call makes of it. vetted is a unionid the
	// rules found free or held by the resolved user, and linked says
	// which, so that it need not be looked up again.
	var stored *Identity
	var vetted []byte
	var linked bool

	cur, u, err := tx.IdentityAndUser(ctx, in.OpenIDIndex)
	switch {
	case err == nil:
		// Rule 1: the identity exists.
		stored, res.User, res.Identity = &cur, u, cur
		if len(cur.UnionIDIndex) == 0 && len(in.UnionIDIndex) > 0 {
			holder, held, err := tx.UnionHolder(ctx, in.UnionIDIndex)
			if err != nil {
				return LinkResult{}, err
			}
			switch {
			case !held || holder == cur.UserID:
				res.Identity.UnionIDIndex, res.Identity.UnionID = in.UnionIDIndex, in.UnionID
				vetted, linked = in.UnionIDIndex, held
			case req.Merge == MergeManual:
				res.Conflict = holder
				if _, err := tx.AppendEvent(ctx, Event{
					Time: Norm(in.UpdatedAt), Type: EventMergeConflict, UserID: cur.UserID, App: eventApp(req),
					Detail: map[string]string{"user_id": cur.UserID, "other_user_id": holder},
				}); err != nil {
					return LinkResult{}, err
				}
			default:
				merged, err := mergeUsers(ctx, tx, cur.UserID, holder, Norm(in.UpdatedAt), eventApp(req), req.ResealPhone)
				if err != nil {
					return LinkResult{}, err
				}
				res.MergedFrom = cur.UserID
				res.User = merged
				cur.UserID = merged.ID
				res.Identity = cur
				res.Identity.UnionIDIndex, res.Identity.UnionID = in.UnionIDIndex, in.UnionID
				vetted, linked = in.UnionIDIndex, true
			}
		}
	case !errors.Is(err, ErrNotFound):
		return LinkResult{}, err
	default:
		res.CreatedIdentity = true
		// Rule 2: a user holds the unionid.
		holder, held := "", false
		if len(in.UnionIDIndex) > 0 {
			if holder, held, err = tx.UnionHolder(ctx, in.UnionIDIndex); err != nil {
				return LinkResult{}, err
			}
			vetted, linked = in.UnionIDIndex, held
		}
		if held {
			if res.User, err = tx.User(ctx, holder, false); err != nil {
				return LinkResult{}, err
			}
		} else {
			// Rule 3: a new person.
			if req.NoNewUser {
				return LinkResult{}, ErrNoSignup
			}
			res.User, res.CreatedUser = NormUser(req.NewUser), true
			res.User.BlockedAt = time.Time{}
			if err := tx.InsertUser(ctx, res.User); err != nil {
				return LinkResult{}, err
			}
		}
		in.UserID = res.User.ID
		res.Identity = in
	}
	if !res.User.BlockedAt.IsZero() {
		return LinkResult{}, ErrBlocked
	}

	if req.Update != nil {
		upd, err := applyUpdate(res.Identity, req.Update)
		if err != nil {
			return LinkResult{}, err
		}
		res.Identity = upd
	}

	// The unionid the identity ends with leads to its user (and the one it
	// replaces nowhere, unless another identity carries it).
	next := res.Identity
	var was []byte
	if stored != nil {
		was = stored.UnionIDIndex
	}
	unionChanged := !bytes.Equal(next.UnionIDIndex, was)
	if unionChanged && len(next.UnionIDIndex) > 0 {
		var err error
		switch {
		case !bytes.Equal(next.UnionIDIndex, vetted):
			err = holdUnion(ctx, tx, next.UnionIDIndex, next.UserID)
		case !linked:
			err = tx.InsertLink(ctx, next.UnionIDIndex, next.UserID)
		}
		if err != nil {
			return LinkResult{}, err
		}
	}
	if stored == nil {
		if err := tx.InsertIdentity(ctx, next); err != nil {
			return LinkResult{}, err
		}
	} else if unionChanged || req.Update != nil {
		if err := tx.UpdateIdentity(ctx, next, unionChanged); err != nil {
			return LinkResult{}, err
		}
	}
	if unionChanged && len(was) > 0 {
		if err := tx.ReleaseLink(ctx, was); err != nil {
			return LinkResult{}, err
		}
	}

	if req.Session != nil {
		p := NormSession(*req.Session)
		p.UserID, p.IdentityID = next.UserID, next.ID
		if err := tx.InsertSession(ctx, p); err != nil {
			return LinkResult{}, err
		}
		res.Session = p
	}
	if req.Event != nil {
		e := *req.Event
		e.UserID = next.UserID
		var err error
		if res.Event, err = tx.AppendEvent(ctx, e); err != nil {
			return LinkResult{}, err
		}
	}
	return res, nil
}

func eventApp(req LinkRequest) string {
	if req.Event != nil {
		return req.Event.App
	}
	if req.Session != nil {
		return req.Session.App
	}
	return ""
}

// MergeUsersTx merges user from into user into inside tx (see
// UserStore.MergeUsers for the rules). Ids that were merged before are
// followed: when both stand for one user already, that user is returned
// and nothing changes (a second merge of one pair is no error).
func MergeUsersTx(ctx context.Context, tx Tx, from, into string, at time.Time, app string, reseal PhoneResealer) (User, bool, error) {
	if from == into {
		return User{}, false, fmt.Errorf("storage: a user cannot be merged into itself: %w", ErrInvalid)
	}
	for {
		f, err := tx.ResolveUser(ctx, from)
		if err != nil {
			return User{}, false, err
		}
		t, err := tx.ResolveUser(ctx, into)
		if err != nil {
			return User{}, false, err
		}
		if f == t {
			u, err := tx.User(ctx, t, false)
			return u, false, err
		}
		u, err := mergeUsers(ctx, tx, f, t, Norm(at), app, reseal)
		if errors.Is(err, ErrRaced) {
			// A concurrent merge took one of them: resolve again (a new
			// statement sees what it committed).
			if err := ctx.Err(); err != nil {
				return User{}, false, err
			}
			continue
		}
		return u, err == nil, err
	}
}

// mergeUsers merges from into into: both exist and differ.
func mergeUsers(ctx context.Context, tx Tx, from, into string, at time.Time, app string, reseal PhoneResealer) (User, error) {
	// Lock both rows in id order, so that two merges of one pair queue
	// rather than deadlock.
	first, second := from, into
	if second < first {
		first, second = second, first
	}
	a, err := tx.User(ctx, first, true)
	if err != nil {
		return User{}, raced(err)
	}
	b, err := tx.User(ctx, second, true)
	if err != nil {
		return User{}, raced(err)
	}
	f, t := a, b
	if f.ID != from {
		f, t = b, a
	}
	// The phone moves only sealed for its new user.
	if len(t.Phone) == 0 && len(f.Phone) > 0 {
		var p []byte
		if reseal != nil {
			if p, err = reseal(f.Phone, f.ID, t.ID); err != nil {
				return User{}, UpdaterError{err}
			}
		}
		f.Phone = p
	}
	moved, err := tx.AbsorbUser(ctx, from, into)
	if err != nil {
		return User{}, err
	}
	m := MergedUser(f, t, moved, at)
	if err := tx.UpdateUser(ctx, m); err != nil {
		return User{}, err
	}
	if _, err := tx.AppendEvent(ctx, Event{
		Time: at, Type: EventUserMerged, UserID: into, App: app,
		Detail: map[string]string{"from": from, "into": into},
	}); err != nil {
		return User{}, err
	}
	return m, nil
}

// raced turns the disappearance of a user the caller had just read into
// ErrRaced.
func raced(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrRaced, err)
	}
	return err
}

// MergedUser is what user into becomes when from is merged into it:
//   - ID and CreatedAt are into's; UpdatedAt is at.
//   - Nickname, Sex, Province, City and Country come from the user
//     updated last (into on a tie), each empty one filled from the other.
//   - AvatarURL goes with the avatar copy: from's when from's copy moved
//     (into had none), otherwise into's, or from's if into has none.
//   - Phone is into's, or from's if into has none (MergeUsersTx passes
//     from's phone re-sealed for into, or none without a resealer).
//   - BlockedAt: blocked if either was (the earlier time).
func MergedUser(from, into User, avatarMoved bool, at time.Time) User {
	m := into
	newer, older := into, from
	if from.UpdatedAt.After(into.UpdatedAt) {
		newer, older = from, into
	}
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	m.Nickname = pick(newer.Nickname, older.Nickname)
	m.Province = pick(newer.Province, older.Province)
	m.City = pick(newer.City, older.City)
	m.Country = pick(newer.Country, older.Country)
	m.Sex = newer.Sex
	if m.Sex == 0 {
		m.Sex = older.Sex
	}
	if avatarMoved || into.AvatarURL == "" {
		m.AvatarURL = pick(from.AvatarURL, into.AvatarURL)
	}
	if len(m.Phone) == 0 {
		m.Phone = clone(from.Phone)
	}
	switch {
	case m.BlockedAt.IsZero():
		m.BlockedAt = from.BlockedAt
	case !from.BlockedAt.IsZero() && from.BlockedAt.Before(m.BlockedAt):
		m.BlockedAt = from.BlockedAt
	}
	m.UpdatedAt = at
	return NormUser(m)
}

// UpdateIdentityTx applies UpdateIdentity's rules inside tx.
func UpdateIdentityTx(ctx context.Context, tx Tx, id string, fn func(Identity) (Identity, error)) (Identity, error) {
	cur, err := tx.Identity(ctx, id)
	if err != nil {
		return Identity{}, err
	}
	next, err := applyUpdate(cur, fn)
	if err != nil {
		return Identity{}, err
	}
	unionChanged := !bytes.Equal(next.UnionIDIndex, cur.UnionIDIndex)
	if unionChanged && len(next.UnionIDIndex) > 0 {
		if err := holdUnion(ctx, tx, next.UnionIDIndex, cur.UserID); err != nil {
			return Identity{}, err
		}
	}
	if err := tx.UpdateIdentity(ctx, next, unionChanged); err != nil {
		return Identity{}, err
	}
	if unionChanged && len(cur.UnionIDIndex) > 0 {
		if err := tx.ReleaseLink(ctx, cur.UnionIDIndex); err != nil {
			return Identity{}, err
		}
	}
	return next, nil
}
