package storagetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Times come back in UTC, truncated (never rounded) to the microsecond;
// the zero time stays zero.
func testTimes(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	in := time.Date(2031, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("UTC-7", -7*3600))
	want := time.Date(2032, 1, 1, 6, 59, 59, 999_999_000, time.UTC)
	is := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	req := g.request("wxapp1", g.bytes(), nil)
	req.NewUser.CreatedAt, req.NewUser.UpdatedAt = in, time.Time{}
	req.Identity.CreatedAt, req.Identity.SessionKeyAt, req.Identity.AccessExpiresAt = in, time.Time{}, in
	res := link(t, s, req)
	u := must(s.GetUser(ctx, res.User.ID))(t)
	is("User.CreatedAt", u.CreatedAt, want)
	is("User.UpdatedAt (zero)", u.UpdatedAt, time.Time{})
	if !u.UpdatedAt.IsZero() {
		t.Errorf("zero User.UpdatedAt came back as %v", u.UpdatedAt)
	}
	idn := must(s.GetIdentity(ctx, res.Identity.ID))(t)
	is("Identity.CreatedAt", idn.CreatedAt, want)
	is("Identity.AccessExpiresAt", idn.AccessExpiresAt, want)
	if !idn.SessionKeyAt.IsZero() {
		t.Errorf("zero Identity.SessionKeyAt came back as %v", idn.SessionKeyAt)
	}

	sess := g.session(u, idn)
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = in.Add(-time.Hour), in, in.Add(time.Hour)
	noErr(t, s.CreateSession(ctx, sess), "CreateSession")
	got := must(s.GetSessionByTokenHash(ctx, sess.TokenHash))(t)
	is("Session.LastSeenAt", got.LastSeenAt, want)
	is("Session.ExpiresAt", got.ExpiresAt, want.Add(time.Hour))

	e := must(s.AppendEvent(ctx, storage.Event{Time: in, Type: "login"}))(t)
	is("AppendEvent Time", e.Time, want)
	list := must(s.ListEvents(ctx, storage.EventFilter{Since: want, Until: want.Add(time.Microsecond)}))(t)
	if len(list) != 1 {
		t.Fatalf("ListEvents around the event's microsecond: %d events, want 1", len(list))
	}
	is("ListEvents Time", list[0].Time, want)
}

// Values an attacker or a careless caller can put into every field come
// back exactly: long ids, binary bytes, unicode and SQL-looking text, empty
// strings. (Strings stay valid UTF-8 without NUL: what every backend's text
// type holds.)
func testHostileInput(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	longID := "usr-" + strings.Repeat("长", 3000) // 9 KB
	sqlish := `'; DROP TABLE users; -- " \ %_*`
	unicode := "🐼 微信用户 e\u0301 \u202eRTL\u202c \t\r\n 👩‍👩‍👧"
	binary := make([]byte, 64<<10)
	for i := range binary {
		binary[i] = byte(i*7 + i>>8)
	}
	zeros := make([]byte, 32)

	req := g.request("", zeros, append([]byte{0xff, 0x00}, zeros...))
	req.NewUser = storage.User{ID: longID, Nickname: unicode, AvatarURL: sqlish, Province: "", City: "", Country: "", Phone: binary, CreatedAt: g.time()}
	req.Identity.ID = "idn-" + strings.Repeat("x", 4096)
	req.Identity.OpenID, req.Identity.UnionID, req.Identity.Scope = binary, binary[:1], sqlish
	res := link(t, s, req)
	wantU, wantI := wantUser(req.NewUser), wantIdentity(req.Identity)
	wantI.UserID = longID
	check(t, "user", must(s.GetUser(ctx, longID))(t), wantU)
	check(t, "identity", must(s.GetIdentity(ctx, req.Identity.ID))(t), wantI)
	check(t, "identity by openid", must(s.GetIdentityByOpenID(ctx, zeros))(t), wantI)
	check(t, "identities", must(s.ListIdentities(ctx, longID))(t), []storage.Identity{wantI})
	check(t, "result", res.Identity, wantI)
	_, err := s.GetIdentityByOpenID(ctx, zeros[:16])
	isErr(t, err, storage.ErrNotFound, "GetIdentityByOpenID(prefix of a stored index)")
	_, err = s.GetUser(ctx, sqlish)
	isErr(t, err, storage.ErrNotFound, "GetUser(SQL-looking id)")
	_, err = s.GetUser(ctx, "usr-%")
	isErr(t, err, storage.ErrNotFound, "GetUser(pattern id)")

	got, err := s.UpdateUser(ctx, longID, func(u storage.User) (storage.User, error) {
		u.Nickname, u.City = "", sqlish
		return u, nil
	})
	noErr(t, err, "UpdateUser")
	if got.Nickname != "" || got.City != sqlish {
		t.Errorf("UpdateUser: nickname %q, city %q", got.Nickname, got.City)
	}

	sess := g.session(wantU, wantI)
	sess.ID = "ses-" + unicode + strings.Repeat("z", 4000)
	sess.TokenHash = append([]byte{0}, binary[:63]...)
	sess.App, sess.IdentityID = "", ""
	sess.SigningKey = binary
	noErr(t, s.CreateSession(ctx, sess), "CreateSession")
	check(t, "session", must(s.GetSessionByTokenHash(ctx, sess.TokenHash))(t), wantSession(sess))
	noErr(t, s.TouchSession(ctx, sess.ID, sess.LastSeenAt.Add(time.Minute)), "TouchSession")
	if n := must(s.DeleteUserSessions(ctx, longID))(t); n != 1 {
		t.Errorf("DeleteUserSessions = %d, want 1", n)
	}

	ev := storage.Event{
		Time: g.time(), Type: unicode, UserID: longID, App: sqlish, IP: "",
		Detail: map[string]string{"": "empty key", sqlish: unicode, "long": strings.Repeat("값", 5000), "quote\"key": "", "null": "\\u0000"},
	}
	e := must(s.AppendEvent(ctx, ev))(t)
	want := wantEvent(ev)
	want.ID = e.ID
	check(t, "event", e, want)
	check(t, "events by user", must(s.ListEvents(ctx, storage.EventFilter{UserID: longID}))(t), []storage.Event{want})
	check(t, "events by type", must(s.ListEvents(ctx, storage.EventFilter{Type: unicode}))(t), []storage.Event{want})
	if n := len(must(s.ListEvents(ctx, storage.EventFilter{Type: "%"}))(t)); n != 0 {
		t.Errorf("ListEvents(Type %%) matched %d events", n)
	}
}

// A call whose context is done returns an error wrapping the context's
// error, promptly, and changes nothing.
func testCancelledContext(t *testing.T, s storage.Store) {
	live, g := t.Context(), &gen{}
	u, idn := g.user(t, s)
	sess := g.session(u, idn)
	noErr(t, s.CreateSession(live, sess), "CreateSession")
	newReq := g.request("wxapp1", g.bytes(), nil)
	newSess := g.session(u, idn)
	newSess.TokenHash = func() []byte { h := sha256.Sum256([]byte("new")); return h[:] }()
	login := g.request(idn.AppID, idn.OpenIDIndex, nil) // a returning login
	login.Update = func(i storage.Identity) (storage.Identity, error) { i.Scope = "changed"; return i, nil }
	loginSess := g.session(u, idn)
	login.Session = &loginSess

	cancelled, cancel := context.WithCancel(live)
	cancel()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"LinkIdentity", func(ctx context.Context) error { _, err := s.LinkIdentity(ctx, newReq); return err }},
		{"LinkIdentity(Update, Session)", func(ctx context.Context) error { _, err := s.LinkIdentity(ctx, login); return err }},
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, u.ID); return err }},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, u.ID, func(u storage.User) (storage.User, error) { u.Nickname = "changed"; return u, nil })
			return err
		}},
		{"GetIdentity", func(ctx context.Context) error { _, err := s.GetIdentity(ctx, idn.ID); return err }},
		{"GetIdentityByOpenID", func(ctx context.Context) error { _, err := s.GetIdentityByOpenID(ctx, idn.OpenIDIndex); return err }},
		{"ListIdentities", func(ctx context.Context) error { _, err := s.ListIdentities(ctx, u.ID); return err }},
		{"UpdateIdentity", func(ctx context.Context) error {
			_, err := s.UpdateIdentity(ctx, idn.ID, func(i storage.Identity) (storage.Identity, error) { i.Scope = "changed"; return i, nil })
			return err
		}},
		{"ScanIdentities", func(ctx context.Context) error { _, err := s.ScanIdentities(ctx, "", 10); return err }},
		{"ScanUsers", func(ctx context.Context) error { _, err := s.ScanUsers(ctx, "", 10); return err }},
		{"CreateSession", func(ctx context.Context) error { return s.CreateSession(ctx, newSess) }},
		{"GetSessionByTokenHash", func(ctx context.Context) error { _, err := s.GetSessionByTokenHash(ctx, sess.TokenHash); return err }},
		{"TouchSession", func(ctx context.Context) error { return s.TouchSession(ctx, sess.ID, sess.LastSeenAt.Add(time.Hour)) }},
		{"DeleteSession", func(ctx context.Context) error { return s.DeleteSession(ctx, sess.ID) }},
		{"DeleteUserSessions", func(ctx context.Context) error { _, err := s.DeleteUserSessions(ctx, u.ID); return err }},
		{"DeleteExpiredSessions", func(ctx context.Context) error {
			_, err := s.DeleteExpiredSessions(ctx, sess.ExpiresAt.Add(time.Hour), time.Time{})
			return err
		}},
		{"AppendEvent", func(ctx context.Context) error {
			_, err := s.AppendEvent(ctx, storage.Event{Time: g.time(), Type: "login"})
			return err
		}},
		{"ListEvents", func(ctx context.Context) error { _, err := s.ListEvents(ctx, storage.EventFilter{}); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	expired, cancel2 := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range calls {
		err := promptly(t, c.name, func() error { return c.call(cancelled) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one wrapping context.Canceled", c.name, err)
		}
		err = promptly(t, c.name, func() error { return c.call(expired) })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s past its deadline: error %v, want one wrapping context.DeadlineExceeded", c.name, err)
		}
	}

	// Nothing changed.
	_, err := s.GetUser(live, newReq.NewUser.ID)
	isErr(t, err, storage.ErrNotFound, "GetUser(user of the cancelled link)")
	check(t, "user", must(s.GetUser(live, u.ID))(t), u)
	check(t, "identity", must(s.GetIdentity(live, idn.ID))(t), idn)
	check(t, "session", must(s.GetSessionByTokenHash(live, sess.TokenHash))(t), wantSession(sess))
	_, err = s.GetSessionByTokenHash(live, newSess.TokenHash)
	isErr(t, err, storage.ErrNotFound, "GetSessionByTokenHash(session of the cancelled create)")
	_, err = s.GetSessionByTokenHash(live, loginSess.TokenHash)
	isErr(t, err, storage.ErrNotFound, "GetSessionByTokenHash(session of the cancelled login)")
	if n := len(must(s.ListEvents(live, storage.EventFilter{}))(t)); n != 0 {
		t.Errorf("%d events appended with a cancelled context", n)
	}
	noErr(t, s.Ping(live), "Ping")
}

// A closed store answers with ErrUnavailable.
func testClose(t *testing.T, s storage.Store) {
	ctx, g := t.Context(), &gen{}
	u, _ := g.user(t, s)
	noErr(t, s.Ping(ctx), "Ping")
	noErr(t, s.Close(), "Close")
	isErr(t, s.Ping(ctx), storage.ErrUnavailable, "Ping after Close")
	err := promptly(t, "GetUser after Close", func() error { _, err := s.GetUser(ctx, u.ID); return err })
	isErr(t, err, storage.ErrUnavailable, "GetUser after Close")
	err = promptly(t, "LinkIdentity after Close", func() error { _, err := s.LinkIdentity(ctx, g.request("wxapp1", g.bytes(), nil)); return err })
	isErr(t, err, storage.ErrUnavailable, "LinkIdentity after Close")
}
