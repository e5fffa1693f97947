package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var _ storage.AccountTx = (*memTx)(nil)

// SearchUsers implements storage.AccountStore.
func (s *Store) SearchUsers(ctx context.Context, q storage.UserQuery) ([]storage.User, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	exact := q.Text
	if into, ok := s.merged[exact]; ok {
		exact = into
	}
	var ids []string
	for id, u := range s.users {
		if id <= q.AfterID {
			continue
		}
		if q.Text == "" || id == exact || strings.HasPrefix(u.Nickname, q.Text) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if n := q.PageLimit(); len(ids) > n {
		ids = ids[:n]
	}
	out := make([]storage.User, len(ids))
	for i, id := range ids {
		out[i] = copyUser(s.users[id])
	}
	return out, nil
}

// ListUserSessions implements storage.AccountStore.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]storage.Session, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []storage.Session
	for _, p := range s.userSessions[userID] {
		out = append(out, copySession(p))
	}
	slices.SortFunc(out, func(a, b storage.Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SetBlocked implements storage.AccountStore.
func (s *Store) SetBlocked(ctx context.Context, id string, blocked bool, at time.Time) (storage.User, int, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, 0, err
	}
	defer s.mu.Unlock()
	var u storage.User
	var n int
	err := s.inTx(func(tx *memTx) error {
		var err error
		u, n, err = storage.SetBlockedTx(ctx, tx, id, blocked, at)
		return err
	})
	return u, n, err
}

// UnlinkIdentity implements storage.AccountStore.
func (s *Store) UnlinkIdentity(ctx context.Context, identityID string, at time.Time) (storage.Identity, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Identity{}, err
	}
	defer s.mu.Unlock()
	var i storage.Identity
	err := s.inTx(func(tx *memTx) error {
		var err error
		i, err = storage.UnlinkIdentityTx(ctx, tx, identityID, at)
		return err
	})
	return i, err
}

// DeleteUser implements storage.AccountStore.
func (s *Store) DeleteUser(ctx context.Context, id string, at time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return s.inTx(func(tx *memTx) error { return storage.DeleteUserTx(ctx, tx, id, at) })
}

// removeSession deletes a session and pushes its undo.
func (t *memTx) removeSession(p *storage.Session) {
	t.s.deleteSession(p)
	t.undo = append(t.undo, func() { t.s.addSession(*p) })
}

func (t *memTx) DeleteUserSessions(_ context.Context, userID string) (int, error) {
	us := t.s.userSessions[userID]
	n := len(us)
	for _, p := range us {
		t.removeSession(p)
	}
	return n, nil
}

func (t *memTx) CountIdentities(_ context.Context, userID string) (int, error) {
	return len(t.s.byUser[userID]), nil
}

func (t *memTx) DeleteIdentity(_ context.Context, id string) error {
	s := t.s
	idn, ok := s.identities[id]
	if !ok {
		return errIdentityNotFound
	}
	for _, p := range s.userSessions[idn.UserID] {
		if p.IdentityID == id {
			t.removeSession(p)
		}
	}
	prev := s.byUser[idn.UserID]
	delete(s.identities, id)
	delete(s.byOpenID, string(idn.OpenIDIndex))
	rest := slices.DeleteFunc(slices.Clone(prev), func(x *identity) bool { return x == idn })
	if len(rest) == 0 {
		delete(s.byUser, idn.UserID)
	} else {
		s.byUser[idn.UserID] = rest
	}
	t.undo = append(t.undo, func() {
		s.identities[id] = idn
		s.byOpenID[string(idn.OpenIDIndex)] = idn
		s.byUser[idn.UserID] = prev
	})
	t.carry(idn.UnionIDIndex, -1)
	return nil
}

func (t *memTx) PurgeUser(ctx context.Context, id string) error {
	s := t.s
	// Events keep everything but the IP address.
	merged := map[string]bool{id: true}
	for k, into := range s.merged {
		if into == id {
			merged[k] = true
		}
	}
	for i := range s.events {
		if e := &s.events[i]; merged[e.UserID] && e.IP != "" {
			ip := e.IP
			e.IP = ""
			t.undo = append(t.undo, func() { s.events[i].IP = ip })
		}
	}
	if _, err := t.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	for _, idn := range slices.Clone(s.byUser[id]) {
		if err := t.DeleteIdentity(ctx, idn.ID); err != nil {
			return err
		}
	}
	for k, u := range s.links {
		if u == id {
			delete(s.links, k)
			t.undo = append(t.undo, func() { s.links[k] = u })
		}
	}
	if av, ok := s.userAvatars[id]; ok {
		a := s.avatars[av]
		delete(s.avatars, av)
		delete(s.userAvatars, id)
		t.undo = append(t.undo, func() { s.avatars[av], s.userAvatars[id] = a, av })
	}
	for k := range merged {
		if k != id {
			delete(s.merged, k)
			t.undo = append(t.undo, func() { s.merged[k] = id })
		}
	}
	u := s.users[id]
	delete(s.users, id)
	t.undo = append(t.undo, func() { s.users[id] = u })
	return nil
}
