package memory

import (
	"context"
	"slices"

	"github.com/wxgate/wxgate/storage"
)

// memTx gives the linking rules (storage.Link and its kin) the store,
// under its write lock. Every change it makes pushes its undo; a failing
// call runs them backwards, so the store is left as it was.
type memTx struct {
	s    *Store
	undo []func()
}

var _ storage.Tx = (*memTx)(nil)

// inTx runs fn with a memTx; the caller holds the write lock.
func (s *Store) inTx(fn func(*memTx) error) error {
	tx := &memTx{s: s}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

func (t *memTx) IdentityAndUser(_ context.Context, openIDIndex []byte) (storage.Identity, storage.User, error) {
	idn, ok := t.s.byOpenID[string(openIDIndex)]
	if !ok {
		return storage.Identity{}, storage.User{}, errIdentityNotFound
	}
	return copyIdentity(&idn.Identity), copyUser(t.s.users[idn.UserID]), nil
}

func (t *memTx) Identity(_ context.Context, id string) (storage.Identity, error) {
	idn, ok := t.s.identities[id]
	if !ok {
		return storage.Identity{}, errIdentityNotFound
	}
	return copyIdentity(&idn.Identity), nil
}

func (t *memTx) UnionHolder(_ context.Context, index []byte) (string, bool, error) {
	u, ok := t.s.links[string(index)]
	return u, ok, nil
}

func (t *memTx) User(_ context.Context, id string, _ bool) (storage.User, error) {
	u, ok := t.s.users[id]
	if !ok {
		return storage.User{}, errUserNotFound
	}
	return copyUser(u), nil
}

func (t *memTx) ResolveUser(_ context.Context, id string) (string, error) {
	if into, ok := t.s.merged[id]; ok {
		return into, nil
	}
	if _, ok := t.s.users[id]; !ok {
		return "", errUserNotFound
	}
	return id, nil
}

func (t *memTx) InsertUser(_ context.Context, u storage.User) error {
	if _, dup := t.s.users[u.ID]; dup {
		return errUserExists
	}
	c := copyUser(&u)
	t.s.users[u.ID] = &c
	t.undo = append(t.undo, func() { delete(t.s.users, u.ID) })
	return nil
}

func (t *memTx) UpdateUser(_ context.Context, u storage.User) error {
	cur, ok := t.s.users[u.ID]
	if !ok {
		return errUserNotFound
	}
	old := *cur
	next := copyUser(&u)
	next.CreatedAt = old.CreatedAt
	*cur = next
	t.undo = append(t.undo, func() { *cur = old })
	return nil
}

// carry counts one more (d=1) or one fewer (d=-1) identity carrying index.
func (t *memTx) carry(index []byte, d int) {
	if len(index) == 0 {
		return
	}
	k := string(index)
	set := func(n int) {
		if n == 0 {
			delete(t.s.carriers, k)
		} else {
			t.s.carriers[k] = n
		}
	}
	was := t.s.carriers[k]
	set(was + d)
	t.undo = append(t.undo, func() { set(was) })
}

func (t *memTx) InsertIdentity(_ context.Context, i storage.Identity) error {
	s := t.s
	if _, dup := s.identities[i.ID]; dup {
		return errIdentityExists
	}
	if _, dup := s.byOpenID[string(i.OpenIDIndex)]; dup {
		return errIdentityExists
	}
	if _, ok := s.users[i.UserID]; !ok {
		return errUserNotFound
	}
	s.seq++
	idn := &identity{Identity: copyIdentity(&i), seq: s.seq}
	s.identities[i.ID] = idn
	s.byOpenID[string(i.OpenIDIndex)] = idn
	prev := s.byUser[i.UserID]
	s.byUser[i.UserID] = append(slices.Clip(prev), idn)
	t.undo = append(t.undo, func() {
		delete(s.identities, i.ID)
		delete(s.byOpenID, string(i.OpenIDIndex))
		if len(prev) == 0 {
			delete(s.byUser, i.UserID)
		} else {
			s.byUser[i.UserID] = prev
		}
	})
	t.carry(i.UnionIDIndex, 1)
	return nil
}

func (t *memTx) UpdateIdentity(_ context.Context, i storage.Identity, unionChanged bool) error {
	cur, ok := t.s.identities[i.ID]
	if !ok {
		return errIdentityNotFound
	}
	old := cur.Identity
	if unionChanged {
		t.carry(old.UnionIDIndex, -1)
		t.carry(i.UnionIDIndex, 1)
	}
	next := copyIdentity(&i)
	next.UserID, next.AppID, next.OpenIDIndex, next.CreatedAt = old.UserID, old.AppID, old.OpenIDIndex, old.CreatedAt
	cur.Identity = next
	t.undo = append(t.undo, func() { cur.Identity = old })
	return nil
}

func (t *memTx) InsertLink(_ context.Context, index []byte, userID string) error {
	k := string(index)
	if _, dup := t.s.links[k]; dup {
		return errUnionIDHeld
	}
	t.s.links[k] = userID
	t.undo = append(t.undo, func() { delete(t.s.links, k) })
	return nil
}

func (t *memTx) ReleaseLink(_ context.Context, index []byte) error {
	k := string(index)
	u, ok := t.s.links[k]
	if !ok || t.s.carriers[k] > 0 {
		return nil
	}
	delete(t.s.links, k)
	t.undo = append(t.undo, func() { t.s.links[k] = u })
	return nil
}

func (t *memTx) InsertSession(_ context.Context, p storage.Session) error {
	if t.s.sessionExists(p) {
		return errSessionExists
	}
	t.s.addSession(copySession(&p))
	t.undo = append(t.undo, func() { t.s.deleteSession(t.s.sessions[p.ID]) })
	return nil
}

func (t *memTx) AppendEvent(_ context.Context, e storage.Event) (storage.Event, error) {
	n := len(t.s.events)
	out := t.s.appendEvent(e)
	t.undo = append(t.undo, func() { t.s.events = t.s.events[:n] })
	return out, nil
}

func (t *memTx) AbsorbUser(_ context.Context, from, into string) (bool, error) {
	s := t.s
	// Identities.
	fromIDs, intoIDs := s.byUser[from], s.byUser[into]
	for _, idn := range fromIDs {
		idn.UserID = into
	}
	if len(fromIDs) > 0 {
		s.byUser[into] = append(slices.Clip(intoIDs), fromIDs...)
		delete(s.byUser, from)
	}
	// Sessions.
	fromSess := s.userSessions[from]
	intoSess := s.userSessions[into]
	var addedSess []string
	for id, p := range fromSess {
		p.UserID = into
		if intoSess == nil {
			intoSess = map[string]*storage.Session{}
			s.userSessions[into] = intoSess
		}
		intoSess[id] = p
		addedSess = append(addedSess, id)
	}
	delete(s.userSessions, from)
	// Links and earlier merges.
	var links, merges []string
	for k, u := range s.links {
		if u == from {
			s.links[k] = into
			links = append(links, k)
		}
	}
	for k, u := range s.merged {
		if u == from {
			s.merged[k] = into
			merges = append(merges, k)
		}
	}
	s.merged[from] = into
	// The avatar.
	moved := false
	fromAv, hasFrom := s.userAvatars[from]
	var droppedAv *storage.Avatar
	if hasFrom {
		delete(s.userAvatars, from)
		if _, hasInto := s.userAvatars[into]; hasInto {
			droppedAv = s.avatars[fromAv]
			delete(s.avatars, fromAv)
		} else {
			s.userAvatars[into] = fromAv
			s.avatars[fromAv].UserID = into
			moved = true
		}
	}
	user := s.users[from]
	delete(s.users, from)

	t.undo = append(t.undo, func() {
		s.users[from] = user
		if hasFrom {
			s.userAvatars[from] = fromAv
			if moved {
				delete(s.userAvatars, into)
				s.avatars[fromAv].UserID = from
			} else {
				s.avatars[fromAv] = droppedAv
			}
		}
		delete(s.merged, from)
		for _, k := range merges {
			s.merged[k] = from
		}
		for _, k := range links {
			s.links[k] = from
		}
		for _, id := range addedSess {
			p := intoSess[id]
			p.UserID = from
			delete(intoSess, id)
		}
		if len(intoSess) == 0 {
			delete(s.userSessions, into)
		}
		if len(fromSess) > 0 {
			s.userSessions[from] = fromSess
		}
		for _, idn := range fromIDs {
			idn.UserID = from
		}
		if len(fromIDs) > 0 {
			s.byUser[from] = fromIDs
			if len(intoIDs) == 0 {
				delete(s.byUser, into)
			} else {
				s.byUser[into] = intoIDs
			}
		}
	})
	return moved, nil
}
