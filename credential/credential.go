// Package credential is the "central control" (中控) of app access tokens
// that WeChat recommends: one component owns every app's access token for
// the whole cluster, so instances never invalidate each other's tokens
// (errcode 40001) or exhaust the daily quota of cgi-bin/token.
//
// Tokens are cached in the shared ephemeral store (storage.KV: memory for
// one instance, Redis for many), sealed when a Sealer is given. A refresh is
// guarded twice: in-process by a single flight per app, and across
// instances by a lease in the KV, so one fetch serves the whole cluster and
// the others wait for its result. A token WeChat refuses is refreshed only
// if the cache still holds that very token (compare-and-refresh), so a
// burst of failures causes one refresh, not a storm.
package credential

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// Mode is how tokens are fetched from WeChat.
type Mode string

const (
	// ModeStable uses cgi-bin/stable_token: WeChat returns the same token
	// while it is valid, so even a stray second fetcher does no harm. The
	// default.
	ModeStable Mode = "stable"
	// ModeClassic uses cgi-bin/token: every fetch invalidates the previous
	// token after five minutes and counts against a quota of 2000 a day, so
	// the cluster lease is what keeps instances from fighting.
	ModeClassic Mode = "classic"
)

// Sealer encrypts cached tokens at rest (seal.Keyring satisfies it).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// ClientFunc returns the current WeChat client of an app. It is called for
// every fetch, so a rotated AppSecret takes effect at the next one.
type ClientFunc func(appID string) (*wechat.Client, error)

// Options configure a Manager.
type Options struct {
	// KV is the shared cache and lease store. Required.
	KV storage.KV
	// Clients gives each app's WeChat client. Required.
	Clients ClientFunc
	// Mode defaults to ModeStable.
	Mode Mode
	// Sealer, if set, seals tokens in the KV. Required for a shared KV
	// such as Redis: tokens must not sit there in plain text.
	Sealer Sealer
	// RefreshBefore is how long before expiry a token is replaced; default
	// 5 minutes (stable_token only rotates in its last five minutes).
	RefreshBefore time.Duration
	// LeaseTTL bounds how long one instance may hold the fetch lease;
	// default 15 s.
	LeaseTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives refresh events (never a token); default discards.
	Logger *slog.Logger
	// OnFetch, if set, is called after every fetch from WeChat with the
	// app, mode and outcome (for metrics).
	OnFetch func(appID string, mode Mode, err error)
	// ReloadSecret, if set, is called when WeChat refuses the AppSecret
	// (40125): it re-reads the app's secret and reports whether a new one
	// was loaded, in which case the fetch is tried once more.
	ReloadSecret func(appID string) bool
}

// Manager hands out app access tokens. It is safe for concurrent use.
type Manager struct {
	opt   Options
	owner []byte // this instance's lease identity

	mu      sync.Mutex
	flights map[string]*flight
	backoff map[string]backoffState
}

// flight is one in-process refresh that concurrent callers share.
type flight struct {
	done chan struct{}
	tok  cached
	err  error
}

type backoffState struct {
	until time.Time
	delay time.Duration
	err   error
}

// cached is what the KV holds for an app (sealed when a Sealer is set).
type cached struct {
	Token     string    `json:"t"`
	ExpiresAt time.Time `json:"e"`
	FetchedAt time.Time `json:"f"`
}

// ErrUnknownApp is returned for an app the Clients function does not know.
var ErrUnknownApp = errors.New("credential: unknown app")

// New returns a Manager.
func New(opt Options) (*Manager, error) {
	if opt.KV == nil || opt.Clients == nil {
		return nil, errors.New("credential: Options.KV and Options.Clients are required")
	}
	switch opt.Mode {
	case "":
		opt.Mode = ModeStable
	case ModeStable, ModeClassic:
	default:
		return nil, fmt.Errorf("credential: unknown mode %q (want stable or classic)", opt.Mode)
	}
	if opt.RefreshBefore <= 0 {
		opt.RefreshBefore = 5 * time.Minute
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = 15 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	owner := make([]byte, 16)
	if _, err := rand.Read(owner); err != nil {
		return nil, err
	}
	return &Manager{
		opt:     opt,
		owner:   []byte(hex.EncodeToString(owner)),
		flights: map[string]*flight{},
		backoff: map[string]backoffState{},
	}, nil
}

// Mode reports how the manager fetches tokens.
func (m *Manager) Mode() Mode { return m.opt.Mode }

// Token returns a valid access token for the app and how long it stays
// valid, fetching one if the cache holds none or it is about to expire.
func (m *Manager) Token(ctx context.Context, appID string) (wechat.Token, time.Duration, error) {
	c, err := m.load(ctx, appID)
	if err != nil {
		return wechat.Token{}, 0, err
	}
	now := m.opt.Now()
	if c.Token != "" && now.Before(c.ExpiresAt.Add(-m.opt.RefreshBefore)) {
		return wechat.NewToken(c.Token), c.ExpiresAt.Sub(now), nil
	}
	// Missing or in its last minutes: refresh. A token that is merely
	// near expiry still works, so if the refresh fails it is served.
	fresh, err := m.refresh(ctx, appID, c.Token, false)
	if err != nil {
		if c.Token != "" && now.Before(c.ExpiresAt) {
			m.opt.Logger.Warn("access token refresh failed; serving the current token until it expires",
				"app", appID, "err", err)
			return wechat.NewToken(c.Token), c.ExpiresAt.Sub(now), nil
		}
		return wechat.Token{}, 0, err
	}
	return wechat.NewToken(fresh.Token), fresh.ExpiresAt.Sub(m.opt.Now()), nil
}

// Invalidate reports that WeChat refused failed (40001, 40014 or 42001) and
// returns a token to retry with. If the cache already holds a different
// token, another caller refreshed it and that one is returned; otherwise
// one refresh is made for everyone.
func (m *Manager) Invalidate(ctx context.Context, appID string, failed wechat.Token) (wechat.Token, error) {
	fresh, err := m.refresh(ctx, appID, failed.Reveal(), true)
	if err != nil {
		return wechat.Token{}, err
	}
	return wechat.NewToken(fresh.Token), nil
}

// Do calls fn with the app's token. If fn fails because WeChat refused the
// token (wechat.StaleToken), the token is invalidated and fn is called once
// more with a fresh one. fn must be safe to repeat in that case: WeChat
// refuses a stale token before it looks at the rest of the call, so a
// single-use code in it has not been consumed.
func (m *Manager) Do(ctx context.Context, appID string, fn func(wechat.Token) error) error {
	tok, _, err := m.Token(ctx, appID)
	if err != nil {
		return err
	}
	err = fn(tok)
	if !wechat.StaleToken(err) {
		return err
	}
	m.opt.Logger.Info("WeChat refused the app access token; refreshing", "app", appID, "err", err)
	tok, err = m.Invalidate(ctx, appID, tok)
	if err != nil {
		return err
	}
	return fn(tok)
}

// refresh brings a token newer than `stale` into the cache. Callers in this
// process share one flight per app.
func (m *Manager) refresh(ctx context.Context, appID, stale string, refused bool) (cached, error) {
	m.mu.Lock()
	if b, ok := m.backoff[appID]; ok && m.opt.Now().Before(b.until) {
		m.mu.Unlock()
		return cached{}, fmt.Errorf("credential: %s: not retrying before %s after: %w", appID, b.until.Format(time.TimeOnly), b.err)
	}
	// Callers replacing the same token the same way share a flight; a
	// caller reporting a refused token never joins a flight that only
	// checks expiry, which could hand back the very token WeChat refused.
	key := fmt.Sprintf("%s\x00%t\x00%s", appID, refused, stale)
	f, ok := m.flights[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		m.flights[key] = f
		go m.runFlight(key, appID, stale, refused, f)
	}
	m.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return cached{}, ctx.Err()
	}
}

// runFlight does one refresh detached from any single caller's context, so
// a caller giving up does not abort the fetch others wait for. Its own
// deadline bounds it.
func (m *Manager) runFlight(key, appID, stale string, refused bool, f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), m.opt.LeaseTTL)
	defer cancel()
	f.tok, f.err = m.clusterRefresh(ctx, appID, stale, refused)
	m.mu.Lock()
	delete(m.flights, key)
	if f.err != nil && !errors.Is(f.err, storage.ErrUnavailable) {
		b := m.backoff[appID]
		b.delay = min(max(2*b.delay, time.Second), time.Minute)
		b.until, b.err = m.opt.Now().Add(b.delay), f.err
		m.backoff[appID] = b
	} else if f.err == nil {
		delete(m.backoff, appID)
	}
	m.mu.Unlock()
	close(f.done)
}

// clusterRefresh takes the cluster-wide lease for the app, fetches, and
// publishes; or, when another instance holds the lease, waits for the token
// it publishes.
func (m *Manager) clusterRefresh(ctx context.Context, appID, stale string, refused bool) (cached, error) {
	leaseKey := "wxgate:token-lease:" + appID
	wait := 20 * time.Millisecond
	for {
		// Someone may have refreshed already.
		c, err := m.load(ctx, appID)
		if err != nil {
			return cached{}, err
		}
		if m.fresher(c, stale, refused) {
			return c, nil
		}
		got, err := m.opt.KV.SetNX(ctx, leaseKey, m.owner, m.opt.LeaseTTL)
		if err != nil {
			return cached{}, err
		}
		if got {
			defer m.opt.KV.CompareAndDelete(context.WithoutCancel(ctx), leaseKey, m.owner)
			// Check once more under the lease: the holder before us may
			// have published between our load and SetNX.
			if c, err = m.load(ctx, appID); err != nil {
				return cached{}, err
			}
			if m.fresher(c, stale, refused) {
				return c, nil
			}
			return m.fetch(ctx, appID, stale, refused)
		}
		select {
		case <-ctx.Done():
			return cached{}, fmt.Errorf("credential: %s: waiting for another instance's refresh: %w", appID, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// fresher reports whether c is a usable token newer than stale.
func (m *Manager) fresher(c cached, stale string, refused bool) bool {
	if c.Token == "" || !m.opt.Now().Before(c.ExpiresAt) {
		return false
	}
	if c.Token != stale {
		return true
	}
	// Same token as the caller saw: fine unless it was refused or is
	// about to expire.
	return !refused && m.opt.Now().Before(c.ExpiresAt.Add(-m.opt.RefreshBefore))
}

// fetch asks WeChat for a token and publishes it. Only the lease holder
// calls it.
func (m *Manager) fetch(ctx context.Context, appID, stale string, refused bool) (cached, error) {
	client, err := m.opt.Clients(appID)
	if err != nil {
		return cached{}, err
	}
	t, err := m.fetchOnce(ctx, client, stale, refused)
	if errors.Is(err, wechat.ErrInvalidAppSecret) && m.opt.ReloadSecret != nil && m.opt.ReloadSecret(appID) {
		m.opt.Logger.Warn("WeChat refused the AppSecret; a new one was read, fetching again", "app", appID)
		if client, err = m.opt.Clients(appID); err == nil {
			t, err = m.fetchOnce(ctx, client, stale, refused)
		}
	}
	if m.opt.OnFetch != nil {
		m.opt.OnFetch(appID, m.opt.Mode, err)
	}
	if err != nil {
		m.opt.Logger.Error("fetching the app access token from WeChat failed", "app", appID, "mode", m.opt.Mode, "err", err)
		return cached{}, fmt.Errorf("credential: %s: %w", appID, err)
	}
	now := m.opt.Now()
	c := cached{Token: t.AccessToken.Reveal(), ExpiresAt: now.Add(t.ExpiresIn), FetchedAt: now}
	if err := m.store(ctx, appID, c); err != nil {
		return cached{}, err
	}
	m.opt.Logger.Info("fetched a new app access token", "app", appID, "mode", m.opt.Mode, "expires_in", t.ExpiresIn.String())
	return c, nil
}

// fetchOnce asks WeChat for a token, retrying while WeChat is busy or
// unreachable: a classic fetch that did reach WeChat only rotates the token
// once more, and the lease keeps every other instance out meanwhile.
func (m *Manager) fetchOnce(ctx context.Context, client *wechat.Client, stale string, refused bool) (*wechat.AppToken, error) {
	var t *wechat.AppToken
	err := wechat.Retry(ctx, 3, func() error {
		var err error
		switch m.opt.Mode {
		case ModeClassic:
			t, err = client.AccessToken(ctx)
		default:
			t, err = client.StableAccessToken(ctx, false)
			// A refused stable token that WeChat hands back unchanged was
			// invalidated by a force refresh elsewhere: force one too.
			if err == nil && refused && t.AccessToken.Reveal() == stale {
				t, err = client.StableAccessToken(ctx, true)
			}
		}
		return err
	})
	return t, err
}

func (m *Manager) cacheKey(appID string) string { return "wxgate:token:" + appID }

func (m *Manager) load(ctx context.Context, appID string) (cached, error) {
	b, err := m.opt.KV.Get(ctx, m.cacheKey(appID))
	if errors.Is(err, storage.ErrNotFound) {
		return cached{}, nil
	}
	if err != nil {
		return cached{}, fmt.Errorf("credential: reading the token cache: %w", err)
	}
	if m.opt.Sealer != nil {
		if b, err = m.opt.Sealer.Open(b, []byte(m.cacheKey(appID))); err != nil {
			// Unreadable (e.g. sealed under a retired key): treat as absent.
			m.opt.Logger.Warn("cached app access token cannot be opened; fetching a new one", "app", appID)
			return cached{}, nil
		}
	}
	var c cached
	if err := json.Unmarshal(b, &c); err != nil {
		return cached{}, nil
	}
	return c, nil
}

func (m *Manager) store(ctx context.Context, appID string, c cached) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if m.opt.Sealer != nil {
		if b, err = m.opt.Sealer.Seal(b, []byte(m.cacheKey(appID))); err != nil {
			return err
		}
	}
	ttl := c.ExpiresAt.Sub(c.FetchedAt)
	if ttl <= 0 {
		ttl = time.Second
	}
	if err := m.opt.KV.Set(ctx, m.cacheKey(appID), b, ttl); err != nil {
		return fmt.Errorf("credential: writing the token cache: %w", err)
	}
	return nil
}
