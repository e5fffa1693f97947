package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// identityCount is the number of identities stored.
func identityCount(t testing.TB, s storage.Store) int {
	t.Helper()
	n, after := 0, ""
	for {
		page := must(s.ScanIdentities(t.Context(), after, 500))(t)
		n += len(page)
		if len(page) < 500 {
			return n
		}
		after = page[len(page)-1].ID
	}
}

// mergeEvents returns the user_merged events stored.
func mergeEvents(t testing.TB, s storage.Store) []storage.Event {
	t.Helper()
	return must(s.ListEvents(t.Context(), storage.EventFilter{Type: storage.EventUserMerged, Limit: 1000}))(t)
}

// Rule 1, the split the issue names: a person met first without a unionid
// (an official account's snsapi_base) and through the website (unionid
// known) is two users until a login of the first identity brings the
// unionid; then the first user is merged into the holder, in that login.
func testLinkMergeAuto(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	first := link(t, s, g.request("wxoa", openID, nil))
	holder := link(t, s, g.request("wxweb", g.bytes(), union))
	if holder.User.ID == first.User.ID {
		t.Fatalf("two people without a shared unionid became one user")
	}
	sessionsBefore := g.session(first.User, first.Identity)
	noErr(t, s.CreateSession(ctx, sessionsBefore), "CreateSession")

	req := g.request("wxoa", openID, union)
	sess := g.session(storage.User{}, storage.Identity{})
	req.Session = &sess
	res := link(t, s, req)
	if res.CreatedUser || res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want false, false", res.CreatedUser, res.CreatedIdentity)
	}
	if res.MergedFrom != first.User.ID || res.User.ID != holder.User.ID {
		t.Fatalf("MergedFrom %q, user %q; want %q merged into %q", res.MergedFrom, res.User.ID, first.User.ID, holder.User.ID)
	}
	if res.Identity.UserID != holder.User.ID || !bytes.Equal(res.Identity.UnionIDIndex, union) {
		t.Errorf("identity: user %q, unionid %s; want %q with the unionid", res.Identity.UserID, short(res.Identity.UnionIDIndex), holder.User.ID)
	}
	if res.Session.UserID != holder.User.ID {
		t.Errorf("session of user %q, want %q", res.Session.UserID, holder.User.ID)
	}
	check(t, "stored identity", must(s.GetIdentity(ctx, first.Identity.ID))(t), res.Identity)
	list := must(s.ListIdentities(ctx, holder.User.ID))(t)
	if len(list) != 2 {
		t.Errorf("merged user has %d identities, want 2", len(list))
	}
	if n := identityCount(t, s); n != 2 {
		t.Errorf("%d identities stored, want 2 (none lost, none made)", n)
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 1 {
		t.Errorf("%d users stored, want 1", n)
	}
	got := must(s.GetSessionByTokenHash(ctx, sessionsBefore.TokenHash))(t)
	if got.UserID != holder.User.ID {
		t.Errorf("the merged user's earlier session belongs to %q, want %q", got.UserID, holder.User.ID)
	}
	evs := mergeEvents(t, s)
	if len(evs) != 1 || evs[0].UserID != holder.User.ID || evs[0].Detail["from"] != first.User.ID || evs[0].Detail["into"] != holder.User.ID {
		t.Errorf("user_merged events = %+v; want one naming from %q into %q", evs, first.User.ID, holder.User.ID)
	}
	// The unionid now leads to the merged user, from any app.
	third := link(t, s, g.request("wxmini", g.bytes(), union))
	if third.User.ID != holder.User.ID || third.CreatedUser {
		t.Errorf("unionid now leads to user %q (created %v), want %q", third.User.ID, third.CreatedUser, holder.User.ID)
	}
}

// Rule 1 with MergeManual: both users stay, the unionid is not attached,
// and a merge_conflict event names both.
func testLinkMergeManual(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	first := link(t, s, g.request("wxoa", openID, nil))
	holder := link(t, s, g.request("wxweb", g.bytes(), union))

	req := g.request("wxoa", openID, union)
	req.Merge = storage.MergeManual
	res := link(t, s, req)
	if res.MergedFrom != "" || res.Conflict != holder.User.ID {
		t.Errorf("MergedFrom %q, Conflict %q; want none and %q", res.MergedFrom, res.Conflict, holder.User.ID)
	}
	check(t, "result identity", res.Identity, first.Identity)
	check(t, "result user", res.User, first.User)
	check(t, "stored identity", must(s.GetIdentity(ctx, first.Identity.ID))(t), first.Identity)
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 2 {
		t.Errorf("%d users stored, want 2", n)
	}
	evs := must(s.ListEvents(ctx, storage.EventFilter{Type: storage.EventMergeConflict}))(t)
	if len(evs) != 1 || evs[0].Detail["user_id"] != first.User.ID || evs[0].Detail["other_user_id"] != holder.User.ID {
		t.Errorf("merge_conflict events = %+v; want one naming %q and %q", evs, first.User.ID, holder.User.ID)
	}
	if len(mergeEvents(t, s)) != 0 {
		t.Errorf("a user_merged event with MergeManual")
	}
	// The operator merges them; the next login attaches the unionid.
	_, merged, err := s.MergeUsers(ctx, first.User.ID, holder.User.ID, g.time(), nil)
	noErr(t, err, "MergeUsers")
	if !merged {
		t.Errorf("MergeUsers reported no merge")
	}
	again := link(t, s, req)
	if again.User.ID != holder.User.ID || !bytes.Equal(again.Identity.UnionIDIndex, union) || again.Conflict != "" {
		t.Errorf("after the merge: user %q, conflict %q, unionid %s", again.User.ID, again.Conflict, short(again.Identity.UnionIDIndex))
	}
}

// A blocked user logs in nobody, and the failed login stores nothing.
func testLinkBlocked(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	first := link(t, s, g.request("wxweb", openID, union))
	blockedAt := g.time()
	u := must(s.UpdateUser(ctx, first.User.ID, func(u storage.User) (storage.User, error) {
		u.BlockedAt = blockedAt
		return u, nil
	}))(t)
	if !u.BlockedAt.Equal(utc(blockedAt)) {
		t.Fatalf("BlockedAt = %v, want %v", u.BlockedAt, blockedAt)
	}
	check(t, "GetUser", must(s.GetUser(ctx, u.ID))(t), u)

	events := len(must(s.ListEvents(ctx, storage.EventFilter{}))(t))
	for _, req := range []storage.LinkRequest{g.request("wxweb", openID, union), g.request("wxmini", g.bytes(), union)} {
		sess := g.session(storage.User{}, storage.Identity{})
		req.Session = &sess
		req.Event = &storage.Event{Time: g.time(), Type: "login"}
		_, err := s.LinkIdentity(ctx, req)
		isErr(t, err, storage.ErrBlocked, "LinkIdentity of a blocked user")
		_, err = s.GetSessionByTokenHash(ctx, sess.TokenHash)
		isErr(t, err, storage.ErrNotFound, "session of a refused login")
	}
	if n := identityCount(t, s); n != 1 {
		t.Errorf("%d identities after refused logins, want 1", n)
	}
	if n := len(must(s.ListEvents(ctx, storage.EventFilter{}))(t)); n != events {
		t.Errorf("%d events after refused logins, want %d", n, events)
	}
	// Unblocked, they log in again.
	must(s.UpdateUser(ctx, u.ID, func(u storage.User) (storage.User, error) {
		u.BlockedAt = time.Time{}
		return u, nil
	}))(t)
	if res := link(t, s, g.request("wxweb", openID, union)); res.User.ID != u.ID || !res.User.BlockedAt.IsZero() {
		t.Errorf("after unblocking: user %q blocked at %v", res.User.ID, res.User.BlockedAt)
	}
}

// NoNewUser refuses rule 3 only: returning users and new identities of
// known users (rule 2) still log in.
func testLinkNoNewUser(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	req := g.request("wxweb", g.bytes(), union)
	req.NoNewUser = true
	_, err := s.LinkIdentity(ctx, req)
	isErr(t, err, storage.ErrNoSignup, "LinkIdentity of a new person with NoNewUser")
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 0 {
		t.Errorf("%d users after a refused signup, want 0", n)
	}
	req.NoNewUser = false
	first := link(t, s, req)
	req.NoNewUser = true
	if res := link(t, s, req); res.User.ID != first.User.ID {
		t.Errorf("returning user: %q, want %q", res.User.ID, first.User.ID)
	}
	second := g.request("wxmini", g.bytes(), union)
	second.NoNewUser = true
	if res := link(t, s, second); res.User.ID != first.User.ID || !res.CreatedIdentity {
		t.Errorf("second app of a known user: %q (identity created %v)", res.User.ID, res.CreatedIdentity)
	}
}

// MergeUsers moves everything and applies the documented value rules.
func testMergeValues(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	from, fromIdn := g.user(t, s)
	into, intoIdn := g.user(t, s)
	// from is the newer profile, into has no phone and no nickname.
	from = must(s.UpdateUser(ctx, from.ID, func(u storage.User) (storage.User, error) {
		u.Nickname, u.City, u.UpdatedAt = "newer", "", g.time().Add(time.Hour)
		return u, nil
	}))(t)
	into = must(s.UpdateUser(ctx, into.ID, func(u storage.User) (storage.User, error) {
		u.Phone, u.City, u.AvatarURL = nil, "Guangzhou", ""
		return u, nil
	}))(t)
	noErr(t, s.PutAvatar(ctx, storage.Avatar{ID: g.id("av"), UserID: from.ID, ContentType: "image/png", Data: []byte("png"), Source: g.bytes(), CreatedAt: g.time()}), "PutAvatar")
	fromSess := g.session(from, fromIdn)
	noErr(t, s.CreateSession(ctx, fromSess), "CreateSession")
	intoSess := g.session(into, intoIdn)
	noErr(t, s.CreateSession(ctx, intoSess), "CreateSession")

	at := g.time().Add(2 * time.Hour)
	reseal := func(sealed []byte, fromID, intoID string) ([]byte, error) {
		if !bytes.Equal(sealed, from.Phone) || fromID != from.ID || intoID != into.ID {
			return nil, fmt.Errorf("reseal(%s, %q, %q): not from's phone for into", short(sealed), fromID, intoID)
		}
		return append([]byte("resealed:"), sealed...), nil
	}
	m, merged, err := s.MergeUsers(ctx, from.ID, into.ID, at, reseal)
	noErr(t, err, "MergeUsers")
	if !merged {
		t.Errorf("merged = false")
	}
	want := into
	want.Nickname, want.City = "newer", "Guangzhou"
	want.Phone = append([]byte("resealed:"), from.Phone...)
	want.AvatarURL = from.AvatarURL
	want.UpdatedAt = utc(at)
	check(t, "merged user", m, want)
	check(t, "stored user", must(s.GetUser(ctx, into.ID))(t), want)
	if a, err := s.GetUserAvatar(ctx, into.ID); err != nil || a.UserID != into.ID {
		t.Errorf("avatar copy of the merged user: %+v, %v; want from's, moved", a, err)
	}
	for _, p := range []storage.Session{fromSess, intoSess} {
		if got := must(s.GetSessionByTokenHash(ctx, p.TokenHash))(t); got.UserID != into.ID {
			t.Errorf("session %s belongs to %q, want %q", p.ID, got.UserID, into.ID)
		}
	}
	if n, err := s.DeleteUserSessions(ctx, into.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserSessions(merged user) = %d, %v; want 2 (log out everywhere)", n, err)
	}
	if got := must(s.GetIdentity(ctx, fromIdn.ID))(t); got.UserID != into.ID {
		t.Errorf("from's identity belongs to %q", got.UserID)
	}
}

// The id of a merged user keeps resolving, through any number of merges.
func testMergeOldIDResolves(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	a, _ := g.user(t, s)
	b, _ := g.user(t, s)
	c, _ := g.user(t, s)
	must3(s.MergeUsers(ctx, a.ID, b.ID, g.time(), nil))(t)
	must3(s.MergeUsers(ctx, b.ID, c.ID, g.time(), nil))(t)
	for _, id := range []string{a.ID, b.ID, c.ID} {
		if got := must(s.GetUser(ctx, id))(t); got.ID != c.ID {
			t.Errorf("GetUser(%q).ID = %q, want %q", id, got.ID, c.ID)
		}
	}
	// Merging ids that already stand for one user changes nothing.
	u, merged, err := s.MergeUsers(ctx, a.ID, c.ID, g.time(), nil)
	if err != nil || merged || u.ID != c.ID {
		t.Errorf("MergeUsers(already merged) = %q, %v, %v; want %q, false, nil", u.ID, merged, err, c.ID)
	}
	if n := len(mergeEvents(t, s)); n != 2 {
		t.Errorf("%d user_merged events, want 2", n)
	}
	if n := identityCount(t, s); n != 3 {
		t.Errorf("%d identities, want 3", n)
	}
	if n := len(must(s.ListIdentities(ctx, c.ID))(t)); n != 3 {
		t.Errorf("the last user has %d identities, want 3", n)
	}
}

func must3[T, U any](v T, w U, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func testMergeBadInput(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	a, _ := g.user(t, s)
	_, _, err := s.MergeUsers(ctx, a.ID, a.ID, g.time(), nil)
	isErr(t, err, storage.ErrInvalid, "MergeUsers(a, a)")
	_, _, err = s.MergeUsers(ctx, a.ID, "usr-unknown", g.time(), nil)
	isErr(t, err, storage.ErrNotFound, "MergeUsers(a, unknown)")
	_, _, err = s.MergeUsers(ctx, "usr-unknown", a.ID, g.time(), nil)
	isErr(t, err, storage.ErrNotFound, "MergeUsers(unknown, a)")
	for _, id := range []string{"", "usr-%", `'; DROP TABLE users; --`, string(bytes.Repeat([]byte("x"), 5000))} {
		_, _, err = s.MergeUsers(ctx, id, a.ID, g.time(), nil)
		isErr(t, err, storage.ErrNotFound, fmt.Sprintf("MergeUsers(%.10q, a)", id))
	}
	b, _ := g.user(t, s)
	a = must(s.UpdateUser(ctx, a.ID, func(u storage.User) (storage.User, error) { u.Phone = nil; return u, nil }))(t)
	boom := errors.New("keyring unavailable")
	_, _, err = s.MergeUsers(ctx, b.ID, a.ID, g.time(), func([]byte, string, string) ([]byte, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("MergeUsers with a failing resealer: %v, want %v", err, boom)
	}
	check(t, "user after refused merges", must(s.GetUser(ctx, a.ID))(t), a)
	check(t, "other user after refused merges", must(s.GetUser(ctx, b.ID))(t), b)
	if n := len(mergeEvents(t, s)); n != 0 {
		t.Errorf("%d user_merged events after refused merges", n)
	}
}

// Concurrent merges of one pair, either way round: one merge, one event,
// every identity kept.
func testMergeConcurrentSamePair(t *testing.T, s storage.Store) {
	const n = 16
	ctx, g := t.Context(), &gen{}
	a, _ := g.user(t, s)
	b, _ := g.user(t, s)
	at := g.time()
	var mu sync.Mutex
	merges := 0
	errs := make([]error, n)
	together(n, func(i int) {
		from, into := a.ID, b.ID
		if i%2 == 1 {
			from, into = b.ID, a.ID
		}
		_, merged, err := s.MergeUsers(ctx, from, into, at, nil)
		errs[i] = err
		if merged {
			mu.Lock()
			merges++
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("MergeUsers #%d: %v", i, err)
		}
	}
	if merges != 1 {
		t.Errorf("%d calls merged, want 1", merges)
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	if n := identityCount(t, s); n != 2 {
		t.Errorf("%d identities, want 2", n)
	}
	if n := len(mergeEvents(t, s)); n != 1 {
		t.Errorf("%d user_merged events, want 1", n)
	}
	ua, ub := must(s.GetUser(ctx, a.ID))(t), must(s.GetUser(ctx, b.ID))(t)
	if ua.ID != ub.ID {
		t.Errorf("a resolves to %q, b to %q", ua.ID, ub.ID)
	}
}

// Merges racing logins of the same person (every identity of both users,
// with sessions): every login lands on the surviving user, no identity or
// session is lost, and the unionid leads to that user.
func testMergeRacingLogins(t *testing.T, s storage.Store) {
	const logins = 24
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	oaOpenID := g.bytes()
	first := link(t, s, g.request("wxoa", oaOpenID, nil))
	holder := link(t, s, g.request("wxweb", g.bytes(), union))
	reqs := make([]storage.LinkRequest, logins)
	for i := range reqs {
		switch i % 3 {
		case 0: // the OA identity, now with the unionid: merges
			reqs[i] = g.request("wxoa", oaOpenID, union)
		case 1: // the OA identity still without it (snsapi_base)
			reqs[i] = g.request("wxoa", oaOpenID, nil)
		default: // the holder's website identity
			reqs[i] = g.request("wxweb", holder.Identity.OpenIDIndex, union)
		}
		sess := g.session(storage.User{}, storage.Identity{})
		reqs[i].Session = &sess
	}
	res := make([]storage.LinkResult, logins+1)
	errs := make([]error, logins+1)
	together(logins+1, func(i int) {
		if i == logins {
			var u storage.User
			u, _, errs[i] = s.MergeUsers(ctx, first.User.ID, holder.User.ID, g.time(), nil)
			res[i].User = u
			return
		}
		res[i], errs[i] = s.LinkIdentity(ctx, reqs[i])
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call #%d: %v", i, err)
		}
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	if n := identityCount(t, s); n != 2 {
		t.Errorf("%d identities, want 2", n)
	}
	if n := len(mergeEvents(t, s)); n != 1 {
		t.Errorf("%d user_merged events, want 1", n)
	}
	final := must(s.GetUser(ctx, first.User.ID))(t).ID
	for i := range logins {
		p, err := s.GetSessionByTokenHash(ctx, reqs[i].Session.TokenHash)
		if err != nil {
			t.Errorf("session of login #%d: %v", i, err)
			continue
		}
		if p.UserID != final {
			t.Errorf("session of login #%d belongs to %q, want %q", i, p.UserID, final)
		}
	}
	if r := link(t, s, g.request("wxmini", g.bytes(), union)); r.User.ID != final {
		t.Errorf("unionid leads to %q, want %q", r.User.ID, final)
	}
}

// Many people, each split in two, log in through several apps at once:
// every person ends as one user, no identity is lost.
func testMergeManyAppsAtOnce(t *testing.T, s storage.Store) {
	const people, apps = 6, 4
	ctx, g := t.Context(), &gen{}
	type person struct {
		union, oa []byte
		openIDs   [][]byte
	}
	ps := make([]person, people)
	for i := range ps {
		ps[i] = person{union: g.bytes(), oa: g.bytes()}
		link(t, s, g.request("wxoa", ps[i].oa, nil))
		for a := range apps {
			ps[i].openIDs = append(ps[i].openIDs, g.bytes())
			_ = a
		}
		link(t, s, g.request("wxapp0", ps[i].openIDs[0], ps[i].union))
	}
	var reqs []storage.LinkRequest
	for i := range ps {
		for a := range apps {
			reqs = append(reqs, g.request(fmt.Sprintf("wxapp%d", a), ps[i].openIDs[a], ps[i].union))
			reqs = append(reqs, g.request("wxoa", ps[i].oa, ps[i].union))
		}
	}
	errs := make([]error, len(reqs))
	together(len(reqs), func(i int) { _, errs[i] = s.LinkIdentity(ctx, reqs[i]) })
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("LinkIdentity: %v", err)
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != people {
		t.Errorf("%d users, want %d", n, people)
	}
	if n := identityCount(t, s); n != people*(apps+1) {
		t.Errorf("%d identities, want %d", n, people*(apps+1))
	}
	for _, p := range ps {
		idn := must(s.GetIdentityByOpenID(ctx, p.oa))(t)
		list := must(s.ListIdentities(ctx, idn.UserID))(t)
		if len(list) != apps+1 {
			t.Errorf("person's user %q has %d identities, want %d", idn.UserID, len(list), apps+1)
		}
	}
	if n := len(mergeEvents(t, s)); n != people {
		t.Errorf("%d user_merged events, want %d", n, people)
	}
}
