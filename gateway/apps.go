package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/credential"
	"github.com/wxgate/wxgate/wechat"
)

// app is a configured WeChat app and its current client. The client is
// swapped whole when the AppSecret is re-read, so calls in flight keep the
// one they started with.
type app struct {
	cfg    *config.App
	client atomic.Pointer[wechat.Client]
	// secret is the AppSecret the client was built with; lastReload is
	// when a refused secret last made the gateway re-read it (unix ns).
	secret     atomic.Pointer[wechat.Secret]
	lastReload atomic.Int64
}

func (a *app) Name() string           { return a.cfg.Name }
func (a *app) AppID() string          { return a.cfg.AppID }
func (a *app) Type() wechat.AppType   { return a.cfg.Type }
func (a *app) Client() *wechat.Client { return a.client.Load() }

// apps indexes the configured apps by name and AppID.
type apps struct {
	byName  map[string]*app
	byAppID map[string]*app
	order   []*app
}

// newApps builds a client for every configured app with its secret.
func newApps(cfg *config.Config, lookupEnv func(string) (string, bool), hc *http.Client) (*apps, error) {
	as := &apps{byName: map[string]*app{}, byAppID: map[string]*app{}}
	for i := range cfg.Apps {
		a := &app{cfg: &cfg.Apps[i]}
		secret, err := a.cfg.LoadSecret(lookupEnv)
		if err != nil {
			return nil, fmt.Errorf("gateway: app %s: %w", a.cfg.Name, err)
		}
		c, err := newClient(cfg, a.cfg.AppID, secret, hc)
		if err != nil {
			return nil, err
		}
		a.client.Store(c)
		a.secret.Store(&secret)
		as.byName[a.cfg.Name] = a
		as.byAppID[a.cfg.AppID] = a
		as.order = append(as.order, a)
	}
	return as, nil
}

func newClient(cfg *config.Config, appID string, secret wechat.Secret, hc *http.Client) (*wechat.Client, error) {
	return wechat.New(wechat.Config{
		AppID:      appID,
		Secret:     secret,
		APIBase:    cfg.WeChat.APIBase,
		OpenBase:   cfg.WeChat.OpenBase,
		HTTPClient: hc,
	})
}

// reloadSecrets re-reads every app's secret and swaps in new clients. An
// app whose secret cannot be read keeps its current client; all failures
// are reported together.
func (as *apps) reloadSecrets(cfg *config.Config, lookupEnv func(string) (string, bool), hc *http.Client) error {
	var errs []error
	for _, a := range as.order {
		secret, err := a.cfg.LoadSecret(lookupEnv)
		if err != nil {
			errs = append(errs, fmt.Errorf("app %s: %w", a.cfg.Name, err))
			continue
		}
		c, err := newClient(cfg, a.cfg.AppID, secret, hc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.client.Store(c)
		a.secret.Store(&secret)
	}
	return errors.Join(errs...)
}

// reloadSecret re-reads one app's AppSecret after WeChat refused it
// (40125): the operator has reset it in the WeChat console and updated the
// environment or secret file. It reads at most once a second per app (a
// burst of refusals reads once), and reports whether a different secret was
// loaded.
func (as *apps) reloadSecret(a *app, now time.Time, cfg *config.Config, lookupEnv func(string) (string, bool), hc *http.Client) bool {
	at := now.UnixNano()
	last := a.lastReload.Load()
	if last != 0 && at-last < int64(time.Second) || !a.lastReload.CompareAndSwap(last, at) {
		return false
	}
	secret, err := a.cfg.LoadSecret(lookupEnv)
	if err != nil {
		return false
	}
	if cur := a.secret.Load(); cur != nil && cur.Equal(secret) {
		return false
	}
	c, err := newClient(cfg, a.cfg.AppID, secret, hc)
	if err != nil {
		return false
	}
	a.client.Store(c)
	a.secret.Store(&secret)
	return true
}

// clientFunc serves the credential manager.
func (as *apps) clientFunc() credential.ClientFunc {
	return func(appID string) (*wechat.Client, error) {
		a, ok := as.byAppID[appID]
		if !ok {
			return nil, credential.ErrUnknownApp
		}
		return a.Client(), nil
	}
}

// lookup resolves the "app" field of a request to an app of the wanted type,
// or an error that tells the caller what went wrong.
func (as *apps) lookup(name string, want ...wechat.AppType) (*app, error) {
	if name == "" {
		return nil, errMissingApp.Msg("set \"app\" to the name of a configured app")
	}
	a, ok := as.byName[name]
	if !ok {
		return nil, errUnknownApp.Msg("no app named %q is configured", truncate(name, 64))
	}
	for _, t := range want {
		if a.Type() == t {
			return a, nil
		}
	}
	return nil, errWrongAppType.Msg("app %q is a %s app; this endpoint needs a %s app", name, a.Type(), joinTypes(want))
}

func joinTypes(ts []wechat.AppType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += " or "
		}
		s += string(t)
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
