package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// A login is one atomic unit: LinkIdentity resolves the user, applies
// LinkRequest.Update to the identity and creates LinkRequest.Session, all
// or nothing. These tests check the two fields; link.go checks the rules.

// recorder is an Update that records its last input and sets the fields a
// login sets, plus every immutable field, which the store must keep. It is
// a pure function of its input, as the contract asks, apart from the
// record.
type recorder struct {
	input      storage.Identity
	sessionKey []byte
	openID     []byte // a re-sealed openid
	at         time.Time
}

func newRecorder(g *gen) *recorder {
	return &recorder{sessionKey: g.bytes(), openID: g.bytes(), at: g.time()}
}

func (r *recorder) update(old storage.Identity) (storage.Identity, error) {
	r.input = old
	r.input.OpenIDIndex = slices.Clone(old.OpenIDIndex)
	// Immutable: these must be kept, even changed in place.
	old.ID, old.UserID, old.AppID = "idn-renamed", "usr-other", "wxother"
	old.OpenIDIndex[0] ^= 0xff
	old.CreatedAt = r.at
	// Mutable.
	old.OpenID = r.openID
	old.SessionKey, old.SessionKeyAt = r.sessionKey, r.at.Add(time.Nanosecond)
	old.AccessToken, old.AccessExpiresAt = r.sessionKey[:7], r.at.Add(2*time.Hour)
	old.Scope = "snsapi_base"
	old.UpdatedAt, old.LastLoginAt = r.at, r.at.Add(999*time.Nanosecond)
	return old, nil
}

// want is what the recorder makes of the identity in.
func (r *recorder) want(in storage.Identity) storage.Identity {
	w := wantIdentity(in)
	w.OpenID = r.openID
	w.SessionKey, w.SessionKeyAt = r.sessionKey, utc(r.at.Add(time.Nanosecond))
	w.AccessToken, w.AccessExpiresAt = r.sessionKey[:7], utc(r.at.Add(2*time.Hour))
	w.Scope = "snsapi_base"
	w.UpdatedAt, w.LastLoginAt = utc(r.at), utc(r.at.Add(999*time.Nanosecond))
	return w
}

// checkNoRenamed fails if a record the recorder named was created.
func checkNoRenamed(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetIdentity(ctx, "idn-renamed")
	isErr(t, err, storage.ErrNotFound, "GetIdentity(id the updater set)")
	if n := len(must(s.ListIdentities(ctx, "usr-other"))(t)); n != 0 {
		t.Errorf("an identity moved to the user its updater named")
	}
}

// Update is applied to a new identity, of a new user (rule 3) or of the
// user holding its unionid (rule 2): it sees the identity with UserID set,
// and its result is stored with the immutable fields kept.
func testLinkUpdateNewIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	var userID string
	for i, app := range []string{"wxapp1", "wxapp2"} {
		req := g.request(app, g.bytes(), union)
		req.Identity.UserID = "usr-chosen-by-the-caller"
		rec := newRecorder(g)
		req.Update = rec.update
		res := link(t, s, req)
		if i == 0 {
			userID = req.NewUser.ID
			if !res.CreatedUser || !res.CreatedIdentity {
				t.Errorf("%s: CreatedUser, CreatedIdentity = %v, %v; want true, true", app, res.CreatedUser, res.CreatedIdentity)
			}
			check(t, app+": result user", res.User, wantUser(req.NewUser))
		} else if res.CreatedUser || !res.CreatedIdentity || res.User.ID != userID {
			t.Errorf("%s: user %q (created %v, identity created %v); want identity added to %q",
				app, res.User.ID, res.CreatedUser, res.CreatedIdentity, userID)
		}

		input := wantIdentity(req.Identity)
		input.UserID = userID
		check(t, app+": updater input", rec.input, input)
		want := rec.want(input)
		check(t, app+": result identity", res.Identity, want)
		check(t, app+": GetIdentity", must(s.GetIdentity(ctx, want.ID))(t), want)
		check(t, app+": GetIdentityByOpenID", must(s.GetIdentityByOpenID(ctx, want.OpenIDIndex))(t), want)
	}
	checkNoRenamed(t, s)
	if n := len(must(s.ListIdentities(ctx, userID))(t)); n != 2 {
		t.Errorf("user has %d identities, want 2", n)
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

// Update is applied to an existing identity (rule 1), after the unionid
// the request reveals is attached: it sees the identity as stored, with
// that unionid, and no NewUser or new identity is created.
func testLinkUpdateExistingIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	first := link(t, s, g.request("wxapp1", openID, nil))

	req := g.request("wxapp1", openID, union)
	rec := newRecorder(g)
	req.Update = rec.update
	res := link(t, s, req)
	if res.CreatedUser || res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want false, false", res.CreatedUser, res.CreatedIdentity)
	}
	input := first.Identity
	input.UnionIDIndex, input.UnionID = union, req.Identity.UnionID
	check(t, "updater input", rec.input, input)
	want := rec.want(input)
	check(t, "result identity", res.Identity, want)
	check(t, "result user", res.User, first.User)
	check(t, "GetIdentity", must(s.GetIdentity(ctx, want.ID))(t), want)
	check(t, "ListIdentities", must(s.ListIdentities(ctx, first.User.ID))(t), []storage.Identity{want})
	checkNoRenamed(t, s)
	_, err := s.GetUser(ctx, req.NewUser.ID)
	isErr(t, err, storage.ErrNotFound, "GetUser(unused NewUser)")
	_, err = s.GetIdentity(ctx, req.Identity.ID)
	isErr(t, err, storage.ErrNotFound, "GetIdentity(unused identity id)")

	// The attached unionid leads to the user.
	other := link(t, s, g.request("wxapp2", g.bytes(), union))
	if other.CreatedUser || other.User.ID != first.User.ID {
		t.Errorf("the unionid attached with an update led to user %q (created %v), want %q", other.User.ID, other.CreatedUser, first.User.ID)
	}

	// A second returning login updates the updated identity.
	again := g.request("wxapp1", openID, union)
	rec2 := newRecorder(g)
	again.Update = rec2.update
	res = link(t, s, again)
	check(t, "second updater input", rec2.input, want)
	check(t, "second result identity", res.Identity, rec2.want(want))
	check(t, "GetIdentity after the second login", must(s.GetIdentity(ctx, want.ID))(t), rec2.want(want))
}

// An Update may set, replace or clear the unionid, as UpdateIdentity may:
// a unionid leads to the user while an identity carries it, and nowhere
// once none does.
func testLinkUpdateUnionID(t *testing.T, s storage.Store) {
	g := &gen{}
	setUnion := func(index []byte) func(storage.Identity) (storage.Identity, error) {
		sealed := g.bytes()
		if index == nil {
			sealed = nil
		}
		return func(old storage.Identity) (storage.Identity, error) {
			old.UnionIDIndex, old.UnionID = index, sealed
			return old, nil
		}
	}
	leadsTo := func(what string, union []byte, userID string) {
		t.Helper()
		res := link(t, s, g.request(g.id("wxapp"), g.bytes(), union))
		if res.CreatedUser || res.User.ID != userID {
			t.Fatalf("%s: the unionid led to user %q (created %v), want %q", what, res.User.ID, res.CreatedUser, userID)
		}
	}

	// A new person whose login gave no unionid but whose update sets one.
	first := g.bytes()
	req := g.request("wxapp1", g.bytes(), nil)
	req.Update = setUnion(first)
	a := link(t, s, req)
	if !bytes.Equal(a.Identity.UnionIDIndex, first) {
		t.Fatalf("new identity: UnionIDIndex %x, want the one the update set", a.Identity.UnionIDIndex)
	}
	leadsTo("unionid set on a new identity", first, a.User.ID)

	// A returning login whose update replaces it: both lead to the user,
	// the first through the identity the check above added.
	second := g.bytes()
	req = g.request("wxapp1", a.Identity.OpenIDIndex, nil)
	req.Update = setUnion(second)
	if got := link(t, s, req).Identity; !bytes.Equal(got.UnionIDIndex, second) {
		t.Fatalf("returning identity: UnionIDIndex %x, want the one the update set", got.UnionIDIndex)
	}
	leadsTo("replacing unionid", second, a.User.ID)
	leadsTo("replaced unionid, still carried by another identity", first, a.User.ID)

	// Cleared from every identity carrying it, a unionid leads nowhere.
	for _, idn := range must(s.ListIdentities(t.Context(), a.User.ID))(t) {
		if bytes.Equal(idn.UnionIDIndex, first) {
			req := g.request(idn.AppID, idn.OpenIDIndex, nil)
			req.Update = setUnion(nil)
			if got := link(t, s, req).Identity; len(got.UnionIDIndex) != 0 {
				t.Fatalf("UnionIDIndex %x after an update cleared it", got.UnionIDIndex)
			}
		}
	}
	if res := link(t, s, g.request("wxapp9", g.bytes(), first)); !res.CreatedUser {
		t.Errorf("a unionid no identity carries any more still led to user %q", res.User.ID)
	}
}

// state is everything a failed login must leave as it was.
type state struct {
	users      []storage.User
	identities []storage.Identity
}

func snapshot(t *testing.T, s storage.Store) state {
	t.Helper()
	return state{must(s.ScanUsers(t.Context(), "", 1000))(t), must(s.ScanIdentities(t.Context(), "", 1000))(t)}
}

func (st state) check(t *testing.T, s storage.Store, what string) {
	t.Helper()
	after := snapshot(t, s)
	check(t, what+": users", after.users, st.users)
	check(t, what+": identities", after.identities, st.identities)
}

// An Update that fails, or that gives the identity a unionid another user
// holds, aborts the whole login: no user, identity, unionid link or
// session is stored.
func testLinkUpdateError(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union, heldElsewhere := g.bytes(), g.bytes()
	first := link(t, s, g.request("wxapp1", g.bytes(), union))
	noUnion := link(t, s, g.request("wxapp1", g.bytes(), nil))
	link(t, s, g.request("wxapp9", g.bytes(), heldElsewhere))

	fail := func(old storage.Identity) (storage.Identity, error) {
		old.Scope = "must not be stored"
		old.SessionKey = []byte("must not be stored")
		return old, errAbort
	}
	steal := func(old storage.Identity) (storage.Identity, error) {
		old.UnionIDIndex, old.UnionID = heldElsewhere, []byte("sealed")
		return old, nil
	}
	freshUnion := g.bytes()
	tests := []struct {
		name    string
		req     storage.LinkRequest
		update  func(storage.Identity) (storage.Identity, error)
		wantErr error
	}{
		{"new person", g.request("wxapp1", g.bytes(), freshUnion), fail, errAbort},
		{"second app", g.request("wxapp2", g.bytes(), union), fail, errAbort},
		{"returning, unionid to attach", g.request("wxapp1", noUnion.Identity.OpenIDIndex, freshUnion), fail, errAbort},
		{"returning", g.request("wxapp1", first.Identity.OpenIDIndex, union), fail, errAbort},
		{"new person, unionid of another user", g.request("wxapp1", g.bytes(), freshUnion), steal, storage.ErrConflict},
		{"second app, unionid of another user", g.request("wxapp2", g.bytes(), union), steal, storage.ErrConflict},
		{"returning, unionid of another user", g.request("wxapp1", first.Identity.OpenIDIndex, union), steal, storage.ErrConflict},
	}
	sessions := make([]storage.Session, len(tests))
	for i, tc := range tests {
		before := snapshot(t, s)
		tc.req.Update = tc.update
		sessions[i] = g.session(first.User, first.Identity)
		tc.req.Session = &sessions[i]
		_, err := s.LinkIdentity(ctx, tc.req)
		isErr(t, err, tc.wantErr, tc.name)
		before.check(t, s, tc.name)
		_, err = s.GetSessionByTokenHash(ctx, sessions[i].TokenHash)
		isErr(t, err, storage.ErrNotFound, tc.name+": GetSessionByTokenHash")
	}
	if n := must(s.DeleteUserSessions(ctx, first.User.ID))(t); n != 0 {
		t.Errorf("%d sessions stored by failed logins", n)
	}

	// The unionid of the failed logins leads nowhere, the other keeps
	// leading to its user.
	res := link(t, s, g.request("wxapp3", g.bytes(), freshUnion))
	if !res.CreatedUser {
		t.Errorf("the unionid of failed logins leads to user %q", res.User.ID)
	}
	res = link(t, s, g.request("wxapp3", g.bytes(), union))
	if res.CreatedUser || res.User.ID != first.User.ID {
		t.Errorf("after the failed logins the unionid leads to user %q (created %v), want %q", res.User.ID, res.CreatedUser, first.User.ID)
	}
}

// Session is created for the resolved user and identity, whatever UserID
// and IdentityID it carried, and comes back as stored; the store keeps its
// own copy. Without Session, LinkResult.Session is zero.
func testLinkSession(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	plain := link(t, s, g.request("wxapp1", openID, union))
	check(t, "LinkResult.Session without a session", plain.Session, storage.Session{})
	user := plain.User

	second, other := g.request("wxapp2", g.bytes(), union), g.request("wxapp3", g.bytes(), g.bytes())
	tests := []struct {
		name           string
		req            storage.LinkRequest
		update         bool
		user, identity string // the session's
	}{
		{"returning", g.request("wxapp1", openID, union), false, user.ID, plain.Identity.ID},
		{"returning, updated", g.request("wxapp1", openID, union), true, user.ID, plain.Identity.ID},
		{"second app", second, false, user.ID, second.Identity.ID},
		{"new person", other, true, other.NewUser.ID, other.Identity.ID},
	}
	for _, tc := range tests {
		in := g.session(storage.User{ID: "usr-chosen-by-the-caller"}, storage.Identity{ID: "idn-chosen-by-the-caller"})
		in.CreatedAt = in.CreatedAt.In(time.FixedZone("PST", -8*3600))
		tc.req.Session = &in
		if tc.update {
			tc.req.Update = newRecorder(g).update
		}
		before, errBefore := s.GetIdentityByOpenID(ctx, tc.req.Identity.OpenIDIndex)
		res := link(t, s, tc.req)
		want := wantSession(in)
		want.TokenHash, want.SigningKey = slices.Clone(in.TokenHash), slices.Clone(in.SigningKey)
		want.UserID, want.IdentityID = tc.user, tc.identity
		in.SigningKey[0] ^= 0xff // the store keeps its own copy
		check(t, tc.name+": LinkResult.Session", res.Session, want)
		check(t, tc.name+": GetSessionByTokenHash", must(s.GetSessionByTokenHash(ctx, want.TokenHash))(t), want)
		if errBefore == nil && !tc.update {
			check(t, tc.name+": identity of a login without Update", must(s.GetIdentity(ctx, before.ID))(t), before)
		}
	}
	if n := must(s.DeleteUserSessions(ctx, user.ID))(t); n != 3 {
		t.Errorf("the user has %d sessions, want 3", n)
	}
}

// A Session whose ID or TokenHash exists is a conflict, and the login
// stores nothing: no user, identity, update or unionid link.
func testLinkSessionConflict(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	first := link(t, s, g.request("wxapp1", g.bytes(), union))
	existing := g.session(first.User, first.Identity)
	noErr(t, s.CreateSession(ctx, existing), "CreateSession")

	freshUnion := g.bytes()
	tests := []struct {
		name   string
		req    func() storage.LinkRequest
		update bool
	}{
		{"new person", func() storage.LinkRequest { return g.request("wxapp1", g.bytes(), freshUnion) }, true},
		{"new person without unionid, no update", func() storage.LinkRequest { return g.request("wxapp1", g.bytes(), nil) }, false},
		{"second app", func() storage.LinkRequest { return g.request("wxapp2", g.bytes(), union) }, true},
		{"returning", func() storage.LinkRequest { return g.request("wxapp1", first.Identity.OpenIDIndex, union) }, true},
	}
	for _, tc := range tests {
		for _, dup := range []string{"ID", "TokenHash"} {
			what := fmt.Sprintf("%s, taken %s", tc.name, dup)
			req := tc.req()
			if tc.update {
				req.Update = newRecorder(g).update
			}
			p := g.session(storage.User{}, storage.Identity{})
			if dup == "ID" {
				p.ID = existing.ID
			} else {
				p.TokenHash = existing.TokenHash
			}
			req.Session = &p
			before := snapshot(t, s)
			_, err := s.LinkIdentity(ctx, req)
			isErr(t, err, storage.ErrConflict, what)
			before.check(t, s, what)
			if dup == "ID" {
				_, err := s.GetSessionByTokenHash(ctx, p.TokenHash)
				isErr(t, err, storage.ErrNotFound, what+": GetSessionByTokenHash")
			}
		}
	}
	check(t, "the existing session", must(s.GetSessionByTokenHash(ctx, existing.TokenHash))(t), wantSession(existing))
	if n := must(s.DeleteUserSessions(ctx, first.User.ID))(t); n != 1 {
		t.Errorf("the user has %d sessions, want 1", n)
	}
	res := link(t, s, g.request("wxapp3", g.bytes(), freshUnion))
	if !res.CreatedUser {
		t.Errorf("the unionid of refused logins leads to user %q", res.User.ID)
	}
}

// 32 logins of one person at once, each with an Update and a Session of
// its own: one user and one identity, every update applied once, and 32
// sessions, all of that user and identity.
func testLinkConcurrentLogins(t *testing.T, s storage.Store) {
	const n = 32
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	reqs := make([]storage.LinkRequest, n)
	sessions := make([]storage.Session, n)
	for i := range reqs {
		reqs[i] = g.request("wxapp1", openID, union)
		sessionKey := g.bytes()
		reqs[i].Update = func(old storage.Identity) (storage.Identity, error) {
			old.SessionKey = sessionKey
			old.Scope += "+"
			return old, nil
		}
		sessions[i] = g.session(storage.User{}, storage.Identity{})
		reqs[i].Session = &sessions[i]
	}
	res := make([]storage.LinkResult, n)
	errs := make([]error, n)
	together(n, func(i int) { res[i], errs[i] = s.LinkIdentity(ctx, reqs[i]) })

	createdUser, createdIdentity := 0, 0
	scopes := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LinkIdentity #%d: %v", i, errs[i])
		}
		if res[i].CreatedUser {
			createdUser++
		}
		if res[i].CreatedIdentity {
			createdIdentity++
		}
		if res[i].User.ID != res[0].User.ID || res[i].Identity.ID != res[0].Identity.ID {
			t.Errorf("result #%d: user %q, identity %q; want %q, %q", i, res[i].User.ID, res[i].Identity.ID, res[0].User.ID, res[0].Identity.ID)
		}
		if scopes[res[i].Identity.Scope] {
			t.Errorf("result #%d: scope %q again: two logins updated the same identity", i, res[i].Identity.Scope)
		}
		scopes[res[i].Identity.Scope] = true
		got := must(s.GetSessionByTokenHash(ctx, sessions[i].TokenHash))(t)
		if got.ID != sessions[i].ID || got.UserID != res[0].User.ID || got.IdentityID != res[0].Identity.ID {
			t.Errorf("session #%d: %q of user %q and identity %q; want %q of %q and %q",
				i, got.ID, got.UserID, got.IdentityID, sessions[i].ID, res[0].User.ID, res[0].Identity.ID)
		}
	}
	if createdUser != 1 || createdIdentity != 1 {
		t.Errorf("%d calls created a user and %d an identity; want 1 and 1", createdUser, createdIdentity)
	}
	if got := len(must(s.ScanUsers(ctx, "", 100))(t)); got != 1 {
		t.Errorf("%d users stored, want 1", got)
	}
	idns := must(s.ScanIdentities(ctx, "", 100))(t)
	if len(idns) != 1 {
		t.Fatalf("%d identities stored, want 1", len(idns))
	}
	if want := reqs[0].Identity.Scope + strings.Repeat("+", n); idns[0].Scope != want {
		t.Errorf("after %d logins the identity's scope is %q, want %q: an update was lost or applied twice", n, idns[0].Scope, want)
	}
	if got := must(s.DeleteUserSessions(ctx, res[0].User.ID))(t); got != n {
		t.Errorf("the user has %d sessions, want %d", got, n)
	}
}

// testLinkEvent: the login's audit event commits with the login, with the
// resolved user's id, or not at all.
func testLinkEvent(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	event := func() *storage.Event {
		return &storage.Event{Time: time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC), Type: "login", App: "mp", IP: "192.0.2.1",
			UserID: "set-by-the-store", Detail: map[string]string{"type": "miniprogram"}}
	}
	// A new user, then the same person on a second app.
	for _, req := range []storage.LinkRequest{g.request("wxapp1", g.bytes(), union), g.request("wxapp2", g.bytes(), union)} {
		req.Event = event()
		res, err := s.LinkIdentity(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Event.ID == 0 || res.Event.UserID != res.User.ID || res.Event.Type != "login" || res.Event.Detail["type"] != "miniprogram" {
			t.Fatalf("LinkResult.Event = %+v (user %s)", res.Event, res.User.ID)
		}
	}
	evs, err := s.ListEvents(ctx, storage.EventFilter{Type: "login"})
	if err != nil || len(evs) != 2 || evs[0].UserID != evs[1].UserID || evs[0].ID >= evs[1].ID || evs[0].IP != "192.0.2.1" {
		t.Fatalf("stored events = %+v, %v", evs, err)
	}
	// A failing login stores no event.
	req := g.request("wxapp3", g.bytes(), g.bytes())
	req.Event = event()
	req.Update = func(storage.Identity) (storage.Identity, error) { return storage.Identity{}, errAbort }
	if _, err := s.LinkIdentity(ctx, req); !errors.Is(err, errAbort) {
		t.Fatalf("failing update: %v", err)
	}
	req = g.request("wxapp1", g.bytes(), nil)
	req.Event = event()
	dup := storage.Session{ID: "ses-dup", TokenHash: g.bytes(), CreatedAt: time.Now(), LastSeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	req.Session = &dup
	if _, err := s.LinkIdentity(ctx, req); err != nil {
		t.Fatal(err)
	}
	req = g.request("wxapp1", g.bytes(), nil)
	req.Event = event()
	req.Session = &dup // the same session ID again: a conflict
	if _, err := s.LinkIdentity(ctx, req); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("session conflict: %v", err)
	}
	if evs, _ := s.ListEvents(ctx, storage.EventFilter{Type: "login"}); len(evs) != 3 {
		t.Fatalf("%d login events after two failed logins, want 3", len(evs))
	}
}
