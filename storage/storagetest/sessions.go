package storagetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

func testCreateSession(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	in := g.session(u, idn)
	want := wantSession(in)
	want.TokenHash, want.SigningKey = slices.Clone(in.TokenHash), slices.Clone(in.SigningKey)
	noErr(t, s.CreateSession(ctx, in), "CreateSession")
	in.SigningKey[0] ^= 0xff // the store keeps its own copy
	got := must(s.GetSessionByTokenHash(ctx, want.TokenHash))(t)
	check(t, "GetSessionByTokenHash", got, want)
	got.SigningKey[0] ^= 0xff // and gives out copies
	check(t, "GetSessionByTokenHash again", must(s.GetSessionByTokenHash(ctx, want.TokenHash))(t), want)

	for _, h := range [][]byte{g.bytes(), nil, {}, want.TokenHash[:31]} {
		_, err := s.GetSessionByTokenHash(ctx, h)
		isErr(t, err, storage.ErrNotFound, fmt.Sprintf("GetSessionByTokenHash(%x)", h))
	}

	dupID := g.session(u, idn)
	dupID.ID = want.ID
	isErr(t, s.CreateSession(ctx, dupID), storage.ErrConflict, "CreateSession(taken ID)")
	_, err := s.GetSessionByTokenHash(ctx, dupID.TokenHash)
	isErr(t, err, storage.ErrNotFound, "GetSessionByTokenHash(token of the refused session)")

	dupToken := g.session(u, idn)
	dupToken.TokenHash = want.TokenHash
	isErr(t, s.CreateSession(ctx, dupToken), storage.ErrConflict, "CreateSession(taken TokenHash)")
	check(t, "session after the conflicts", must(s.GetSessionByTokenHash(ctx, want.TokenHash))(t), want)

	other := g.session(u, idn)
	other.SigningKey = nil
	noErr(t, s.CreateSession(ctx, other), "CreateSession(no signing key)")
	check(t, "session without signing key", must(s.GetSessionByTokenHash(ctx, other.TokenHash))(t), wantSession(other))

	if n := must(s.DeleteUserSessions(ctx, u.ID))(t); n != 2 {
		t.Errorf("user has %d sessions, want 2 (refused ones were stored)", n)
	}
}

func testTouchSession(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	in := g.session(u, idn)
	noErr(t, s.CreateSession(ctx, in), "CreateSession")
	want := wantSession(in)
	seen := func() time.Time {
		t.Helper()
		return must(s.GetSessionByTokenHash(ctx, in.TokenHash))(t).LastSeenAt
	}

	later := in.LastSeenAt.Add(90*time.Minute + 1234*time.Nanosecond).In(time.FixedZone("PST", -8*3600))
	noErr(t, s.TouchSession(ctx, in.ID, later), "TouchSession(later)")
	want.LastSeenAt = utc(later)
	check(t, "session after touch", must(s.GetSessionByTokenHash(ctx, in.TokenHash))(t), want)

	noErr(t, s.TouchSession(ctx, in.ID, in.LastSeenAt), "TouchSession(earlier)")
	check(t, "LastSeenAt after an earlier touch", seen(), want.LastSeenAt)
	noErr(t, s.TouchSession(ctx, in.ID, later), "TouchSession(same)")
	check(t, "LastSeenAt after the same touch", seen(), want.LastSeenAt)
	noErr(t, s.TouchSession(ctx, in.ID, later.Add(time.Second)), "TouchSession(later again)")
	check(t, "LastSeenAt after a later touch", seen(), utc(later.Add(time.Second)))

	isErr(t, s.TouchSession(ctx, "ses-missing", later), storage.ErrNotFound, "TouchSession(missing)")
	isErr(t, s.TouchSession(ctx, "", later), storage.ErrNotFound, `TouchSession("")`)
}

func testDeleteSession(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	gone, kept := g.session(u, idn), g.session(u, idn)
	noErr(t, s.CreateSession(ctx, gone), "CreateSession")
	noErr(t, s.CreateSession(ctx, kept), "CreateSession")

	noErr(t, s.DeleteSession(ctx, gone.ID), "DeleteSession")
	_, err := s.GetSessionByTokenHash(ctx, gone.TokenHash)
	isErr(t, err, storage.ErrNotFound, "GetSessionByTokenHash(deleted)")
	isErr(t, s.TouchSession(ctx, gone.ID, g.time()), storage.ErrNotFound, "TouchSession(deleted)")
	noErr(t, s.DeleteSession(ctx, gone.ID), "DeleteSession again")
	noErr(t, s.DeleteSession(ctx, "ses-never-was"), "DeleteSession(missing)")
	check(t, "other session", must(s.GetSessionByTokenHash(ctx, kept.TokenHash))(t), wantSession(kept))

	// The token hash of a deleted session is free again.
	again := g.session(u, idn)
	again.TokenHash = gone.TokenHash
	noErr(t, s.CreateSession(ctx, again), "CreateSession(reused token hash)")
}

func testDeleteUserSessions(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	alice, aliceID := g.user(t, s)
	bob, bobID := g.user(t, s)
	var bobs []storage.Session
	for i := range 5 {
		if i < 3 {
			noErr(t, s.CreateSession(ctx, g.session(alice, aliceID)), "CreateSession")
		} else {
			b := g.session(bob, bobID)
			noErr(t, s.CreateSession(ctx, b), "CreateSession")
			bobs = append(bobs, b)
		}
	}
	if n := must(s.DeleteUserSessions(ctx, alice.ID))(t); n != 3 {
		t.Errorf("DeleteUserSessions = %d, want 3", n)
	}
	if n := must(s.DeleteUserSessions(ctx, alice.ID))(t); n != 0 {
		t.Errorf("DeleteUserSessions again = %d, want 0", n)
	}
	if n := must(s.DeleteUserSessions(ctx, "usr-missing"))(t); n != 0 {
		t.Errorf("DeleteUserSessions(missing user) = %d, want 0", n)
	}
	for _, b := range bobs {
		check(t, "other user's session", must(s.GetSessionByTokenHash(ctx, b.TokenHash))(t), wantSession(b))
	}
}

func testDeleteExpiredSessions(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	now := g.time()
	idle := now.Add(-30 * time.Minute)
	mk := func(expires, lastSeen time.Time) storage.Session {
		t.Helper()
		p := g.session(u, idn)
		p.CreatedAt = now.Add(-time.Hour)
		p.ExpiresAt, p.LastSeenAt = expires, lastSeen
		noErr(t, s.CreateSession(ctx, p), "CreateSession")
		return p
	}
	expired := mk(now.Add(-time.Microsecond), now)
	atDeadline := mk(now, now)
	idleOut := mk(now.Add(time.Hour), idle.Add(-time.Microsecond))
	idleAtLimit := mk(now.Add(time.Hour), idle)
	fresh := mk(now.Add(time.Hour), now)
	type expect struct {
		name    string
		p       storage.Session
		present bool
	}
	checkPresent := func(rule string, want []expect) {
		t.Helper()
		for _, w := range want {
			_, err := s.GetSessionByTokenHash(ctx, w.p.TokenHash)
			if err != nil {
				isErr(t, err, storage.ErrNotFound, "GetSessionByTokenHash")
			}
			if got := err == nil; got != w.present {
				t.Errorf("%s: %s session present = %v, want %v", rule, w.name, got, w.present)
			}
		}
	}
	if n := must(s.DeleteExpiredSessions(ctx, now, time.Time{}))(t); n != 1 {
		t.Errorf("DeleteExpiredSessions(now, no idle rule) = %d, want 1", n)
	}
	checkPresent("without the idle rule", []expect{
		{"expired", expired, false}, {"at deadline", atDeadline, true}, {"idle", idleOut, true},
	})
	if n := must(s.DeleteExpiredSessions(ctx, now.In(time.UTC), idle))(t); n != 1 {
		t.Errorf("DeleteExpiredSessions(now, idle) = %d, want 1", n)
	}
	checkPresent("with the idle rule", []expect{
		{"idle", idleOut, false}, {"at deadline", atDeadline, true}, {"idle at limit", idleAtLimit, true}, {"fresh", fresh, true},
	})
	if n := must(s.DeleteExpiredSessions(ctx, now, idle))(t); n != 0 {
		t.Errorf("DeleteExpiredSessions again = %d, want 0", n)
	}
}

func testAppendEvent(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	detail := map[string]string{"method": "qrconnect", "appid": "wx0123456789abcdef", "城市": "深圳"}
	ins := []storage.Event{
		{ID: 999, Time: g.time(), Type: "login", UserID: "usr-1", App: "web", IP: "2001:db8::1", Detail: detail},
		{Time: g.time(), Type: "state_mismatch", App: "web", IP: "203.0.113.7"},
		{Time: g.time(), Type: "logout", UserID: "usr-1", App: "web", IP: "203.0.113.7", Detail: map[string]string{}},
	}
	var got []storage.Event
	for i, in := range ins {
		e := must(s.AppendEvent(ctx, in))(t)
		want := wantEvent(in)
		want.ID = e.ID
		check(t, fmt.Sprintf("AppendEvent #%d", i), e, want)
		if i > 0 && e.ID <= got[i-1].ID {
			t.Errorf("event #%d: ID %d after %d", i, e.ID, got[i-1].ID)
		}
		got = append(got, want)
	}
	detail["method"] = "changed after append" // the store kept its own copy
	check(t, "ListEvents", must(s.ListEvents(ctx, storage.EventFilter{}))(t), got)
}

func testListEvents(t *testing.T, s storage.Store) {
	ctx := t.Context()
	types := []string{"login", "logout", "state_mismatch"}
	users := []string{"usr-alice", "usr-bob"}
	var all []storage.Event
	for i, minute := range rand.New(rand.NewPCG(3, 4)).Perm(12) { // time order is not ID order
		in := storage.Event{
			Time:   base.Add(time.Duration(minute)*time.Minute + 500*time.Nanosecond),
			Type:   types[i%len(types)],
			UserID: users[i%len(users)],
			App:    "web",
			IP:     "192.0.2.1",
			Detail: map[string]string{"i": fmt.Sprint(i)},
		}
		all = append(all, must(s.AppendEvent(ctx, in))(t))
	}
	at := func(minute int) time.Time { return base.Add(time.Duration(minute) * time.Minute) }
	filter := func(keep func(storage.Event) bool, limit int) []storage.Event {
		var out []storage.Event
		for _, e := range all {
			if keep(e) && len(out) < limit {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name string
		f    storage.EventFilter
		want []storage.Event
	}{
		{"all", storage.EventFilter{}, all},
		// Event times are 500ns past the minute and stored truncated, so
		// they sit exactly on the minute bounds: Since includes them,
		// Until excludes them.
		{"since", storage.EventFilter{Since: at(4)}, filter(func(e storage.Event) bool { return !e.Time.Before(at(4)) }, 100)},
		{"since inclusive", storage.EventFilter{Since: all[3].Time}, filter(func(e storage.Event) bool { return !e.Time.Before(all[3].Time) }, 100)},
		{"until exclusive", storage.EventFilter{Until: all[3].Time.In(time.Local)}, filter(func(e storage.Event) bool { return e.Time.Before(all[3].Time) }, 100)},
		{"since until", storage.EventFilter{Since: at(3), Until: at(8)}, filter(func(e storage.Event) bool { return !e.Time.Before(at(3)) && e.Time.Before(at(8)) }, 100)},
		{"type", storage.EventFilter{Type: "logout"}, filter(func(e storage.Event) bool { return e.Type == "logout" }, 100)},
		{"user", storage.EventFilter{UserID: "usr-bob"}, filter(func(e storage.Event) bool { return e.UserID == "usr-bob" }, 100)},
		{"after id", storage.EventFilter{AfterID: all[4].ID}, all[5:]},
		{"limit", storage.EventFilter{Limit: 3}, all[:3]},
		{"everything", storage.EventFilter{Since: at(1), Until: at(11), Type: "login", UserID: "usr-alice", AfterID: all[0].ID, Limit: 1},
			filter(func(e storage.Event) bool {
				return e.ID > all[0].ID && !e.Time.Before(at(1)) && e.Time.Before(at(11)) && e.Type == "login" && e.UserID == "usr-alice"
			}, 1)},
		{"nothing", storage.EventFilter{Type: "no-such-type"}, nil},
	}
	for _, tc := range tests {
		got := must(s.ListEvents(ctx, tc.f))(t)
		if len(tc.want) == 0 && tc.name != "nothing" {
			t.Fatalf("%s: the test expects no events; fix the test data", tc.name)
		}
		check(t, "ListEvents "+tc.name, got, tc.want)
	}
}

func testListEventsLimit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var all []storage.Event
	for i := range 105 {
		all = append(all, must(s.AppendEvent(ctx, storage.Event{Time: base.Add(time.Duration(i) * time.Second), Type: "login"}))(t))
	}
	check(t, "ListEvents(Limit 0)", must(s.ListEvents(ctx, storage.EventFilter{}))(t), all[:100])
	check(t, "ListEvents(after the 100th)", must(s.ListEvents(ctx, storage.EventFilter{AfterID: all[99].ID}))(t), all[100:])
	check(t, "ListEvents(Limit 101)", must(s.ListEvents(ctx, storage.EventFilter{Limit: 101}))(t), all[:101])
}
