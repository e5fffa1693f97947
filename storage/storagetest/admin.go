package storagetest

import (
	"bytes"
	"testing"

	"github.com/wxgate/wxgate/storage"
)

func ids(us []storage.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func testSearchUsers(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	mk := func(nick string) storage.User {
		r := g.request("wxweb", g.bytes(), nil)
		r.NewUser.Nickname = nick
		return link(t, s, r).User
	}
	a, b, c, d := mk("Zhang San"), mk("李四"), mk("zhang_wei"), mk("100%")
	search := func(q storage.UserQuery) []string { return ids(must(s.SearchUsers(ctx, q))(t)) }
	check(t, "all", search(storage.UserQuery{}), []string{a.ID, b.ID, c.ID, d.ID})
	check(t, "nickname", search(storage.UserQuery{Text: "Zhang"}), []string{a.ID})
	check(t, "unicode", search(storage.UserQuery{Text: "李"}), []string{b.ID})
	check(t, "prefix only", search(storage.UserQuery{Text: "San"}), []string{})
	check(t, "underscore", search(storage.UserQuery{Text: "zhang_"}), []string{c.ID})
	check(t, "underscore is no wildcard", search(storage.UserQuery{Text: "1_"}), []string{})
	check(t, "percent is no wildcard", search(storage.UserQuery{Text: "%"}), []string{})
	check(t, "percent", search(storage.UserQuery{Text: "100%"}), []string{d.ID})
	check(t, "id", search(storage.UserQuery{Text: b.ID}), []string{b.ID})
	check(t, "nothing", search(storage.UserQuery{Text: `'; DROP TABLE users; --`}), []string{})
	check(t, "page 1", search(storage.UserQuery{Limit: 2}), []string{a.ID, b.ID})
	check(t, "page 2", search(storage.UserQuery{Limit: 2, AfterID: b.ID}), []string{c.ID, d.ID})
	check(t, "page 3", search(storage.UserQuery{Limit: 2, AfterID: d.ID}), []string{})
	must3(s.MergeUsers(ctx, a.ID, c.ID, g.time(), nil))(t)
	check(t, "merged id", search(storage.UserQuery{Text: a.ID}), []string{c.ID})
}

func testListUserSessions(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	other, oidn := g.user(t, s)
	p1, p2 := g.session(u, idn), g.session(u, idn)
	noErr(t, s.CreateSession(ctx, p2), "CreateSession")
	noErr(t, s.CreateSession(ctx, p1), "CreateSession")
	noErr(t, s.CreateSession(ctx, g.session(other, oidn)), "CreateSession")
	check(t, "sessions", must(s.ListUserSessions(ctx, u.ID))(t), []storage.Session{wantSession(p1), wantSession(p2)})
	if got := must(s.ListUserSessions(ctx, "usr-none"))(t); len(got) != 0 {
		t.Errorf("sessions of nobody: %v", got)
	}
}

func testSetBlocked(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	req := g.request("wxweb", g.bytes(), g.bytes())
	sess := g.session(storage.User{}, storage.Identity{})
	req.Session = &sess
	first := link(t, s, req)
	other, oidn := g.user(t, s)
	keep := g.session(other, oidn)
	noErr(t, s.CreateSession(ctx, keep), "CreateSession")

	at := g.time()
	u, n, err := s.SetBlocked(ctx, first.User.ID, true, at)
	noErr(t, err, "SetBlocked")
	if n != 1 || !u.BlockedAt.Equal(utc(at)) {
		t.Errorf("SetBlocked = blocked at %v, %d sessions ended; want %v, 1", u.BlockedAt, n, at)
	}
	_, err = s.GetSessionByTokenHash(ctx, sess.TokenHash)
	isErr(t, err, storage.ErrNotFound, "session of the blocked user")
	must(s.GetSessionByTokenHash(ctx, keep.TokenHash))(t)
	again := g.request("wxweb", req.Identity.OpenIDIndex, req.Identity.UnionIDIndex)
	_, err = s.LinkIdentity(ctx, again)
	isErr(t, err, storage.ErrBlocked, "login of the blocked user")
	evs := must(s.ListEvents(ctx, storage.EventFilter{Type: storage.EventUserBlocked}))(t)
	if len(evs) != 1 || evs[0].UserID != first.User.ID {
		t.Errorf("user_blocked events: %+v", evs)
	}

	u, n, err = s.SetBlocked(ctx, first.User.ID, false, g.time())
	noErr(t, err, "SetBlocked(false)")
	if n != 0 || !u.BlockedAt.IsZero() {
		t.Errorf("unblocked: %v, %d", u.BlockedAt, n)
	}
	if r := link(t, s, again); r.User.ID != first.User.ID {
		t.Errorf("login after unblocking: %q", r.User.ID)
	}
	_, _, err = s.SetBlocked(ctx, "usr-none", true, g.time())
	isErr(t, err, storage.ErrNotFound, "SetBlocked(unknown)")
}

func testUnlinkIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	web := link(t, s, g.request("wxweb", g.bytes(), union))
	mp := link(t, s, g.request("wxmp", g.bytes(), union))
	webSess, mpSess := g.session(web.User, web.Identity), g.session(mp.User, mp.Identity)
	noErr(t, s.CreateSession(ctx, webSess), "CreateSession")
	noErr(t, s.CreateSession(ctx, mpSess), "CreateSession")

	got, err := s.UnlinkIdentity(ctx, mp.Identity.ID, g.time())
	noErr(t, err, "UnlinkIdentity")
	check(t, "unlinked", got, mp.Identity)
	_, err = s.GetIdentity(ctx, mp.Identity.ID)
	isErr(t, err, storage.ErrNotFound, "GetIdentity(unlinked)")
	_, err = s.GetSessionByTokenHash(ctx, mpSess.TokenHash)
	isErr(t, err, storage.ErrNotFound, "session of the unlinked identity")
	must(s.GetSessionByTokenHash(ctx, webSess.TokenHash))(t)
	evs := must(s.ListEvents(ctx, storage.EventFilter{Type: storage.EventIdentityUnlinked}))(t)
	if len(evs) != 1 || evs[0].Detail["identity_id"] != mp.Identity.ID {
		t.Errorf("identity_unlinked events: %+v", evs)
	}
	_, err = s.UnlinkIdentity(ctx, web.Identity.ID, g.time())
	isErr(t, err, storage.ErrInvalid, "UnlinkIdentity(last identity)")
	_, err = s.UnlinkIdentity(ctx, "idn-none", g.time())
	isErr(t, err, storage.ErrNotFound, "UnlinkIdentity(unknown)")
	// The unionid still leads to the user through the website identity.
	if r := link(t, s, g.request("wxmp", g.bytes(), union)); r.User.ID != web.User.ID || r.CreatedUser {
		t.Errorf("the app's next login: user %q (created %v), want %q", r.User.ID, r.CreatedUser, web.User.ID)
	}
}

func testDeleteUser(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	req := g.request("wxweb", g.bytes(), union)
	sess := g.session(storage.User{}, storage.Identity{})
	req.Session = &sess
	req.Event = &storage.Event{Time: g.time(), Type: "login", IP: "203.0.113.9"}
	first := link(t, s, req)
	old, _ := g.user(t, s)
	must3(s.MergeUsers(ctx, old.ID, first.User.ID, g.time(), nil))(t)
	noErr(t, s.PutAvatar(ctx, storage.Avatar{ID: g.id("av"), UserID: first.User.ID, ContentType: "image/png", Data: []byte("png"), Source: g.bytes(), CreatedAt: g.time()}), "PutAvatar")
	other, _ := g.user(t, s)

	noErr(t, s.DeleteUser(ctx, old.ID, g.time()), "DeleteUser(merged id)")
	for _, id := range []string{first.User.ID, old.ID} {
		_, err := s.GetUser(ctx, id)
		isErr(t, err, storage.ErrNotFound, "GetUser after delete")
	}
	_, err := s.GetSessionByTokenHash(ctx, sess.TokenHash)
	isErr(t, err, storage.ErrNotFound, "session after delete")
	_, err = s.GetUserAvatar(ctx, first.User.ID)
	isErr(t, err, storage.ErrNotFound, "avatar after delete")
	if n := identityCount(t, s); n != 1 {
		t.Errorf("%d identities after delete, want 1 (the other user's)", n)
	}
	check(t, "other user", must(s.GetUser(ctx, other.ID))(t), other)
	evs := must(s.ListEvents(ctx, storage.EventFilter{UserID: first.User.ID}))(t)
	var deleted, login bool
	for _, e := range evs {
		if e.IP != "" {
			t.Errorf("event %s of the deleted user keeps IP %q", e.Type, e.IP)
		}
		deleted = deleted || e.Type == storage.EventUserDeleted
		login = login || e.Type == "login"
	}
	if !deleted || !login {
		t.Errorf("events after delete: %+v; want the login kept and user_deleted", evs)
	}
	// The person's next login is a new user; the unionid is free again.
	r := link(t, s, g.request("wxweb", req.Identity.OpenIDIndex, union))
	if !r.CreatedUser || r.User.ID == first.User.ID || !bytes.Equal(r.Identity.UnionIDIndex, union) {
		t.Errorf("login after delete: user %q created %v", r.User.ID, r.CreatedUser)
	}
	isErr(t, s.DeleteUser(ctx, "usr-none", g.time()), storage.ErrNotFound, "DeleteUser(unknown)")
}

// A delete racing logins of the same person ends in one consistent state:
// every stored identity and session belongs to a stored user.
func testDeleteRacingLogins(t *testing.T, s storage.Store) {
	const logins = 16
	ctx, g := t.Context(), &gen{}
	union, openID, mpOpenID := g.bytes(), g.bytes(), g.bytes()
	first := link(t, s, g.request("wxweb", openID, union))
	reqs := make([]storage.LinkRequest, logins)
	for i := range reqs {
		reqs[i] = g.request("wxweb", openID, union)
		if i%2 == 1 {
			reqs[i] = g.request("wxmp", mpOpenID, union)
		}
		sess := g.session(storage.User{}, storage.Identity{})
		reqs[i].Session = &sess
	}
	errs := make([]error, logins+1)
	together(logins+1, func(i int) {
		if i == logins {
			errs[i] = s.DeleteUser(ctx, first.User.ID, g.time())
			return
		}
		_, errs[i] = s.LinkIdentity(ctx, reqs[i])
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("call #%d: %v", i, err)
		}
	}
	idns := must(s.ScanIdentities(ctx, "", 1000))(t)
	for _, idn := range idns {
		if _, err := s.GetUser(ctx, idn.UserID); err != nil {
			t.Errorf("identity %s of user %s: %v", idn.ID, idn.UserID, err)
		}
	}
	for i, r := range reqs {
		p, err := s.GetSessionByTokenHash(ctx, r.Session.TokenHash)
		if err != nil {
			continue // ended by the delete
		}
		if _, err := s.GetUser(ctx, p.UserID); err != nil {
			t.Errorf("session of login #%d belongs to missing user %s", i, p.UserID)
		}
	}
	if len(idns) > 2 {
		t.Errorf("%d identities, want at most 2 (one per app)", len(idns))
	}
}
