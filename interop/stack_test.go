package interop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"

	_ "github.com/wxgate/wxgate/storage/memory"
	_ "github.com/wxgate/wxgate/storage/postgres"
	_ "github.com/wxgate/wxgate/storage/sqlite"
)

// oidcClient is a relying party the stack registers in the gateway's
// configuration (oidc.clients).
type oidcClient struct {
	ID                     string   `yaml:"id"`
	Name                   string   `yaml:"name,omitempty"`
	Secret                 string   `yaml:"secret,omitempty"` // dev mode: a literal secret
	Public                 bool     `yaml:"public,omitempty"`
	RedirectURIs           []string `yaml:"redirect_uris"`
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris,omitempty"`
	Scopes                 []string `yaml:"scopes,omitempty"`
}

// stackOptions configure startStack.
type stackOptions struct {
	// Database is the gateway's database URL; "" means SQLite in a
	// temporary folder.
	Database string
	// Clients are the OpenID clients; they may be added after the stack
	// is listening (their redirect URIs need ports): see clients.
	Clients func(gatewayURL string) []oidcClient
	// People are the emulator's users (ids), besides anyone created later.
	People []string
	// NoRateLimits turns the gateway's login rate limits off (benchmarks).
	NoRateLimits bool
}

// stack is an emulator (WeChat) and a gateway with its OpenID provider,
// both serving on loopback ports.
type stack struct {
	emuURL, gwURL string
	emu           *emulator.Client
	web           emulator.App // the website app the gateway logs in with
	clients       []oidcClient
	gw            *gateway.Server
	logs          *syncBuffer // the gateway's logs
	emuLogs       *syncBuffer // the emulator's logs
	stop          func()
}

// startStack starts the emulator and the gateway; stop (also run at the
// end of tb, when tb is a test) shuts both down.
func startStack(tb testing.TB, opt stackOptions) (*stack, error) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "wxgate-interop-")
	if err != nil {
		return nil, err
	}
	s := &stack{logs: &syncBuffer{}, emuLogs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	emuLog := slog.New(slog.NewTextHandler(s.emuLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gwLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	emuLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		gwLn.Close()
		return nil, err
	}
	s.gwURL, s.emuURL = "http://"+gwLn.Addr().String(), "http://"+emuLn.Addr().String()

	fx := &emulator.Fixture{IdentitySalt: randHex(16), Apps: []emulator.AppSpec{{
		AppID: "wx" + randHex(8), Secret: randHex(16), Type: "website", Name: "wxgate interop",
		CallbackDomain: gwLn.Addr().String(), OpenAccount: "interop",
	}}}
	for _, p := range opt.People {
		fx.Users = append(fx.Users, emulator.UserSpec{UserID: p, Nickname: "Person " + p})
	}
	emu, err := emulator.New(emulator.Options{Fixture: fx, Logger: emuLog})
	if err != nil {
		return nil, errors.Join(err, gwLn.Close(), emuLn.Close())
	}
	s.web = emulator.App{AppID: fx.Apps[0].AppID, Secret: fx.Apps[0].Secret}
	if opt.Clients != nil {
		s.clients = opt.Clients(s.gwURL)
	}
	database := opt.Database
	if database == "" {
		database = "sqlite:" + filepath.Join(dir, "wxgate.db")
	}
	doc := map[string]any{
		"listen":     gwLn.Addr().String(),
		"public_url": s.gwURL,
		"dev":        true,
		"wechat":     map[string]string{"api_base": s.emuURL, "open_base": s.emuURL},
		"apps":       []map[string]string{{"name": "web", "type": "website", "appid": s.web.AppID, "secret": s.web.Secret}},
		"database":   database,
		"cache":      "memory",
		"keys_file":  filepath.Join(dir, "wxgate.keys"),
		"oidc":       map[string]any{"clients": s.clients},
	}
	if opt.NoRateLimits {
		doc["security"] = map[string]any{"rate_limits": map[string]any{
			"login_ip": map[string]int{"limit": -1}, "login_failed_ip": map[string]int{"limit": -1}, "login_user": map[string]int{"limit": -1},
		}}
	}
	raw, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(raw, func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, errors.Join(fmt.Errorf("the gateway's configuration: %w\n%s", err, raw), gwLn.Close(), emuLn.Close())
	}
	cfg.Warnings = nil // dev mode and literal secrets, as intended here
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gw, err := gateway.Open(ctx, cfg, gateway.OpenOptions{Logger: log.With("component", "gateway"), CreateKeys: true,
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, errors.Join(err, gwLn.Close(), emuLn.Close())
	}
	if err := mountOIDC(gw); err != nil {
		return nil, errors.Join(err, gw.Close(), gwLn.Close(), emuLn.Close())
	}
	s.gw = gw
	s.emu = emulator.NewClient(s.emuURL, nil)

	emuCtx, stopEmu := context.WithCancel(context.Background())
	emuSrv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return emuCtx }}
	gwSrv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	bg, stopBG := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { defer close(bgDone); gw.Run(bg) }()
	go func() { _ = emuSrv.Serve(emuLn) }()
	go func() { _ = gwSrv.Serve(gwLn) }()
	s.stop = func() {
		drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gwSrv.Shutdown(drain)
		stopEmu()
		_ = emuSrv.Shutdown(drain)
		stopBG()
		<-bgDone
		_ = gw.Close()
		_ = os.RemoveAll(dir)
	}
	return s, nil
}

// startTestStack is startStack for a test: it fails the test on error,
// stops at the test's end and shows the logs if the test failed.
func startTestStack(t *testing.T, opt stackOptions) *stack {
	t.Helper()
	s, err := startStack(t, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("gateway logs:\n%s\nemulator logs:\n%s", s.logs.String(), s.emuLogs.String())
		}
	})
	return s
}

// client returns the configured client with the id.
func (s *stack) client(id string) oidcClient {
	for _, c := range s.clients {
		if c.ID == id {
			return c
		}
	}
	panic("no client " + id)
}

// assertNoLeak fails t if text holds any of the values.
func assertNoLeak(t *testing.T, where, text string, values map[string]string) {
	t.Helper()
	for what, v := range values {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("%s contains the %s", where, what)
		}
	}
}
