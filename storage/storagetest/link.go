package storagetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Rule 3: nobody matches, so req.NewUser and the identity are created, and
// the identity belongs to NewUser whatever UserID the request carried.
func testLinkNewUser(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	req := g.request("wxapp1", g.bytes(), nil)
	req.Identity.UserID = "usr-chosen-by-the-caller"
	res := link(t, s, req)
	if !res.CreatedUser || !res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want true, true", res.CreatedUser, res.CreatedIdentity)
	}
	wantU := wantUser(req.NewUser)
	wantI := wantIdentity(req.Identity)
	wantI.UserID = req.NewUser.ID
	check(t, "result user", res.User, wantU)
	check(t, "result identity", res.Identity, wantI)
	check(t, "GetUser", must(s.GetUser(ctx, wantU.ID))(t), wantU)
	check(t, "GetIdentity", must(s.GetIdentity(ctx, wantI.ID))(t), wantI)
	check(t, "GetIdentityByOpenID", must(s.GetIdentityByOpenID(ctx, wantI.OpenIDIndex))(t), wantI)
	check(t, "ListIdentities", must(s.ListIdentities(ctx, wantU.ID))(t), []storage.Identity{wantI})
	_, err := s.GetUser(ctx, "usr-chosen-by-the-caller")
	isErr(t, err, storage.ErrNotFound, "GetUser(request's UserID)")
}

func testLinkNewUserWithUnionID(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	req := g.request("wxapp1", g.bytes(), g.bytes())
	res := link(t, s, req)
	if !res.CreatedUser || !res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want true, true", res.CreatedUser, res.CreatedIdentity)
	}
	wantI := wantIdentity(req.Identity)
	wantI.UserID = req.NewUser.ID
	check(t, "result identity", res.Identity, wantI)
	check(t, "GetIdentity", must(s.GetIdentity(ctx, wantI.ID))(t), wantI)
	if len(res.Identity.UnionIDIndex) == 0 || len(res.Identity.UnionID) == 0 {
		t.Errorf("the new identity lost its unionid")
	}
}

// Rule 1: the identity exists; it and its user come back unchanged and the
// request's NewUser and identity are not created.
func testLinkExistingIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID := g.bytes()
	first := link(t, s, g.request("wxapp1", openID, nil))

	again := g.request("wxapp1", openID, nil)
	again.Identity.Scope = "snsapi_userinfo"
	again.NewUser.Nickname = "someone else"
	res := link(t, s, again)
	if res.CreatedUser || res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want false, false", res.CreatedUser, res.CreatedIdentity)
	}
	check(t, "user", res.User, first.User)
	check(t, "identity", res.Identity, first.Identity)
	check(t, "stored identity", must(s.GetIdentity(ctx, first.Identity.ID))(t), first.Identity)
	_, err := s.GetUser(ctx, again.NewUser.ID)
	isErr(t, err, storage.ErrNotFound, "GetUser(unused NewUser)")
	_, err = s.GetIdentity(ctx, again.Identity.ID)
	isErr(t, err, storage.ErrNotFound, "GetIdentity(unused identity id)")
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

// Rule 1: an identity stored without a unionid gets the one a later login
// reveals, and from then on the unionid leads to its user (rule 2).
func testLinkAttachUnionID(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union := g.bytes(), g.bytes()
	before := link(t, s, g.request("wxapp1", openID, nil))
	if len(before.Identity.UnionIDIndex) != 0 {
		t.Fatalf("identity has a unionid before any was given")
	}

	req := g.request("wxapp1", openID, union)
	res := link(t, s, req)
	if res.CreatedUser || res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want false, false", res.CreatedUser, res.CreatedIdentity)
	}
	want := before.Identity
	want.UnionIDIndex, want.UnionID = union, req.Identity.UnionID
	check(t, "result identity", res.Identity, want)
	check(t, "stored identity", must(s.GetIdentity(ctx, want.ID))(t), want)
	check(t, "user", res.User, before.User)

	other := link(t, s, g.request("wxapp2", g.bytes(), union))
	if other.CreatedUser || !other.CreatedIdentity || other.User.ID != before.User.ID {
		t.Errorf("second app: user %q (created %v, identity created %v); want identity added to %q",
			other.User.ID, other.CreatedUser, other.CreatedIdentity, before.User.ID)
	}
	if n := len(must(s.ListIdentities(ctx, before.User.ID))(t)); n != 2 {
		t.Errorf("user has %d identities, want 2", n)
	}
}

// Rule 1: an identity that has a unionid keeps it when a request carries
// another one, and the other one is not linked to the user.
func testLinkUnionIDNotReplaced(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	openID, union1, union2 := g.bytes(), g.bytes(), g.bytes()
	first := link(t, s, g.request("wxapp1", openID, union1))

	res := link(t, s, g.request("wxapp1", openID, union2))
	check(t, "result identity", res.Identity, first.Identity)
	check(t, "stored identity", must(s.GetIdentity(ctx, first.Identity.ID))(t), first.Identity)

	byUnion2 := link(t, s, g.request("wxapp2", g.bytes(), union2))
	if !byUnion2.CreatedUser || byUnion2.User.ID == first.User.ID {
		t.Errorf("the refused unionid joined user %q (created %v); want a new user", byUnion2.User.ID, byUnion2.CreatedUser)
	}
	byUnion1 := link(t, s, g.request("wxapp2", g.bytes(), union1))
	if byUnion1.CreatedUser || byUnion1.User.ID != first.User.ID {
		t.Errorf("the kept unionid led to user %q (created %v); want %q", byUnion1.User.ID, byUnion1.CreatedUser, first.User.ID)
	}
}

// Rule 2: a login to a second app with a unionid the user holds adds an
// identity to that user; req.NewUser is not created.
func testLinkSecondApp(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	first := link(t, s, g.request("wxapp1", g.bytes(), union))

	req := g.request("wxapp2", g.bytes(), union)
	req.Identity.CreatedAt = base.Add(-365 * 24 * time.Hour) // older than the first identity
	res := link(t, s, req)
	if res.CreatedUser || !res.CreatedIdentity {
		t.Errorf("CreatedUser, CreatedIdentity = %v, %v; want false, true", res.CreatedUser, res.CreatedIdentity)
	}
	check(t, "user", res.User, must(s.GetUser(ctx, first.User.ID))(t))
	want := wantIdentity(req.Identity)
	want.UserID = first.User.ID
	check(t, "result identity", res.Identity, want)
	check(t, "GetIdentityByOpenID", must(s.GetIdentityByOpenID(ctx, req.Identity.OpenIDIndex))(t), want)
	_, err := s.GetUser(ctx, req.NewUser.ID)
	isErr(t, err, storage.ErrNotFound, "GetUser(unused NewUser)")
	check(t, "ListIdentities", must(s.ListIdentities(ctx, first.User.ID))(t), []storage.Identity{want, first.Identity})
}

// Rule 3: without a unionid (nil or empty) every new identity is a new
// user, even in the same app.
func testLinkNoUnionID(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	a := link(t, s, g.request("wxapp1", g.bytes(), nil))
	b := link(t, s, g.request("wxapp2", g.bytes(), nil))
	c := link(t, s, g.request("wxapp2", g.bytes(), []byte{}))
	d := link(t, s, g.request("wxapp3", g.bytes(), []byte{}))
	seen := map[string]bool{}
	for _, r := range []storage.LinkResult{a, b, c, d} {
		if !r.CreatedUser || !r.CreatedIdentity {
			t.Errorf("identity %s: CreatedUser, CreatedIdentity = %v, %v; want true, true", r.Identity.ID, r.CreatedUser, r.CreatedIdentity)
		}
		if seen[r.User.ID] {
			t.Errorf("user %s got two identities without a unionid", r.User.ID)
		}
		seen[r.User.ID] = true
		if len(r.Identity.UnionIDIndex) != 0 {
			t.Errorf("identity %s: UnionIDIndex %x, want none", r.Identity.ID, r.Identity.UnionIDIndex)
		}
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))(t)); n != 4 {
		t.Errorf("%d users, want 4", n)
	}
}

// A new identity whose id or whose new user's id is taken is a conflict,
// and the call leaves nothing behind.
func testLinkConflict(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	first := link(t, s, g.request("wxapp1", g.bytes(), nil))

	req := g.request("wxapp1", g.bytes(), nil)
	req.Identity.ID = first.Identity.ID
	_, err := s.LinkIdentity(ctx, req)
	isErr(t, err, storage.ErrConflict, "LinkIdentity(taken identity id)")
	_, err = s.GetUser(ctx, req.NewUser.ID)
	isErr(t, err, storage.ErrNotFound, "GetUser after the conflict")
	_, err = s.GetIdentityByOpenID(ctx, req.Identity.OpenIDIndex)
	isErr(t, err, storage.ErrNotFound, "GetIdentityByOpenID after the conflict")

	union := g.bytes()
	req = g.request("wxapp2", g.bytes(), union)
	req.NewUser.ID = first.User.ID
	req.NewUser.Nickname = "impostor"
	_, err = s.LinkIdentity(ctx, req)
	isErr(t, err, storage.ErrConflict, "LinkIdentity(taken user id)")
	_, err = s.GetIdentity(ctx, req.Identity.ID)
	isErr(t, err, storage.ErrNotFound, "GetIdentity after the conflict")
	check(t, "user after the conflict", must(s.GetUser(ctx, first.User.ID))(t), first.User)
	check(t, "identities after the conflict", must(s.ListIdentities(ctx, first.User.ID))(t), []storage.Identity{first.Identity})

	res := link(t, s, g.request("wxapp3", g.bytes(), union))
	if !res.CreatedUser {
		t.Errorf("the unionid of a failed link leads to user %q", res.User.ID)
	}
}

// Many instances resolving the same login at once create one user and one
// identity, and all of them answer with it.
func testLinkConcurrentSameOpenID(t *testing.T, s storage.Store) {
	const n = 32
	ctx, g := t.Context(), &gen{}
	openID := g.bytes()
	reqs := make([]storage.LinkRequest, n)
	for i := range reqs {
		reqs[i] = g.request("wxapp1", openID, nil)
	}
	res := make([]storage.LinkResult, n)
	errs := make([]error, n)
	together(n, func(i int) { res[i], errs[i] = s.LinkIdentity(ctx, reqs[i]) })

	createdUser, createdIdentity := 0, 0
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
		check(t, fmt.Sprintf("result #%d user", i), res[i].User, res[0].User)
		check(t, fmt.Sprintf("result #%d identity", i), res[i].Identity, res[0].Identity)
	}
	if createdUser != 1 || createdIdentity != 1 {
		t.Errorf("%d calls created a user and %d an identity; want 1 and 1", createdUser, createdIdentity)
	}
	if got := len(must(s.ScanUsers(ctx, "", 100))(t)); got != 1 {
		t.Errorf("%d users stored, want 1", got)
	}
	idns := must(s.ScanIdentities(ctx, "", 100))(t)
	check(t, "stored identities", idns, []storage.Identity{res[0].Identity})
}

// Logins of one person to four apps, 32 at once, all carrying the same
// unionid: one user with four identities.
func testLinkConcurrentSharedUnionID(t *testing.T, s storage.Store) {
	const n, apps = 32, 4
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	openIDs := make([][]byte, apps)
	for a := range openIDs {
		openIDs[a] = g.bytes()
	}
	reqs := make([]storage.LinkRequest, n)
	for i := range reqs {
		reqs[i] = g.request(fmt.Sprintf("wxapp%d", i%apps), openIDs[i%apps], union)
	}
	res := make([]storage.LinkResult, n)
	errs := make([]error, n)
	together(n, func(i int) { res[i], errs[i] = s.LinkIdentity(ctx, reqs[i]) })

	createdUser, createdIdentity := 0, 0
	identityOf := map[int]string{}
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
		if res[i].User.ID != res[0].User.ID {
			t.Errorf("result #%d: user %q, want %q", i, res[i].User.ID, res[0].User.ID)
		}
		if id, ok := identityOf[i%apps]; ok && id != res[i].Identity.ID {
			t.Errorf("result #%d: identity %q, want %q (same app and openid)", i, res[i].Identity.ID, id)
		}
		identityOf[i%apps] = res[i].Identity.ID
		if !bytes.Equal(res[i].Identity.UnionIDIndex, union) {
			t.Errorf("result #%d: identity without the unionid", i)
		}
	}
	if createdUser != 1 || createdIdentity != apps {
		t.Errorf("%d calls created a user and %d an identity; want 1 and %d", createdUser, createdIdentity, apps)
	}
	if got := len(must(s.ScanUsers(ctx, "", 100))(t)); got != 1 {
		t.Errorf("%d users stored, want 1", got)
	}
	list := must(s.ListIdentities(ctx, res[0].User.ID))(t)
	if len(list) != apps {
		t.Fatalf("user has %d identities, want %d", len(list), apps)
	}
	for _, idn := range list {
		if idn.ID != identityOf[int(idn.AppID[len(idn.AppID)-1]-'0')] {
			t.Errorf("stored identity %q of %s is not the one the calls returned", idn.ID, idn.AppID)
		}
	}
	if got := len(must(s.ScanIdentities(ctx, "", 100))(t)); got != apps {
		t.Errorf("%d identities stored, want %d", got, apps)
	}
}
