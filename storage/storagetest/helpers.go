package storagetest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// hangAfter is how long a call may take before the suite calls it hung.
// It bounds a failure, it never decides a pass.
const hangAfter = 10 * time.Second

// runID keeps the keys of one test run apart from those of earlier runs
// against the same (networked) KV.
var runID = func() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}()

// base is the first time the generators hand out: not UTC, and with
// nanoseconds, so every round trip shows the backend's normalization.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("CST", 8*3600))

// gen makes distinct, deterministic test data. It is not safe for
// concurrent use: build requests first, then start goroutines.
type gen struct {
	n int
}

func (g *gen) next() int { g.n++; return g.n }

// id returns a new id "kind-0001" (ids of one kind sort by creation).
func (g *gen) id(kind string) string { return fmt.Sprintf("%s-%04d", kind, g.next()) }

// bytes returns 32 new bytes that look like a blind index or a sealed
// value: binary, including 0x00 somewhere when g.n is even.
func (g *gen) bytes() []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "storagetest %d", g.next()))
	if g.n%2 == 0 {
		sum[7] = 0
	}
	return sum[:]
}

// time returns a new time, an hour and a few nanoseconds after the last.
func (g *gen) time() time.Time {
	n := g.next()
	return base.Add(time.Duration(n)*time.Hour + time.Duration(n)*1001*time.Nanosecond)
}

// request is a LinkRequest for a login to app with the given blind
// indexes (unionIDIndex may be nil), with fresh ids and sealed fields.
func (g *gen) request(app string, openIDIndex, unionIDIndex []byte) storage.LinkRequest {
	at := g.time()
	r := storage.LinkRequest{
		Identity: storage.Identity{
			ID:          g.id("idn"),
			AppID:       app,
			OpenIDIndex: openIDIndex,
			OpenID:      g.bytes(),
			Scope:       "snsapi_login",
			CreatedAt:   at,
			UpdatedAt:   at,
			LastLoginAt: at,
		},
		NewUser: storage.User{
			ID:        g.id("usr"),
			Nickname:  "微信用户",
			AvatarURL: "https://thirdwx.qlogo.cn/mmopen/abc/132",
			Sex:       1,
			Province:  "Guangdong",
			City:      "Shenzhen",
			Country:   "CN",
			Phone:     g.bytes(),
			CreatedAt: at,
			UpdatedAt: at,
		},
	}
	if unionIDIndex != nil {
		r.Identity.UnionIDIndex = unionIDIndex
		r.Identity.UnionID = g.bytes()
	}
	return r
}

// user creates a new user with one identity and returns them.
func (g *gen) user(t testing.TB, s storage.Store) (storage.User, storage.Identity) {
	t.Helper()
	r := link(t, s, g.request("wxuser", g.bytes(), nil))
	return r.User, r.Identity
}

// session is a new session of the user, not yet stored.
func (g *gen) session(u storage.User, idn storage.Identity) storage.Session {
	at := g.time()
	tok := sha256.Sum256(fmt.Appendf(nil, "token %d", g.next()))
	return storage.Session{
		ID:         g.id("ses"),
		TokenHash:  tok[:],
		UserID:     u.ID,
		IdentityID: idn.ID,
		App:        "web",
		CreatedAt:  at,
		LastSeenAt: at,
		ExpiresAt:  at.Add(7 * 24 * time.Hour),
		SigningKey: g.bytes(),
	}
}

// utc is how the contract says a time comes back: UTC, truncated to the
// microsecond.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func wantUser(u storage.User) storage.User {
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return u
}

func wantIdentity(i storage.Identity) storage.Identity {
	i.SessionKeyAt, i.AccessExpiresAt, i.RefreshExpiresAt = utc(i.SessionKeyAt), utc(i.AccessExpiresAt), utc(i.RefreshExpiresAt)
	i.CreatedAt, i.UpdatedAt, i.LastLoginAt = utc(i.CreatedAt), utc(i.UpdatedAt), utc(i.LastLoginAt)
	return i
}

func wantSession(s storage.Session) storage.Session {
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = utc(s.CreatedAt), utc(s.LastSeenAt), utc(s.ExpiresAt)
	return s
}

func wantEvent(e storage.Event) storage.Event {
	e.Time = utc(e.Time)
	e.Detail = maps.Clone(e.Detail)
	return e
}

// check reports every field where got differs from want under the
// contract: times must be equal instants and in UTC, byte slices and maps
// equal with nil and empty alike.
func check(t testing.TB, what string, got, want any) {
	t.Helper()
	for _, d := range diff("", reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Errorf("%s: %s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diff(path string, got, want reflect.Value) []string {
	if got.Type() != want.Type() {
		return []string{fmt.Sprintf("%s: type %v, want %v", path, got.Type(), want.Type())}
	}
	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		switch {
		case !g.Equal(w):
			return []string{fmt.Sprintf("%s = %v, want %v", path, g, w)}
		case g.Location() != time.UTC:
			return []string{fmt.Sprintf("%s = %v: not in UTC", path, g)}
		}
		return nil
	}
	switch got.Kind() {
	case reflect.Struct:
		var out []string
		for i := range got.NumField() {
			out = append(out, diff(path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))...)
		}
		return out
	case reflect.Slice:
		if got.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				return []string{fmt.Sprintf("%s = %s, want %s", path, short(got.Bytes()), short(want.Bytes()))}
			}
			return nil
		}
		if got.Len() != want.Len() {
			return []string{fmt.Sprintf("%s: %d elements, want %d", path, got.Len(), want.Len())}
		}
		var out []string
		for i := range got.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))...)
		}
		return out
	case reflect.Map:
		if got.Len() != want.Len() {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		for _, k := range want.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() || !g.Equal(want.MapIndex(k)) {
				return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
			}
		}
		return nil
	default:
		if !got.Equal(want) {
			return []string{fmt.Sprintf("%s = %s, want %s", path, shortAny(got), shortAny(want))}
		}
		return nil
	}
}

func short(b []byte) string {
	if len(b) > 24 {
		return fmt.Sprintf("%x...(%d bytes)", b[:24], len(b))
	}
	return fmt.Sprintf("%x", b)
}

func shortAny(v reflect.Value) string {
	s := fmt.Sprintf("%q", fmt.Sprint(v.Interface()))
	if len(s) > 80 {
		s = s[:80] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// must returns v, failing the test if err is not nil:
// must(s.GetUser(ctx, id))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// noErr fails the test if err is not nil.
func noErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// isErr fails the test unless err wraps target.
func isErr(t testing.TB, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

func link(t testing.TB, s storage.Store, req storage.LinkRequest) storage.LinkResult {
	t.Helper()
	r, err := s.LinkIdentity(t.Context(), req)
	if err != nil {
		t.Fatalf("LinkIdentity(%s): %v", req.Identity.ID, err)
	}
	return r
}

// together runs fn(0..n-1) on n goroutines released at the same moment
// and waits for them all.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// eventually polls cond until it holds, failing the test if it does not
// within timeout. It is how the suite waits for expiry: never a bare sleep
// that assumes how long something takes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// promptly runs call and fails the test if it does not return within
// hangAfter.
func promptly(t testing.TB, what string, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangAfter):
		t.Fatalf("%s: no answer after %v", what, hangAfter)
		return nil
	}
}
