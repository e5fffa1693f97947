// Package storage defines what wxgate keeps and the contract every backend
// meets: a durable Store (users, their WeChat identities, sessions, audit
// events) and an ephemeral KV (OAuth state, nonces, counters, the app
// access-token cache and its lease). Backends are chosen by URL scheme.
//
// Storage never sees a plaintext openid, unionid, phone number,
// session_key or WeChat token: callers seal those fields (see package seal)
// and look identities up by keyed blind index. A backend holds only what a
// leaked database copy could reveal without the keyring.
//
// Contract shared by every backend, checked by storagetest.RunStoreTests
// and storagetest.RunKVTests:
//   - Times are stored in UTC truncated to the microsecond (what PostgreSQL
//     keeps), so every backend gives back the same instant, as UTC.
//   - Byte slices come back equal (nil and empty are both "absent").
//   - Missing records give ErrNotFound; uniqueness violations ErrConflict;
//     an unreachable or closed backend an error wrapping ErrUnavailable,
//     promptly (no call outlives its context; a call whose context is done
//     returns an error wrapping the context's error).
//   - Updates go through an updater function (old -> new); the backend
//     runs it inside its transaction and retries it if the backend needs
//     to, so it must be a pure function of its input.
package storage

import (
	"context"
	"errors"
	"time"
)

// Errors every backend returns (possibly wrapped).
var (
	ErrNotFound    = errors.New("storage: not found")
	ErrConflict    = errors.New("storage: conflict")
	ErrUnavailable = errors.New("storage: backend unavailable")
	// ErrBlocked is a login of a blocked user: nothing is stored.
	ErrBlocked = errors.New("storage: the user is blocked")
	// ErrNoSignup is a login that would create a user when the request
	// forbids it (LinkRequest.NoNewUser): nothing is stored.
	ErrNoSignup = errors.New("storage: no user may be created")
)

// User is one person, however many WeChat apps they used to log in.
type User struct {
	ID       string // wxgate's user id; assigned by the caller
	Nickname string
	// AvatarURL is the URL wxgate serves the user's avatar copy from (or
	// WeChat's URL until a copy exists).
	AvatarURL string
	Sex       int
	Province  string
	City      string
	Country   string
	// Phone is the sealed phone number, nil when unknown.
	Phone     []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// BlockedAt is when an operator blocked the user, zero if not
	// blocked: a blocked user cannot log in (LinkIdentity fails with
	// ErrBlocked).
	BlockedAt time.Time
}

// Identity is a user's account in one WeChat app: the (appid, openid) pair,
// the unionid when the app belongs to an open-platform account, and the
// credentials WeChat issued for it. Every secret field is sealed.
type Identity struct {
	ID     string // assigned by the caller
	UserID string
	AppID  string // WeChat AppID
	// OpenIDIndex is the blind index of (AppID, openid); unique.
	OpenIDIndex []byte
	OpenID      []byte // sealed
	// UnionIDIndex is the blind index of the unionid; nil when WeChat gave
	// none. Identities of one user share it.
	UnionIDIndex []byte
	UnionID      []byte // sealed
	// SessionKey is the sealed current mini-program session_key: WeChat
	// keeps one valid key per user and app, so it lives here rather than on
	// a session. SessionKeyAt is when it was obtained.
	SessionKey   []byte
	SessionKeyAt time.Time
	// AccessToken and RefreshToken are the user's sealed WeChat tokens
	// (website, official-account and mobile logins), with their expiries.
	AccessToken      []byte
	AccessExpiresAt  time.Time
	RefreshToken     []byte
	RefreshExpiresAt time.Time
	Scope            string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastLoginAt      time.Time
}

// LinkRequest is what a WeChat login revealed about a person and, when
// Update or Session is set, what the login records: a login is one atomic
// unit (resolve the user, record what WeChat issued, start a session).
type LinkRequest struct {
	// Identity carries ID (used if a new identity is created), AppID,
	// OpenIDIndex, OpenID and, when known, UnionIDIndex and UnionID, and
	// the timestamps to set on creation.
	Identity Identity
	// NewUser is created when no existing user matches.
	NewUser User
	// Update, if set, is applied to the resolved identity (new or existing)
	// inside the same transaction, exactly as UpdateIdentity applies its
	// function (immutable fields kept; its error aborts the whole call and
	// nothing is stored, not even a new user). LinkResult.Identity is the
	// updated identity.
	//
	// Update gets the identity as LinkIdentity's rules leave it: the stored
	// one (with the unionid rule 1 attached, if it did), or the new one
	// with UserID set; the copy is its own. Its error is returned
	// unchanged, as UpdateIdentity returns fn's; and as there, a result
	// whose UnionIDIndex another user holds fails the call with
	// ErrConflict, storing nothing. A backend may call Update more than
	// once if it retries its transaction, so Update must be a pure
	// function of its input, like every updater; it runs inside the
	// backend's transaction and must not call the store.
	Update func(Identity) (Identity, error)
	// Session, if set, is created in the same transaction for the resolved
	// user and identity: its UserID and IdentityID are set by the store.
	// ErrConflict (and nothing stored) if its ID or TokenHash exists.
	// LinkResult.Session is the stored session.
	Session *Session
	// Event, if set, is appended to the audit trail in the same
	// transaction, with UserID set by the store to the resolved user: a
	// login commits together with its audit record, or not at all.
	// LinkResult.Event is the stored event.
	Event *Event
	// Merge says what to do when the login reveals that the identity's
	// user and the user holding its unionid are one person (see
	// MergePolicy); the zero value merges them.
	Merge MergePolicy
	// NoNewUser makes the call fail with ErrNoSignup, storing nothing,
	// where rule 3 would create a user (signup closed to this person).
	NoNewUser bool
	// ResealPhone, if set, re-seals the merged user's phone for the user
	// it is merged into (see PhoneResealer); without it a merge keeps
	// only the surviving user's phone.
	ResealPhone PhoneResealer
}

// LinkResult says which user and identity a login resolved to.
type LinkResult struct {
	User User
	// Identity is the identity as stored, after LinkRequest.Update.
	Identity        Identity
	CreatedUser     bool
	CreatedIdentity bool
	// Session is the session stored for LinkRequest.Session, as
	// GetSessionByTokenHash would return it; the zero Session when the
	// request carried none.
	Session Session
	// Event is the event stored for LinkRequest.Event, with its ID; the
	// zero Event when the request carried none.
	Event Event
	// MergedFrom is the id of the user this login merged into User (rule
	// 1 with MergeAuto), "" if none.
	MergedFrom string
	// Conflict is the id of the other user holding the login's unionid
	// when MergeManual left the two apart, "" if none.
	Conflict string
}

// UserStore keeps users and their identities.
type UserStore interface {
	// LinkIdentity resolves a login to one user, atomically, by the rules
	// every backend shares (see Link, which each runs in its own
	// transaction):
	//  1. If an identity with req.Identity.OpenIDIndex exists, it and its
	//     user are returned. If it has no UnionIDIndex and the request
	//     carries one, the identity's UnionIDIndex and UnionID are set:
	//     when another user holds that unionid, that user and the
	//     identity's are one person, merged first (req.Merge MergeAuto,
	//     the identity's user into the holder, as MergeUsers does;
	//     LinkResult.MergedFrom) or, with MergeManual, left apart with a
	//     "merge_conflict" event and no unionid attached
	//     (LinkResult.Conflict).
	//  2. Otherwise, if req carries a UnionIDIndex already held by a user
	//     (through any identity), a new identity is created for that user.
	//  3. Otherwise req.NewUser and a new identity are created (unless
	//     req.NoNewUser: ErrNoSignup).
	// A blocked user logs in nobody: ErrBlocked.
	// Then req.Update, if set, is applied to the identity and req.Session,
	// if set, is created, in the same transaction: the call stores all of
	// it or, returning an error, nothing at all. Without Update and Session
	// the call writes only what the rules above create, attach or merge.
	// Concurrent calls for the same person, on any number of instances,
	// create exactly one user, and one identity per OpenIDIndex.
	LinkIdentity(ctx context.Context, req LinkRequest) (LinkResult, error)
	// GetUser returns the user with the id, or ErrNotFound. The id of a
	// user merged into another keeps resolving: GetUser returns the user
	// it was merged into (whose ID differs from id).
	GetUser(ctx context.Context, id string) (User, error)
	// MergeUsers merges user from into user into, in one transaction:
	// into gets from's identities, sessions, unionids and avatar copy
	// (see MergedUser for which profile values win), from's id resolves
	// to into from then on, and a "user_merged" event (Detail "from",
	// "into") is appended. merged reports whether this call merged them:
	// ids that stand for one user already (merged before, or concurrently)
	// change nothing. ErrInvalid if from == into; ErrNotFound if either is
	// unknown. reseal, if set, re-seals from's phone for into (see
	// PhoneResealer); its error aborts the merge and is returned.
	MergeUsers(ctx context.Context, from, into string, at time.Time, reseal PhoneResealer) (u User, merged bool, err error)
	// UpdateUser applies fn to the stored user and stores the result
	// (ID and CreatedAt are kept). ErrNotFound if there is none; fn's
	// error aborts the update and is returned.
	UpdateUser(ctx context.Context, id string, fn func(User) (User, error)) (User, error)
	// GetIdentity returns the identity with the id, or ErrNotFound.
	GetIdentity(ctx context.Context, id string) (Identity, error)
	// GetIdentityByOpenID returns the identity with the blind index.
	GetIdentityByOpenID(ctx context.Context, openIDIndex []byte) (Identity, error)
	// ListIdentities returns a user's identities, oldest first.
	ListIdentities(ctx context.Context, userID string) ([]Identity, error)
	// UpdateIdentity applies fn to the stored identity and stores the
	// result (ID, UserID, AppID, OpenIDIndex and CreatedAt are kept).
	// ErrNotFound if there is none; ErrConflict if the result's
	// UnionIDIndex is held by another user (a unionid belongs to one user,
	// or LinkIdentity's rule 2 could not choose); fn's error aborts the
	// update and is returned.
	UpdateIdentity(ctx context.Context, id string, fn func(Identity) (Identity, error)) (Identity, error)
	// ScanIdentities returns up to limit identities with ID > afterID in ID
	// order, for background jobs such as re-sealing under a new key.
	ScanIdentities(ctx context.Context, afterID string, limit int) ([]Identity, error)
	// ScanUsers is ScanIdentities for users.
	ScanUsers(ctx context.Context, afterID string, limit int) ([]User, error)
}

// Session is a logged-in client. The bearer token or cookie value is never
// stored: only its SHA-256 (TokenHash).
type Session struct {
	ID         string // public-safe id (for logs, audit and revocation); assigned by the caller
	TokenHash  []byte // SHA-256 of the token; unique
	UserID     string
	IdentityID string
	App        string // name of the wxgate app the login used
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute expiry; the idle timeout is applied by the
	// caller from LastSeenAt.
	ExpiresAt time.Time
	// SigningKey is the sealed per-session request-signing key, nil when
	// the app does not sign requests.
	SigningKey []byte
}

// SessionStore keeps sessions.
type SessionStore interface {
	// CreateSession stores a new session; ErrConflict if its ID or
	// TokenHash exists.
	CreateSession(ctx context.Context, s Session) error
	// GetSessionByTokenHash returns the session, or ErrNotFound.
	GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (Session, error)
	// TouchSession sets LastSeenAt if at is later than the stored value.
	// ErrNotFound if there is no such session.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession removes a session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions removes every session of a user and reports how many.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DeleteExpiredSessions removes sessions with ExpiresAt before t, or
	// LastSeenAt before idleBefore (zero idleBefore: no idle rule).
	DeleteExpiredSessions(ctx context.Context, t, idleBefore time.Time) (int, error)
}

// Event is an entry of the security audit trail.
type Event struct {
	ID     int64 // assigned by the store, increasing
	Time   time.Time
	Type   string // e.g. "login", "logout", "state_mismatch", "rate_limited"
	UserID string
	App    string
	IP     string
	// Detail holds extra fields; never secrets or plaintext openids.
	Detail map[string]string
}

// EventFilter selects events; zero fields select everything.
type EventFilter struct {
	Since, Until time.Time // Since inclusive, Until exclusive
	Type         string
	UserID       string
	AfterID      int64
	Limit        int // 0 means 100
}

// EventStore keeps the audit trail.
type EventStore interface {
	// AppendEvent stores e and returns it with ID set.
	AppendEvent(ctx context.Context, e Event) (Event, error)
	// ListEvents returns matching events in ID order.
	ListEvents(ctx context.Context, f EventFilter) ([]Event, error)
}

// Avatar is wxgate's copy of a user's WeChat avatar. WeChat's avatar URLs
// stop working when the person changes their avatar, so the gateway keeps
// the image and serves it from its own URL.
type Avatar struct {
	ID          string // assigned by the caller; part of the public URL
	UserID      string
	ContentType string
	Data        []byte // at most MaxAvatarSize bytes
	// Source is the SHA-256 of the WeChat URL the image was copied from,
	// so that an unchanged avatar is not fetched again.
	Source    []byte
	CreatedAt time.Time
}

// MaxAvatarSize bounds Avatar.Data. WeChat's largest avatars (640x640)
// are well under it.
const MaxAvatarSize = 1 << 20

// AvatarStore keeps one avatar per user.
type AvatarStore interface {
	// PutAvatar stores a as its user's avatar, replacing (and deleting)
	// the previous one, atomically. ErrNotFound if the user does not
	// exist; ErrConflict if another avatar has a.ID.
	PutAvatar(ctx context.Context, a Avatar) error
	// GetAvatar returns the avatar with the id, or ErrNotFound.
	GetAvatar(ctx context.Context, id string) (Avatar, error)
	// GetUserAvatar returns the user's current avatar, or ErrNotFound.
	GetUserAvatar(ctx context.Context, userID string) (Avatar, error)
}

// Store is a durable backend.
type Store interface {
	UserStore
	AccountStore
	SessionStore
	EventStore
	AvatarStore
	// Ping reports whether the backend is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// KV is ephemeral key-value storage with expiry. Keys are opaque strings
// chosen by callers, who namespace them ("state:", "nonce:", ...); a backend
// may add its own prefix. Every operation is atomic on its one key, so the
// Redis backend stays Cluster-safe. TTLs are positive; a key past its TTL
// is gone for every operation.
type KV interface {
	// Get returns the value, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores the value, replacing any.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX stores the value only if the key is absent and reports whether it did.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// Take returns the value and deletes the key in one step (single-use
	// values such as OAuth state), or ErrNotFound.
	Take(ctx context.Context, key string) ([]byte, error)
	// Delete removes the key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// CompareAndSwap replaces the value with new only if it currently equals
	// old (old nil: only if the key is absent), setting ttl, and reports
	// whether it did.
	CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error)
	// CompareAndDelete deletes the key only if its value equals old.
	CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error)
	// Incr adds 1 to the integer at key (absent counts as 0), setting ttl
	// only when it creates the key, and returns the new value: a fixed
	// window counter.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Ping reports whether the backend is reachable.
	Ping(ctx context.Context) error
	Close() error
}
