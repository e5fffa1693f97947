package storagetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

var errAbort = errors.New("storagetest: updater refused")

func testGetUser(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, _ := g.user(t, s)
	check(t, "GetUser", must(s.GetUser(ctx, u.ID))(t), u)
	for _, id := range []string{"usr-missing", "", strings.ToUpper(u.ID), u.ID + " "} {
		_, err := s.GetUser(ctx, id)
		isErr(t, err, storage.ErrNotFound, fmt.Sprintf("GetUser(%q)", id))
	}
}

func testUpdateUser(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, _ := g.user(t, s)
	later, phone := g.time(), g.bytes()

	got, err := s.UpdateUser(ctx, u.ID, func(old storage.User) (storage.User, error) {
		check(t, "updater input", old, u)
		old.ID = "usr-renamed"
		old.CreatedAt = later
		old.Nickname = "新的昵称 🐼"
		old.AvatarURL = "https://wxgate.example/avatars/1.jpg"
		old.Sex = 2
		old.Province, old.City, old.Country = "Zhejiang", "Hangzhou", "CN"
		old.Phone = phone
		old.UpdatedAt = later
		return old, nil
	})
	noErr(t, err, "UpdateUser")
	want := u
	want.Nickname = "新的昵称 🐼"
	want.AvatarURL = "https://wxgate.example/avatars/1.jpg"
	want.Sex = 2
	want.Province, want.City, want.Country = "Zhejiang", "Hangzhou", "CN"
	want.Phone = phone
	want.UpdatedAt = utc(later)
	check(t, "UpdateUser result", got, want)
	check(t, "GetUser after update", must(s.GetUser(ctx, u.ID))(t), want)
	_, err = s.GetUser(ctx, "usr-renamed")
	isErr(t, err, storage.ErrNotFound, "GetUser(id the updater set)")

	// The updater's error aborts the update and is returned.
	_, err = s.UpdateUser(ctx, u.ID, func(old storage.User) (storage.User, error) {
		old.Nickname = "must not be stored"
		old.Phone[0] ^= 0xff // in place: the updater's input is its own
		return old, errAbort
	})
	isErr(t, err, errAbort, "UpdateUser with a failing updater")
	check(t, "GetUser after aborted update", must(s.GetUser(ctx, u.ID))(t), want)

	// Clearing the phone.
	got, err = s.UpdateUser(ctx, u.ID, func(old storage.User) (storage.User, error) {
		old.Phone = nil
		return old, nil
	})
	noErr(t, err, "UpdateUser(clear phone)")
	if p := must(s.GetUser(ctx, u.ID))(t).Phone; len(p) != 0 || len(got.Phone) != 0 {
		t.Errorf("phone %x after clearing it", p)
	}

	called := false
	_, err = s.UpdateUser(ctx, "usr-missing", func(old storage.User) (storage.User, error) {
		called = true
		return old, nil
	})
	isErr(t, err, storage.ErrNotFound, "UpdateUser(missing)")
	if called {
		t.Errorf("UpdateUser called the updater for a missing user")
	}
}

// shuffledIDs returns n ids "prefix-000"... in a shuffled order, so that
// records created in that order are not created in id order.
func shuffledIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i, p := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, p)
	}
	return ids
}

// checkPages pages through scan with the given limit and checks that it
// yields exactly want (sorted), page by page.
func checkPages[T any](t *testing.T, what string, want []string, limit int, scan func(after string, limit int) ([]T, error), id func(T) string) {
	t.Helper()
	var seen []string
	after := ""
	for page := 0; ; page++ {
		got, err := scan(after, limit)
		noErr(t, err, fmt.Sprintf("%s(%q, %d)", what, after, limit))
		if len(got) > limit {
			t.Fatalf("%s: page %d has %d entries, limit %d", what, page, len(got), limit)
		}
		if len(got) == 0 {
			break
		}
		for _, v := range got {
			seen = append(seen, id(v))
		}
		after = id(got[len(got)-1])
		if page > len(want) {
			t.Fatalf("%s: paging does not end", what)
		}
	}
	if !slices.Equal(seen, want) {
		t.Errorf("%s with limit %d yielded\n%v\nwant\n%v", what, limit, seen, want)
	}
}

func testScanUsers(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	ids := shuffledIDs("usr", 25)
	byID := map[string]storage.User{}
	for _, id := range ids {
		req := g.request("wxapp1", g.bytes(), nil)
		req.NewUser.ID = id
		byID[id] = link(t, s, req).User
	}
	want := slices.Sorted(slices.Values(ids))
	userID := func(u storage.User) string { return u.ID }
	scan := func(after string, limit int) ([]storage.User, error) { return s.ScanUsers(ctx, after, limit) }
	for _, limit := range []int{1, 7, 25, 100} {
		checkPages(t, "ScanUsers", want, limit, scan, userID)
	}
	got := must(s.ScanUsers(ctx, "usr-010", 3))(t)
	check(t, "ScanUsers(usr-010, 3)", got, []storage.User{byID["usr-011"], byID["usr-012"], byID["usr-013"]})
	got = must(s.ScanUsers(ctx, "usr-0105", 2))(t) // between two ids
	check(t, "ScanUsers(usr-0105, 2)", got, []storage.User{byID["usr-011"], byID["usr-012"]})
	if got := must(s.ScanUsers(ctx, "usr-024", 10))(t); len(got) != 0 {
		t.Errorf("ScanUsers after the last id: %d users", len(got))
	}
}

func testGetIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	_, idn := g.user(t, s)
	check(t, "GetIdentity", must(s.GetIdentity(ctx, idn.ID))(t), idn)
	check(t, "GetIdentityByOpenID", must(s.GetIdentityByOpenID(ctx, idn.OpenIDIndex))(t), idn)
	for _, id := range []string{"idn-missing", "", idn.UserID} {
		_, err := s.GetIdentity(ctx, id)
		isErr(t, err, storage.ErrNotFound, fmt.Sprintf("GetIdentity(%q)", id))
	}
	for _, index := range [][]byte{g.bytes(), nil, {}, idn.OpenIDIndex[:31], append(slices.Clip(idn.OpenIDIndex), 0)} {
		_, err := s.GetIdentityByOpenID(ctx, index)
		isErr(t, err, storage.ErrNotFound, fmt.Sprintf("GetIdentityByOpenID(%x)", index))
	}
}

func testListIdentities(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	t0 := g.time()
	var created []storage.Identity
	for _, offset := range []int{2, 0, 1} { // created out of age order
		req := g.request(fmt.Sprintf("wxapp%d", offset), g.bytes(), union)
		req.Identity.CreatedAt = t0.Add(time.Duration(offset) * time.Hour)
		created = append(created, link(t, s, req).Identity)
	}
	other, _ := g.user(t, s)
	want := []storage.Identity{created[1], created[2], created[0]}
	check(t, "ListIdentities", must(s.ListIdentities(ctx, created[0].UserID))(t), want)
	if n := len(must(s.ListIdentities(ctx, other.ID))(t)); n != 1 {
		t.Errorf("the other user has %d identities, want 1", n)
	}
}

func testUpdateIdentity(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	union := g.bytes()
	orig := link(t, s, g.request("wxapp1", g.bytes(), union)).Identity
	later := g.time()
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	openID, unionID, refresh := g.bytes(), g.bytes(), g.bytes()

	got, err := s.UpdateIdentity(ctx, orig.ID, func(old storage.Identity) (storage.Identity, error) {
		check(t, "updater input", old, orig)
		// Immutable: these must be kept.
		old.ID, old.UserID, old.AppID = "idn-renamed", "usr-other", "wxother"
		old.OpenIDIndex = []byte("another index")
		old.CreatedAt = later
		// Mutable.
		old.OpenID = openID
		old.UnionID = unionID
		old.SessionKey = allBytes
		old.SessionKeyAt = later.Add(1 * time.Nanosecond)
		old.AccessToken = []byte{}
		old.AccessExpiresAt = later.Add(2 * time.Hour)
		old.RefreshToken = refresh
		old.RefreshExpiresAt = later.Add(30 * 24 * time.Hour)
		old.Scope = "snsapi_userinfo"
		old.UpdatedAt = later
		old.LastLoginAt = later.Add(999 * time.Nanosecond)
		return old, nil
	})
	noErr(t, err, "UpdateIdentity")
	want := orig
	want.OpenID, want.UnionID, want.SessionKey = openID, unionID, allBytes
	want.SessionKeyAt = utc(later.Add(1 * time.Nanosecond))
	want.AccessToken = nil
	want.AccessExpiresAt = utc(later.Add(2 * time.Hour))
	want.RefreshToken = refresh
	want.RefreshExpiresAt = utc(later.Add(30 * 24 * time.Hour))
	want.Scope = "snsapi_userinfo"
	want.UpdatedAt = utc(later)
	want.LastLoginAt = utc(later.Add(999 * time.Nanosecond))
	check(t, "UpdateIdentity result", got, want)
	check(t, "GetIdentity after update", must(s.GetIdentity(ctx, orig.ID))(t), want)
	check(t, "GetIdentityByOpenID after update", must(s.GetIdentityByOpenID(ctx, orig.OpenIDIndex))(t), want)
	check(t, "ListIdentities after update", must(s.ListIdentities(ctx, orig.UserID))(t), []storage.Identity{want})
	_, err = s.GetIdentityByOpenID(ctx, []byte("another index"))
	isErr(t, err, storage.ErrNotFound, "GetIdentityByOpenID(index the updater set)")
	_, err = s.GetIdentity(ctx, "idn-renamed")
	isErr(t, err, storage.ErrNotFound, "GetIdentity(id the updater set)")
	if n := len(must(s.ListIdentities(ctx, "usr-other"))(t)); n != 0 {
		t.Errorf("the identity moved to the user its updater named")
	}

	// Clearing and setting sealed fields; nil and empty are both absent.
	got, err = s.UpdateIdentity(ctx, orig.ID, func(old storage.Identity) (storage.Identity, error) {
		old.SessionKey = nil
		old.AccessToken = allBytes[:1] // a single 0x00
		old.RefreshToken = []byte{}
		return old, nil
	})
	noErr(t, err, "UpdateIdentity(clear)")
	want.SessionKey, want.AccessToken, want.RefreshToken = nil, []byte{0}, nil
	check(t, "UpdateIdentity(clear) result", got, want)
	check(t, "GetIdentity after clearing", must(s.GetIdentity(ctx, orig.ID))(t), want)

	_, err = s.UpdateIdentity(ctx, orig.ID, func(old storage.Identity) (storage.Identity, error) {
		old.Scope = "must not be stored"
		old.AccessToken[0] ^= 0xff // in place: the updater's input is its own
		old.SessionKey = []byte("must not be stored")
		return old, errAbort
	})
	isErr(t, err, errAbort, "UpdateIdentity with a failing updater")
	check(t, "GetIdentity after aborted update", must(s.GetIdentity(ctx, orig.ID))(t), want)

	called := false
	_, err = s.UpdateIdentity(ctx, "idn-missing", func(old storage.Identity) (storage.Identity, error) {
		called = true
		return old, nil
	})
	isErr(t, err, storage.ErrNotFound, "UpdateIdentity(missing)")
	if called {
		t.Errorf("UpdateIdentity called the updater for a missing identity")
	}
}

// A unionid belongs to one user: UpdateIdentity may set one nobody else
// holds, which then leads to this user, and may clear one, which then leads
// nowhere once no identity carries it.
func testUpdateIdentityUnionID(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	a := link(t, s, g.request("wxapp1", g.bytes(), nil)).Identity
	heldElsewhere := g.bytes()
	b := link(t, s, g.request("wxapp2", g.bytes(), heldElsewhere)).Identity

	_, err := s.UpdateIdentity(ctx, a.ID, func(old storage.Identity) (storage.Identity, error) {
		old.UnionIDIndex, old.UnionID = heldElsewhere, g.bytes()
		return old, nil
	})
	isErr(t, err, storage.ErrConflict, "UpdateIdentity(another user's unionid)")
	check(t, "identity after the conflict", must(s.GetIdentity(ctx, a.ID))(t), a)

	fresh := g.bytes()
	_, err = s.UpdateIdentity(ctx, a.ID, func(old storage.Identity) (storage.Identity, error) {
		old.UnionIDIndex, old.UnionID = fresh, g.bytes()
		return old, nil
	})
	noErr(t, err, "UpdateIdentity(fresh unionid)")
	c := link(t, s, g.request("wxapp3", g.bytes(), fresh))
	if c.CreatedUser || c.User.ID != a.UserID {
		t.Fatalf("the unionid set by UpdateIdentity led to user %q (created %v), want %q", c.User.ID, c.CreatedUser, a.UserID)
	}

	// Cleared on a, still held through c.
	clear := func(id string) {
		t.Helper()
		got, err := s.UpdateIdentity(ctx, id, func(old storage.Identity) (storage.Identity, error) {
			old.UnionIDIndex, old.UnionID = nil, nil
			return old, nil
		})
		noErr(t, err, "UpdateIdentity(clear unionid)")
		if len(got.UnionIDIndex) != 0 {
			t.Errorf("unionid %x after clearing it", got.UnionIDIndex)
		}
	}
	clear(a.ID)
	d := link(t, s, g.request("wxapp4", g.bytes(), fresh))
	if d.CreatedUser || d.User.ID != a.UserID {
		t.Fatalf("unionid still held through another identity led to user %q (created %v), want %q", d.User.ID, d.CreatedUser, a.UserID)
	}
	clear(c.Identity.ID)
	clear(d.Identity.ID)
	e := link(t, s, g.request("wxapp5", g.bytes(), fresh))
	if !e.CreatedUser {
		t.Errorf("a unionid no identity carries any more still led to user %q", e.User.ID)
	}
	check(t, "the other user's identity", must(s.GetIdentity(ctx, b.ID))(t), b)
}

func testScanIdentities(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	ids := shuffledIDs("idn", 30)
	byID := map[string]storage.Identity{}
	union := g.bytes()
	for i, id := range ids {
		var req storage.LinkRequest
		if i%3 == 0 { // a third join one user, the rest are users of their own
			req = g.request("wxapp"+id, g.bytes(), union)
		} else {
			req = g.request("wxapp1", g.bytes(), nil)
		}
		req.Identity.ID = id
		byID[id] = link(t, s, req).Identity
	}
	want := slices.Sorted(slices.Values(ids))
	identityID := func(i storage.Identity) string { return i.ID }
	scan := func(after string, limit int) ([]storage.Identity, error) { return s.ScanIdentities(ctx, after, limit) }
	for _, limit := range []int{1, 4, 30, 100} {
		checkPages(t, "ScanIdentities", want, limit, scan, identityID)
	}
	got := must(s.ScanIdentities(ctx, "idn-020", 2))(t)
	check(t, "ScanIdentities(idn-020, 2)", got, []storage.Identity{byID["idn-021"], byID["idn-022"]})
	if got := must(s.ScanIdentities(ctx, "idn-029", 10))(t); len(got) != 0 {
		t.Errorf("ScanIdentities after the last id: %d identities", len(got))
	}
}

// Updaters run inside the backend's transaction: concurrent updates of one
// record lose none of them.
func testConcurrentUpdates(t *testing.T, s storage.Store) {
	const n = 32
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	errs := make([]error, 2*n)
	together(2*n, func(i int) {
		if i%2 == 0 {
			_, errs[i] = s.UpdateUser(ctx, u.ID, func(old storage.User) (storage.User, error) {
				old.Sex++
				return old, nil
			})
		} else {
			_, errs[i] = s.UpdateIdentity(ctx, idn.ID, func(old storage.Identity) (storage.Identity, error) {
				old.Scope += "+"
				return old, nil
			})
		}
	})
	for i, err := range errs {
		noErr(t, err, fmt.Sprintf("update #%d", i))
	}
	if got := must(s.GetUser(ctx, u.ID))(t).Sex; got != u.Sex+n {
		t.Errorf("after %d concurrent increments Sex = %d, want %d", n, got, u.Sex+n)
	}
	if got := must(s.GetIdentity(ctx, idn.ID))(t).Scope; got != idn.Scope+strings.Repeat("+", n) {
		t.Errorf("after %d concurrent appends Scope = %q, want %q", n, got, idn.Scope+strings.Repeat("+", n))
	}
}
