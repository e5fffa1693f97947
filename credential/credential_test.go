package credential

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/wechat"
)

// clock is shared by the emulator and the managers, so both agree on when a
// token expires.
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

type fixture struct {
	emu    *emulator.Emulator
	app    emulator.App
	clk    *clock
	kv     storage.KV
	url    string
	secret string
	mu     sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)}, kv: memory.NewKV()}
	var err error
	f.emu, err = emulator.New(emulator.Options{Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.emu)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.app, err = f.emu.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	f.secret = f.app.Secret
	return f
}

func (f *fixture) clients(appID string) (*wechat.Client, error) {
	if appID != f.app.AppID {
		return nil, ErrUnknownApp
	}
	f.mu.Lock()
	secret := f.secret
	f.mu.Unlock()
	return wechat.New(wechat.Config{AppID: appID, Secret: wechat.NewSecret(secret), APIBase: f.url})
}

func (f *fixture) manager(t *testing.T, mode Mode, sealer Sealer) *Manager {
	t.Helper()
	m, err := New(Options{KV: f.kv, Clients: f.clients, Mode: mode, Sealer: sealer, Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) calls(path string) int { return int(f.emu.Stats().Calls[path]) }

var pathOf = map[Mode]string{ModeStable: "/cgi-bin/stable_token", ModeClassic: "/cgi-bin/token"}

// tokens calls Token from n goroutines on each manager and returns the
// distinct tokens they got.
func tokens(t *testing.T, n int, appID string, ms ...*Manager) map[string]int {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, m := range ms {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, _, err := m.Token(context.Background(), appID)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[tok.Reveal()]++
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return seen
}

func TestOneFetchForABurst(t *testing.T) {
	for _, mode := range []Mode{ModeStable, ModeClassic} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t)
			// Four "instances" sharing one cache, as gateways sharing Redis.
			ms := []*Manager{f.manager(t, mode, nil), f.manager(t, mode, nil), f.manager(t, mode, nil), f.manager(t, mode, nil)}
			seen := tokens(t, 50, f.app.AppID, ms...)
			if len(seen) != 1 {
				t.Fatalf("a burst got %d different tokens", len(seen))
			}
			if n := f.calls(pathOf[mode]); n != 1 {
				t.Fatalf("%s called %d times for one burst, want 1", pathOf[mode], n)
			}
			// The cached token is served without WeChat.
			tokens(t, 10, f.app.AppID, ms...)
			if n := f.calls(pathOf[mode]); n != 1 {
				t.Fatalf("%s called %d times after the cache was warm", pathOf[mode], n)
			}
		})
	}
}

func TestProactiveRefreshBeforeExpiry(t *testing.T) {
	for _, mode := range []Mode{ModeStable, ModeClassic} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t)
			m := f.manager(t, mode, nil)
			ctx := context.Background()
			first, life, err := m.Token(ctx, f.app.AppID)
			if err != nil {
				t.Fatal(err)
			}
			// Not yet in the refresh window: same token, no fetch.
			f.clk.advance(life - 6*time.Minute)
			tok, _, _ := m.Token(ctx, f.app.AppID)
			if !tok.Equal(first) || f.calls(pathOf[mode]) != 1 {
				t.Fatalf("refreshed too early (calls %d)", f.calls(pathOf[mode]))
			}
			// Four minutes before expiry: one refresh, a new token that
			// WeChat accepts, and the old one still works meanwhile.
			f.clk.advance(2 * time.Minute)
			tok, _, err = m.Token(ctx, f.app.AppID)
			if err != nil || tok.Equal(first) || f.calls(pathOf[mode]) != 2 {
				t.Fatalf("no refresh in the window: %v, calls %d", err, f.calls(pathOf[mode]))
			}
			c, _ := f.clients(f.app.AppID)
			for _, tk := range []wechat.Token{first, tok} {
				if _, err := c.GetUserPhoneNumber(ctx, tk, "not-a-code", ""); !errors.Is(err, wechat.ErrInvalidCode) {
					t.Errorf("token refused during the overlap: %v", err)
				}
			}
		})
	}
}

func TestInvalidateIsCompareAndRefresh(t *testing.T) {
	f := newFixture(t)
	ms := []*Manager{f.manager(t, ModeClassic, nil), f.manager(t, ModeClassic, nil)}
	ctx := context.Background()
	old, _, err := ms[0].Token(ctx, f.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	// 100 callers on two instances all report the same refused token.
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := map[string]bool{}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := ms[i%2].Invalidate(ctx, f.app.AppID, old)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			fresh[tok.Reveal()] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(fresh) != 1 || fresh[old.Reveal()] {
		t.Fatalf("invalidation gave %d tokens (old among them: %v)", len(fresh), fresh[old.Reveal()])
	}
	if n := f.calls("/cgi-bin/token"); n != 2 {
		t.Fatalf("cgi-bin/token calls = %d, want 2 (first fetch, one refresh)", n)
	}
	// A late report of the same old token changes nothing.
	if _, err := ms[1].Invalidate(ctx, f.app.AppID, old); err != nil || f.calls("/cgi-bin/token") != 2 {
		t.Fatalf("late invalidation refreshed again: %v, calls %d", err, f.calls("/cgi-bin/token"))
	}
}

func TestDoRetriesOnceOnAStaleToken(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, ModeClassic, nil)
	ctx := context.Background()
	var used []string
	err := m.Do(ctx, f.app.AppID, func(tok wechat.Token) error {
		used = append(used, tok.Reveal())
		if len(used) == 1 {
			return &wechat.Error{Code: 40001}
		}
		return nil
	})
	if err != nil || len(used) != 2 || used[0] == used[1] {
		t.Fatalf("Do = %v after %d calls", err, len(used))
	}
	// A second refusal is returned, not retried forever.
	calls := 0
	err = m.Do(ctx, f.app.AppID, func(wechat.Token) error { calls++; return &wechat.Error{Code: 42001} })
	if !errors.Is(err, wechat.ErrAccessTokenExpired) || calls != 2 {
		t.Fatalf("Do = %v after %d calls", err, calls)
	}
	// Other errors are returned at once.
	calls = 0
	err = m.Do(ctx, f.app.AppID, func(wechat.Token) error { calls++; return wechat.ErrInvalidCode })
	if !errors.Is(err, wechat.ErrInvalidCode) || calls != 1 {
		t.Fatalf("Do = %v after %d calls", err, calls)
	}
}

func TestStableRefusedTokenForcesRefresh(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, ModeStable, nil)
	ctx := context.Background()
	old, _, err := m.Token(ctx, f.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	// WeChat refused the token although stable_token would hand it back
	// (someone force-refreshed elsewhere in the real world): force one.
	tok, err := m.Invalidate(ctx, f.app.AppID, old)
	if err != nil || tok.Equal(old) {
		t.Fatalf("Invalidate = %v (same token: %v)", err, tok.Equal(old))
	}
	if n := f.calls("/cgi-bin/stable_token"); n != 3 {
		t.Fatalf("stable_token calls = %d, want 3 (fetch, normal re-check, force)", n)
	}
}

func TestFetchFailureBacksOff(t *testing.T) {
	f := newFixture(t)
	f.mu.Lock()
	f.secret = strings.Repeat("0", 32)
	f.mu.Unlock()
	m := f.manager(t, ModeClassic, nil)
	ctx := context.Background()
	_, _, err := m.Token(ctx, f.app.AppID)
	if !errors.Is(err, wechat.ErrInvalidAppSecret) {
		t.Fatalf("Token = %v, want 40125", err)
	}
	for range 20 {
		if _, _, err := m.Token(ctx, f.app.AppID); !errors.Is(err, wechat.ErrInvalidAppSecret) {
			t.Fatalf("Token during back-off = %v", err)
		}
	}
	if n := f.calls("/cgi-bin/token"); n != 1 {
		t.Fatalf("a wrong secret caused %d fetches, want 1 (back-off)", n)
	}
	// The secret is fixed (rotation); after the back-off the next call works.
	f.mu.Lock()
	f.secret = f.app.Secret
	f.mu.Unlock()
	f.clk.advance(2 * time.Second)
	if _, _, err := m.Token(ctx, f.app.AppID); err != nil {
		t.Fatalf("Token after back-off: %v", err)
	}
}

func TestNearExpiryFailureServesCurrentToken(t *testing.T) {
	f := newFixture(t)
	m := f.manager(t, ModeClassic, nil)
	ctx := context.Background()
	first, life, err := m.Token(ctx, f.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.advance(life - 2*time.Minute)
	// WeChat stays busy through every retry.
	if err := f.emu.SetFault(emulator.Fault{Path: "/cgi-bin/token", ErrCode: -1, Count: 10}); err != nil {
		t.Fatal(err)
	}
	tok, left, err := m.Token(ctx, f.app.AppID)
	if err != nil || !tok.Equal(first) || left > 2*time.Minute {
		t.Fatalf("Token = %v, %v; want the current token while it lasts", left, err)
	}
	if n := f.calls("/cgi-bin/token"); n != 4 {
		t.Errorf("cgi-bin/token calls = %d, want 4 (the first fetch, then three tries)", n)
	}
	// A single busy answer is retried away.
	f.emu.ClearFaults()
	f.clk.advance(2 * time.Second) // past the back-off
	if err := f.emu.SetFault(emulator.Fault{Path: "/cgi-bin/token", ErrCode: -1, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if tok, _, err = m.Token(ctx, f.app.AppID); err != nil || tok.Equal(first) {
		t.Fatalf("Token after one busy answer = %v (same token: %v)", err, tok.Equal(first))
	}
}

func TestTokensAreSealedInTheCache(t *testing.T) {
	f := newFixture(t)
	kr, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	m := f.manager(t, ModeStable, kr)
	ctx := context.Background()
	tok, _, err := m.Token(ctx, f.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.kv.Get(ctx, "wxgate:token:"+f.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tok.Reveal()) {
		t.Fatal("the cached token is in plain text")
	}
	// Another instance with the same keyring reads it without fetching.
	if tok2, _, err := f.manager(t, ModeStable, kr).Token(ctx, f.app.AppID); err != nil || !tok2.Equal(tok) || f.calls("/cgi-bin/stable_token") != 1 {
		t.Fatalf("second instance: %v, calls %d", err, f.calls("/cgi-bin/stable_token"))
	}
}

func TestNewValidates(t *testing.T) {
	f := newFixture(t)
	if _, err := New(Options{Clients: f.clients}); err == nil {
		t.Error("New without KV")
	}
	if _, err := New(Options{KV: f.kv}); err == nil {
		t.Error("New without Clients")
	}
	if _, err := New(Options{KV: f.kv, Clients: f.clients, Mode: "weekly"}); err == nil {
		t.Error("New with an unknown mode")
	}
	m := f.manager(t, "", nil)
	if m.Mode() != ModeStable {
		t.Errorf("default mode = %s", m.Mode())
	}
	if _, _, err := m.Token(context.Background(), "wx0000000000000000"); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("unknown app: %v", err)
	}
}
