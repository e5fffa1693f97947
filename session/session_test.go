package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newSession stores a session for a new user and returns its token.
func newSession(t testing.TB, st storage.Store, now time.Time, life time.Duration) string {
	t.Helper()
	ctx := context.Background()
	uid := "usr_" + NewToken()[5:15]
	_, err := st.LinkIdentity(ctx, storage.LinkRequest{
		Identity: storage.Identity{ID: "idn_" + uid, AppID: "wxA", OpenIDIndex: []byte(uid), CreatedAt: now, UpdatedAt: now},
		NewUser:  storage.User{ID: uid, CreatedAt: now, UpdatedAt: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := NewToken()
	err = st.CreateSession(ctx, storage.Session{ID: "ses_" + uid, TokenHash: HashToken(tok), UserID: uid, IdentityID: "idn_" + uid,
		App: "mp", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(life)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenShape(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok := NewToken()
		if !WellFormed(tok) || seen[tok] || len(tok) != 48 {
			t.Fatalf("token %q", tok)
		}
		seen[tok] = true
	}
	tok := NewToken()
	for _, bad := range []string{"", "wxgs_", tok[:47], tok + "A", "wxgx_" + tok[5:], tok[:20] + "+" + tok[21:], tok[:20] + "=" + tok[21:], strings.ToUpper(tok[:5]) + tok[5:]} {
		if WellFormed(bad) {
			t.Errorf("WellFormed(%q) = true", bad)
		}
	}
	if len(HashToken(tok)) != 32 || string(HashToken(tok)) == tok {
		t.Error("HashToken")
	}
}

func TestVerify(t *testing.T) {
	st := memory.New()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	v := NewVerifier(Options{Store: st, IdleTimeout: time.Hour, Now: clk.now})
	ctx := context.Background()
	tok := newSession(t, st, clk.now(), 3*time.Hour)

	s, err := v.Verify(ctx, tok)
	if err != nil || !strings.HasPrefix(s.UserID, "usr_") {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
	if _, err := v.Verify(ctx, ""); !errors.Is(err, ErrMissing) {
		t.Errorf("empty token: %v", err)
	}
	if _, err := v.Verify(ctx, NewToken()); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := v.Verify(ctx, "garbage"); !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage token: %v", err)
	}
	// Activity is recorded at most once a minute.
	clk.advance(30 * time.Second)
	v.Verify(ctx, tok)
	got, _ := st.GetSessionByTokenHash(ctx, HashToken(tok))
	if !got.LastSeenAt.Equal(s.LastSeenAt) {
		t.Error("activity recorded within the minute")
	}
	clk.advance(2 * time.Minute)
	v.Verify(ctx, tok)
	got, _ = st.GetSessionByTokenHash(ctx, HashToken(tok))
	if !got.LastSeenAt.Equal(clk.now()) {
		t.Errorf("LastSeenAt = %v, want %v", got.LastSeenAt, clk.now())
	}
	// Idle past the timeout: refused and deleted.
	clk.advance(61 * time.Minute)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("idle session: %v", err)
	}
	if _, err := st.GetSessionByTokenHash(ctx, HashToken(tok)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("idle session not deleted: %v", err)
	}
	// Absolute expiry, however active.
	tok = newSession(t, st, clk.now(), 90*time.Minute)
	for range 3 {
		clk.advance(30 * time.Minute)
		_, err = v.Verify(ctx, tok)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("session past its absolute expiry: %v", err)
	}
}

func TestCacheTTL(t *testing.T) {
	st := memory.New()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	v := NewVerifier(Options{Store: st, CacheTTL: 2 * time.Second, Now: clk.now})
	ctx := context.Background()
	tok := newSession(t, st, clk.now(), time.Hour)
	s, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	// Revoked elsewhere: the cache serves it until its TTL, then not.
	st.DeleteSession(ctx, s.ID)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("cached session refused within the TTL: %v", err)
	}
	clk.advance(3 * time.Second)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("revoked session accepted after the TTL: %v", err)
	}
	// Forget drops it at once.
	tok = newSession(t, st, clk.now(), time.Hour)
	s, _ = v.Verify(ctx, tok)
	st.DeleteSession(ctx, s.ID)
	v.Forget(tok)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("forgotten session accepted: %v", err)
	}
	// The cache never outlives the session's own expiry.
	tok = newSession(t, st, clk.now(), time.Second)
	v.Verify(ctx, tok)
	clk.advance(1500 * time.Millisecond)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("cached session accepted past its expiry: %v", err)
	}
}

type downStore struct{ storage.SessionStore }

func (downStore) GetSessionByTokenHash(context.Context, []byte) (storage.Session, error) {
	return storage.Session{}, storage.ErrUnavailable
}

func TestMiddleware(t *testing.T) {
	st := memory.New()
	v := NewVerifier(Options{Store: st})
	tok := newSession(t, st, time.Now(), time.Hour)
	var seen string
	h := v.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = UserID(r.Context())
		w.WriteHeader(204)
	}))
	tests := []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"bearer", []string{"Authorization", "Bearer " + tok}, 204, ""},
		{"cookie", []string{"Cookie", CookieName + "=" + tok}, 204, ""},
		{"none", nil, 401, "unauthenticated"},
		{"unknown", []string{"Authorization", "Bearer " + NewToken()}, 401, "session_expired"},
		{"basic", []string{"Authorization", "Basic " + tok}, 401, "unauthenticated"},
	}
	for _, tt := range tests {
		seen = ""
		r := httptest.NewRequest("GET", "/", nil)
		for i := 0; i < len(tt.header); i += 2 {
			r.Header.Set(tt.header[i], tt.header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("%s: status %d", tt.name, w.Code)
		}
		if tt.status == 204 && !strings.HasPrefix(seen, "usr_") {
			t.Errorf("%s: user not in context", tt.name)
		}
		if tt.status != 204 {
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] != tt.code || body["message"] == "" {
				t.Errorf("%s: body %s", tt.name, w.Body)
			}
		}
	}
	down := NewVerifier(Options{Store: downStore{st}}).Require(h)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	down.ServeHTTP(w, r)
	if w.Code != 503 {
		t.Errorf("storage down: %d", w.Code)
	}
	// Optional lets everyone through, with the user when there is one.
	opt := v.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := UserID(r.Context())
		w.Header().Set("X-User", id)
		if !ok {
			w.WriteHeader(202)
		}
	}))
	w = httptest.NewRecorder()
	opt.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 202 {
		t.Errorf("Optional without a session: %d", w.Code)
	}
	w = httptest.NewRecorder()
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	opt.ServeHTTP(w, r)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("X-User"), "usr_") {
		t.Errorf("Optional with a session: %d %q", w.Code, w.Header().Get("X-User"))
	}
}

func FuzzWellFormed(f *testing.F) {
	f.Add(NewToken())
	f.Add("wxgs_")
	f.Fuzz(func(t *testing.T, s string) {
		if WellFormed(s) && (len(s) != 48 || !strings.HasPrefix(s, "wxgs_")) {
			t.Fatalf("accepted %q", s)
		}
	})
}
