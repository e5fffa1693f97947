package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var (
	errClosed           = fmt.Errorf("memory: store is closed: %w", storage.ErrUnavailable)
	errUserNotFound     = fmt.Errorf("memory: user: %w", storage.ErrNotFound)
	errIdentityNotFound = fmt.Errorf("memory: identity: %w", storage.ErrNotFound)
	errSessionNotFound  = fmt.Errorf("memory: session: %w", storage.ErrNotFound)
	errUserExists       = fmt.Errorf("memory: user id exists: %w", storage.ErrConflict)
	errIdentityExists   = fmt.Errorf("memory: identity id exists: %w", storage.ErrConflict)
	errSessionExists    = fmt.Errorf("memory: session id or token hash exists: %w", storage.ErrConflict)
	errUnionIDHeld      = fmt.Errorf("memory: unionid index is held by another user: %w", storage.ErrConflict)
)

// Store is a storage.Store in process memory. The zero value is not
// usable; call New.
type Store struct {
	mu     sync.RWMutex
	closed bool

	users      map[string]*storage.User
	identities map[string]*identity
	byOpenID   map[string]*identity   // OpenIDIndex -> identity
	byUser     map[string][]*identity // UserID -> identities
	links      map[string]string      // UnionIDIndex -> the user holding it
	carriers   map[string]int         // UnionIDIndex -> how many identities carry it
	merged     map[string]string      // merged user id -> the user it stands for now
	seq        uint64                 // creation order of identities

	sessions     map[string]*storage.Session
	byToken      map[string]*storage.Session
	userSessions map[string]map[string]*storage.Session // UserID -> ID -> session

	events []storage.Event // events[i].ID == i+1

	avatars     map[string]*storage.Avatar // ID -> avatar
	userAvatars map[string]string          // UserID -> avatar ID
}

type identity struct {
	storage.Identity
	seq uint64
}

var _ storage.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		users:        map[string]*storage.User{},
		identities:   map[string]*identity{},
		byOpenID:     map[string]*identity{},
		byUser:       map[string][]*identity{},
		links:        map[string]string{},
		carriers:     map[string]int{},
		merged:       map[string]string{},
		sessions:     map[string]*storage.Session{},
		byToken:      map[string]*storage.Session{},
		userSessions: map[string]map[string]*storage.Session{},
		avatars:      map[string]*storage.Avatar{},
		userAvatars:  map[string]string{},
	}
}

// lock checks ctx and takes the write lock; the caller unlocks.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	return nil
}

// rlock checks ctx and takes the read lock; the caller unlocks.
func (s *Store) rlock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	return nil
}

// LinkIdentity implements storage.UserStore. req.Update runs under the
// store's lock: it must not call the store. A failing call undoes what it
// changed, so it leaves the store as it was.
func (s *Store) LinkIdentity(ctx context.Context, req storage.LinkRequest) (storage.LinkResult, error) {
	if err := s.lock(ctx); err != nil {
		return storage.LinkResult{}, err
	}
	defer s.mu.Unlock()
	var res storage.LinkResult
	err := s.inTx(func(tx *memTx) error {
		var err error
		res, err = storage.Link(ctx, tx, req)
		return err
	})
	return res, err
}

// MergeUsers implements storage.UserStore.
func (s *Store) MergeUsers(ctx context.Context, from, into string, at time.Time, reseal storage.PhoneResealer) (storage.User, bool, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, false, err
	}
	defer s.mu.Unlock()
	var u storage.User
	var merged bool
	err := s.inTx(func(tx *memTx) error {
		var err error
		u, merged, err = storage.MergeUsersTx(ctx, tx, from, into, at, "", reseal)
		return err
	})
	return u, merged, err
}

// GetUser implements storage.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.User{}, err
	}
	defer s.mu.RUnlock()
	if into, ok := s.merged[id]; ok {
		id = into
	}
	u, ok := s.users[id]
	if !ok {
		return storage.User{}, errUserNotFound
	}
	return copyUser(u), nil
}

// UpdateUser implements storage.UserStore. fn runs under the store's lock:
// it must not call the store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.users[id]
	if !ok {
		return storage.User{}, errUserNotFound
	}
	next, err := fn(copyUser(cur))
	if err != nil {
		return storage.User{}, err
	}
	next = normUser(next)
	next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
	*cur = next
	return copyUser(cur), nil
}

// GetIdentity implements storage.UserStore.
func (s *Store) GetIdentity(ctx context.Context, id string) (storage.Identity, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.Identity{}, err
	}
	defer s.mu.RUnlock()
	idn, ok := s.identities[id]
	if !ok {
		return storage.Identity{}, errIdentityNotFound
	}
	return copyIdentity(&idn.Identity), nil
}

// GetIdentityByOpenID implements storage.UserStore.
func (s *Store) GetIdentityByOpenID(ctx context.Context, openIDIndex []byte) (storage.Identity, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.Identity{}, err
	}
	defer s.mu.RUnlock()
	idn, ok := s.byOpenID[string(openIDIndex)]
	if !ok {
		return storage.Identity{}, errIdentityNotFound
	}
	return copyIdentity(&idn.Identity), nil
}

// ListIdentities implements storage.UserStore: oldest CreatedAt first,
// identities created at the same instant in the order they were stored.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]storage.Identity, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	list := slices.Clone(s.byUser[userID])
	slices.SortFunc(list, func(a, b *identity) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	out := make([]storage.Identity, len(list))
	for i, idn := range list {
		out[i] = copyIdentity(&idn.Identity)
	}
	return out, nil
}

// UpdateIdentity implements storage.UserStore. fn runs under the store's
// lock: it must not call the store.
func (s *Store) UpdateIdentity(ctx context.Context, id string, fn func(storage.Identity) (storage.Identity, error)) (storage.Identity, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Identity{}, err
	}
	defer s.mu.Unlock()
	var out storage.Identity
	err := s.inTx(func(tx *memTx) error {
		var err error
		out, err = storage.UpdateIdentityTx(ctx, tx, id, fn)
		return err
	})
	return out, err
}

// ScanIdentities implements storage.UserStore.
func (s *Store) ScanIdentities(ctx context.Context, afterID string, limit int) ([]storage.Identity, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	ids := after(s.identities, afterID, limit)
	out := make([]storage.Identity, len(ids))
	for i, id := range ids {
		out[i] = copyIdentity(&s.identities[id].Identity)
	}
	return out, nil
}

// ScanUsers implements storage.UserStore.
func (s *Store) ScanUsers(ctx context.Context, afterID string, limit int) ([]storage.User, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	ids := after(s.users, afterID, limit)
	out := make([]storage.User, len(ids))
	for i, id := range ids {
		out[i] = copyUser(s.users[id])
	}
	return out, nil
}

// after returns the first limit keys of m greater than afterID, in order.
// A limit of 0 or less means 100, as for events.
func after[V any](m map[string]V, afterID string, limit int) []string {
	if limit <= 0 {
		limit = 100
	}
	var ids []string
	for id := range m {
		if id > afterID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}

// CreateSession implements storage.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess storage.Session) error {
	n := normSession(sess)
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.sessionExists(n) {
		return errSessionExists
	}
	s.addSession(n)
	return nil
}

// sessionExists reports whether a session with p's ID or TokenHash exists.
func (s *Store) sessionExists(p storage.Session) bool {
	_, dupID := s.sessions[p.ID]
	_, dupToken := s.byToken[string(p.TokenHash)]
	return dupID || dupToken
}

// addSession stores a normalized session whose ID and TokenHash are new.
func (s *Store) addSession(n storage.Session) {
	p := &n
	s.sessions[n.ID] = p
	s.byToken[string(n.TokenHash)] = p
	us := s.userSessions[n.UserID]
	if us == nil {
		us = map[string]*storage.Session{}
		s.userSessions[n.UserID] = us
	}
	us[n.ID] = p
}

// GetSessionByTokenHash implements storage.SessionStore.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (storage.Session, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.Session{}, err
	}
	defer s.mu.RUnlock()
	p, ok := s.byToken[string(tokenHash)]
	if !ok {
		return storage.Session{}, errSessionNotFound
	}
	return copySession(p), nil
}

// TouchSession implements storage.SessionStore.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	at = utc(at)
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, ok := s.sessions[id]
	if !ok {
		return errSessionNotFound
	}
	if at.After(p.LastSeenAt) {
		p.LastSeenAt = at
	}
	return nil
}

// DeleteSession implements storage.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if p, ok := s.sessions[id]; ok {
		s.deleteSession(p)
	}
	return nil
}

func (s *Store) deleteSession(p *storage.Session) {
	delete(s.sessions, p.ID)
	delete(s.byToken, string(p.TokenHash))
	if us := s.userSessions[p.UserID]; us != nil {
		delete(us, p.ID)
		if len(us) == 0 {
			delete(s.userSessions, p.UserID)
		}
	}
}

// DeleteUserSessions implements storage.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	us := s.userSessions[userID]
	n := len(us)
	for _, p := range us {
		s.deleteSession(p)
	}
	return n, nil
}

// DeleteExpiredSessions implements storage.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t, idleBefore time.Time) (int, error) {
	t, idle := utc(t), !idleBefore.IsZero()
	idleBefore = utc(idleBefore)
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.sessions {
		if p.ExpiresAt.Before(t) || (idle && p.LastSeenAt.Before(idleBefore)) {
			s.deleteSession(p)
			n++
		}
	}
	return n, nil
}

// AppendEvent implements storage.EventStore.
func (s *Store) AppendEvent(ctx context.Context, e storage.Event) (storage.Event, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Event{}, err
	}
	defer s.mu.Unlock()
	return s.appendEvent(e), nil
}

// appendEvent stores e under the lock and returns it with its ID.
func (s *Store) appendEvent(e storage.Event) storage.Event {
	e.Time = utc(e.Time)
	e.Detail = copyDetail(e.Detail)
	e.ID = int64(len(s.events)) + 1
	s.events = append(s.events, e)
	e.Detail = copyDetail(e.Detail)
	return e
}

// ListEvents implements storage.EventStore.
func (s *Store) ListEvents(ctx context.Context, f storage.EventFilter) ([]storage.Event, error) {
	since, until := utc(f.Since), utc(f.Until)
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	start := int64(0)
	if f.AfterID > 0 {
		start = min(f.AfterID, int64(len(s.events)))
	}
	var out []storage.Event
	for _, e := range s.events[start:] {
		if len(out) == limit {
			break
		}
		if (!f.Since.IsZero() && e.Time.Before(since)) ||
			(!f.Until.IsZero() && !e.Time.Before(until)) ||
			(f.Type != "" && e.Type != f.Type) ||
			(f.UserID != "" && e.UserID != f.UserID) {
			continue
		}
		e.Detail = copyDetail(e.Detail)
		out = append(out, e)
	}
	return out, nil
}

// Ping implements storage.Store: it fails once the store is closed.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rlock(ctx); err != nil {
		return err
	}
	s.mu.RUnlock()
	return nil
}

// Close drops everything the store holds; later calls fail with an error
// wrapping storage.ErrUnavailable. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.users, s.identities, s.byOpenID, s.byUser, s.links, s.carriers, s.merged = nil, nil, nil, nil, nil, nil, nil
	s.sessions, s.byToken, s.userSessions, s.events = nil, nil, nil, nil
	return nil
}

// utc is t as every backend keeps it: UTC, truncated to the microsecond
// (the zero time stays zero).
func utc(t time.Time) time.Time {
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// clone copies b; nil and empty both give nil ("absent").
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func normUser(u storage.User) storage.User { return storage.NormUser(u) }

func copyUser(u *storage.User) storage.User {
	c := *u
	c.Phone = clone(u.Phone)
	return c
}

func copyIdentity(i *storage.Identity) storage.Identity {
	c := *i
	c.OpenIDIndex = clone(i.OpenIDIndex)
	c.OpenID = clone(i.OpenID)
	c.UnionIDIndex = clone(i.UnionIDIndex)
	c.UnionID = clone(i.UnionID)
	c.SessionKey = clone(i.SessionKey)
	c.AccessToken = clone(i.AccessToken)
	c.RefreshToken = clone(i.RefreshToken)
	return c
}

func normSession(p storage.Session) storage.Session {
	p = copySession(&p)
	p.CreatedAt, p.LastSeenAt, p.ExpiresAt = utc(p.CreatedAt), utc(p.LastSeenAt), utc(p.ExpiresAt)
	return p
}

func copySession(p *storage.Session) storage.Session {
	c := *p
	c.TokenHash = clone(p.TokenHash)
	c.SigningKey = clone(p.SigningKey)
	return c
}

// copyDetail copies d; nil and empty both give nil.
func copyDetail(d map[string]string) map[string]string {
	if len(d) == 0 {
		return nil
	}
	return maps.Clone(d)
}

// PutAvatar implements storage.AvatarStore.
func (s *Store) PutAvatar(ctx context.Context, a storage.Avatar) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[a.UserID]; !ok {
		return fmt.Errorf("memory: put avatar: user: %w", storage.ErrNotFound)
	}
	if _, ok := s.avatars[a.ID]; ok {
		return fmt.Errorf("memory: put avatar %s: %w", a.ID, storage.ErrConflict)
	}
	if old, ok := s.userAvatars[a.UserID]; ok {
		delete(s.avatars, old)
	}
	c := copyAvatar(a)
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	s.avatars[a.ID] = &c
	s.userAvatars[a.UserID] = a.ID
	return nil
}

// GetAvatar implements storage.AvatarStore.
func (s *Store) GetAvatar(ctx context.Context, id string) (storage.Avatar, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.Avatar{}, err
	}
	defer s.mu.RUnlock()
	a, ok := s.avatars[id]
	if !ok {
		return storage.Avatar{}, fmt.Errorf("memory: avatar: %w", storage.ErrNotFound)
	}
	return copyAvatar(*a), nil
}

// GetUserAvatar implements storage.AvatarStore.
func (s *Store) GetUserAvatar(ctx context.Context, userID string) (storage.Avatar, error) {
	if err := s.rlock(ctx); err != nil {
		return storage.Avatar{}, err
	}
	defer s.mu.RUnlock()
	id, ok := s.userAvatars[userID]
	if !ok {
		return storage.Avatar{}, fmt.Errorf("memory: avatar of user: %w", storage.ErrNotFound)
	}
	return copyAvatar(*s.avatars[id]), nil
}

func copyAvatar(a storage.Avatar) storage.Avatar {
	a.Data = bytes.Clone(a.Data)
	a.Source = bytes.Clone(a.Source)
	return a
}
