package storage

import (
	"context"
	"fmt"
	"time"
)

// Event types of account administration.
const (
	EventUserBlocked      = "user_blocked"
	EventUserUnblocked    = "user_unblocked"
	EventIdentityUnlinked = "identity_unlinked"
	EventUserDeleted      = "user_deleted"
)

// UserQuery selects users for administration, in id order.
type UserQuery struct {
	// Text, if set, selects the user with this id (or merged into one
	// with it) and users whose nickname starts with it (compared by
	// bytes: case-sensitive).
	Text string
	// AfterID pages: only users with a greater id.
	AfterID string
	// Limit is at most MaxUserPage; 0 or less means 50.
	Limit int
}

// MaxUserPage bounds UserQuery.Limit.
const MaxUserPage = 500

// PageLimit is q.Limit as the stores apply it.
func (q UserQuery) PageLimit() int {
	switch {
	case q.Limit <= 0:
		return 50
	case q.Limit > MaxUserPage:
		return MaxUserPage
	}
	return q.Limit
}

// AccountStore is what administration needs beyond UserStore.
type AccountStore interface {
	// SearchUsers returns the users q selects, in id order.
	SearchUsers(ctx context.Context, q UserQuery) ([]User, error)
	// ListUserSessions returns a user's sessions, oldest first.
	ListUserSessions(ctx context.Context, userID string) ([]Session, error)
	// SetBlocked blocks (BlockedAt = at, every session deleted at once, in
	// the same transaction) or unblocks a user, with a user_blocked or
	// user_unblocked event; it returns the user and how many sessions it
	// ended. The id may be one merged into another. ErrNotFound.
	SetBlocked(ctx context.Context, id string, blocked bool, at time.Time) (User, int, error)
	// UnlinkIdentity deletes an identity and its sessions (its unionid
	// leads nowhere once no identity carries it), with an
	// identity_unlinked event: the app's next login of that person
	// creates a new identity, and joins the user again only through a
	// unionid. ErrNotFound; ErrInvalid for a user's last identity
	// (delete the user instead).
	UnlinkIdentity(ctx context.Context, identityID string, at time.Time) (Identity, error)
	// DeleteUser deletes a user and everything held about them
	// (identities, sessions, unionid links, avatar copy, the ids merged
	// into them) and clears the IP address of their audit events; the
	// events stay, and a user_deleted event records the deletion.
	// ErrNotFound.
	DeleteUser(ctx context.Context, id string, at time.Time) error
}

// AccountTx is what administration needs of a backend's transaction
// beyond Tx.
type AccountTx interface {
	Tx
	// DeleteUserSessions deletes a user's sessions and counts them.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// CountIdentities counts a user's identities.
	CountIdentities(ctx context.Context, userID string) (int, error)
	// DeleteIdentity deletes an identity and its sessions.
	DeleteIdentity(ctx context.Context, id string) error
	// PurgeUser deletes a locked user and everything of theirs, as
	// DeleteUser says, but appends no event.
	PurgeUser(ctx context.Context, id string) error
}

// SetBlockedTx implements AccountStore.SetBlocked inside tx.
func SetBlockedTx(ctx context.Context, tx AccountTx, id string, blocked bool, at time.Time) (User, int, error) {
	id, err := tx.ResolveUser(ctx, id)
	if err != nil {
		return User{}, 0, err
	}
	u, err := tx.User(ctx, id, true)
	if err != nil {
		return User{}, 0, raced(err)
	}
	at = Norm(at)
	typ := EventUserUnblocked
	u.BlockedAt = time.Time{}
	if blocked {
		typ = EventUserBlocked
		u.BlockedAt = at
	}
	u.UpdatedAt = at
	if err := tx.UpdateUser(ctx, u); err != nil {
		return User{}, 0, err
	}
	n := 0
	if blocked {
		if n, err = tx.DeleteUserSessions(ctx, id); err != nil {
			return User{}, 0, err
		}
	}
	if _, err := tx.AppendEvent(ctx, Event{Time: at, Type: typ, UserID: id,
		Detail: map[string]string{"sessions_ended": fmt.Sprint(n)}}); err != nil {
		return User{}, 0, err
	}
	return u, n, nil
}

// UnlinkIdentityTx implements AccountStore.UnlinkIdentity inside tx.
func UnlinkIdentityTx(ctx context.Context, tx AccountTx, identityID string, at time.Time) (Identity, error) {
	i, err := tx.Identity(ctx, identityID)
	if err != nil {
		return Identity{}, err
	}
	if _, err := tx.User(ctx, i.UserID, true); err != nil {
		return Identity{}, raced(err)
	}
	n, err := tx.CountIdentities(ctx, i.UserID)
	if err != nil {
		return Identity{}, err
	}
	if n <= 1 {
		return Identity{}, fmt.Errorf("storage: the user's last identity cannot be unlinked; delete the user instead: %w", ErrInvalid)
	}
	if err := tx.DeleteIdentity(ctx, i.ID); err != nil {
		return Identity{}, err
	}
	if len(i.UnionIDIndex) > 0 {
		if err := tx.ReleaseLink(ctx, i.UnionIDIndex); err != nil {
			return Identity{}, err
		}
	}
	if _, err := tx.AppendEvent(ctx, Event{Time: Norm(at), Type: EventIdentityUnlinked, UserID: i.UserID,
		Detail: map[string]string{"identity_id": i.ID, "app_id": i.AppID}}); err != nil {
		return Identity{}, err
	}
	return i, nil
}

// DeleteUserTx implements AccountStore.DeleteUser inside tx.
func DeleteUserTx(ctx context.Context, tx AccountTx, id string, at time.Time) error {
	id, err := tx.ResolveUser(ctx, id)
	if err != nil {
		return err
	}
	if _, err := tx.User(ctx, id, true); err != nil {
		return raced(err)
	}
	if err := tx.PurgeUser(ctx, id); err != nil {
		return err
	}
	_, err = tx.AppendEvent(ctx, Event{Time: Norm(at), Type: EventUserDeleted, UserID: id})
	return err
}
