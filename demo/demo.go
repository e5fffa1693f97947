package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/internal/httpserver"
	"github.com/wxgate/wxgate/oidc"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage"

	// The demo's storage backends.
	_ "github.com/wxgate/wxgate/storage/memory"
	_ "github.com/wxgate/wxgate/storage/sqlite"
)

// Defaults of Options.
const (
	DefaultAddr         = "127.0.0.1:8080"
	DefaultEmulatorAddr = "127.0.0.1:9000"
	DefaultDataDir      = "./wxgate-demo"
)

// Files in the data folder.
const (
	fixtureName  = "emulator.yaml"
	databaseFile = "wxgate.db"
	keysFile     = "wxgate.keys"
)

// Options configure Run. The zero value runs the demo on its defaults.
type Options struct {
	// Addr is where the demo site and the gateway listen (host:port);
	// default DefaultAddr. Port 0 picks a free port.
	Addr string
	// EmulatorAddr is where the emulator listens; default
	// DefaultEmulatorAddr. Port 0 picks a free port.
	EmulatorAddr string
	// DataDir keeps the emulator fixture, the SQLite database and the
	// keyring across runs; default DefaultDataDir. It is created (0700)
	// when missing.
	DataDir string
	// Logger receives the emulator's and the gateway's logs; nil discards
	// them.
	Logger *slog.Logger
	// Stdout receives the banner with the URLs to open; nil prints nothing.
	Stdout io.Writer
	// Ready, if set, is called once everything serves, with the URLs
	// actually bound.
	Ready func(URLs)
}

// URLs are where a running demo can be reached.
type URLs struct {
	// Site is the demo site, with the gateway under /auth/.
	Site string
	// Emulator is the emulator's base URL (WeChat's servers).
	Emulator string
	// Phone is the emulator's phone simulator, where a person "scans".
	Phone string
}

// Run runs the demo until ctx ends, then shuts down gracefully. It fails
// at once, with a message naming the flag to change, when an address is
// taken.
func Run(ctx context.Context, opt Options) error {
	if opt.Addr == "" {
		opt.Addr = DefaultAddr
	}
	if opt.EmulatorAddr == "" {
		opt.EmulatorAddr = DefaultEmulatorAddr
	}
	if opt.DataDir == "" {
		opt.DataDir = DefaultDataDir
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// Listen first: a taken port is the likeliest failure, and both URLs
	// must be known before the apps' callback domains are.
	siteLn, err := listen(opt.Addr, "the demo site", "--addr")
	if err != nil {
		return err
	}
	defer siteLn.Close()
	emuLn, err := listen(opt.EmulatorAddr, "the emulator", "--emulator-addr")
	if err != nil {
		return err
	}
	defer emuLn.Close()
	siteHost := publicHost(siteLn.Addr())
	urls := URLs{Site: "http://" + siteHost, Emulator: "http://" + publicHost(emuLn.Addr())}
	urls.Phone = urls.Emulator + "/_emulator/phone"
	if ta, ok := emuLn.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		log.Warn("the emulator listens on a non-loopback address: anyone on the network can use its control API, which reads the apps' secrets",
			"addr", ta.String())
	}

	dir, err := prepareDataDir(opt.DataDir)
	if err != nil {
		return err
	}
	fx, err := loadFixture(filepath.Join(dir, fixtureName), siteHost, urls.Site)
	if err != nil {
		return err
	}
	emu, err := emulator.New(emulator.Options{Fixture: fx, Logger: log.With("component", "emulator")})
	if err != nil {
		return fmt.Errorf("demo: starting the emulator: %w (fix %s, or delete the data folder %s to start over)", err, filepath.Join(dir, fixtureName), opt.DataDir)
	}
	oidcSecret := newClientSecret()
	cfg, err := gatewayConfig(fx, dir, siteLn.Addr().String(), urls, oidcSecret)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Debug("configuration: " + w) // dev mode and literal secrets, as intended
	}
	gw, store, closeStores, err := openGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStores()
	verifier := session.NewVerifier(session.Options{
		Store:       store,
		IdleTimeout: time.Duration(cfg.Sessions.IdleTimeout),
		Logger:      log,
	})
	site, err := newSite(gw, verifier, urls, log, oidcSecret)
	if err != nil {
		return err
	}
	if mp, ok := cfg.App("mp"); ok {
		site.mpAppID = mp.AppID
	}

	// The emulator's held long-polls end with emuCtx, so shutdown does not
	// wait for them.
	emuCtx, stopEmu := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEmu()
	emuSrv := httpserver.New(httpserver.Options{Handler: emu, Log: log, ErrorLevel: slog.LevelDebug, LongPoll: true, Base: emuCtx})
	siteSrv := httpserver.New(httpserver.Options{Handler: site, Log: log, ErrorLevel: slog.LevelWarn})
	// The gateway's background work (expired sessions) runs until
	// closeStores, whose gw.Close waits for it before closing the stores.
	gw.Start()

	errc := make(chan error, 2)
	go func() { errc <- serveOn(emuSrv, emuLn, "the emulator") }()
	go func() { errc <- serveOn(siteSrv, siteLn, "the demo site") }()
	log.Info("wxgate demo started", "site", urls.Site, "emulator", urls.Emulator, "data", dir)
	if opt.Stdout != nil {
		fmt.Fprintf(opt.Stdout, "wxgate demo is running.\n"+
			"  1. Open the site:            %s\n"+
			"  2. \"Scan\" with the phone:    %s\n"+
			"Data is kept in %s (delete it to start over). Ctrl+C stops.\n",
			urls.Site, urls.Phone, opt.DataDir)
	}
	if opt.Ready != nil {
		opt.Ready(urls)
	}

	var runErr error
	select {
	case runErr = <-errc:
	case <-ctx.Done():
	}
	log.Info("wxgate demo: shutting down")
	drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := siteSrv.Shutdown(drain); err != nil && runErr == nil {
		runErr = fmt.Errorf("demo: stopping the demo site: %w", err)
	}
	stopEmu()
	if err := emuSrv.Shutdown(drain); err != nil && runErr == nil {
		runErr = fmt.Errorf("demo: stopping the emulator: %w", err)
	}
	return runErr
}

// listen opens addr for what, naming the flag that changes it when the
// address is taken.
func listen(addr, what, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("demo: %s cannot listen on %s: the address is already in use (is another wxgate demo running?); stop what uses it, or choose another address with %s, for example %s %s",
			what, addr, flagName, flagName, suggestAddr(addr))
	default:
		return nil, fmt.Errorf("demo: %s cannot listen on %s: %w; choose another address with %s", what, addr, err, flagName)
	}
}

// suggestAddr is addr with the next port, or port 0.
func suggestAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "127.0.0.1:0"
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p >= 65535 {
		p = -1
	}
	return net.JoinHostPort(host, strconv.Itoa(p+1))
}

// publicHost is host:port browsers reach a listener at: its own address,
// or loopback when it listens on every interface.
func publicHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// prepareDataDir creates the data folder (0700) and returns its absolute
// path. A .gitignore inside keeps it out of a repository it is created in.
func prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("demo: data folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("demo: creating the data folder: %w", err)
	}
	ignore := filepath.Join(abs, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		_ = os.WriteFile(ignore, []byte("# wxgate demo data: secrets and a database, never to be committed.\n*\n"), 0o600)
	}
	return abs, nil
}

// gatewayConfig is the gateway's configuration for the demo: dev mode
// with the emulator's (not WeChat's) literal secrets, SQLite and the
// keyring in the data folder, WeChat at the emulator.
func gatewayConfig(fx *emulator.Fixture, dir, listen string, urls URLs, oidcSecret string) (*config.Config, error) {
	type app struct {
		Name   string `yaml:"name"`
		Type   string `yaml:"type"`
		AppID  string `yaml:"appid"`
		Secret string `yaml:"secret"`
		// ScanPage turns on the mini-program code login.
		ScanPage string `yaml:"scan_page,omitempty"`
	}
	doc := struct {
		Listen    string            `yaml:"listen"`
		PublicURL string            `yaml:"public_url"`
		Dev       bool              `yaml:"dev"`
		WeChat    map[string]string `yaml:"wechat"`
		Apps      []app             `yaml:"apps"`
		Database  string            `yaml:"database"`
		Cache     string            `yaml:"cache"`
		KeysFile  string            `yaml:"keys_file"`
		Web       map[string]string `yaml:"web"`
		OIDC      map[string]any    `yaml:"oidc"`
	}{
		Listen:    listen,
		PublicURL: urls.Site,
		Dev:       true,
		WeChat:    map[string]string{"api_base": urls.Emulator, "open_base": urls.Emulator},
		Database:  "sqlite:" + filepath.Join(dir, databaseFile),
		Cache:     "memory",
		KeysFile:  filepath.Join(dir, keysFile),
		Web:       map[string]string{"default_return_to": "/profile"},
		// The site is also an OpenID client of its gateway (oidc.go).
		OIDC: map[string]any{"clients": []map[string]any{{
			"id": oidcClientID, "name": "Demo site", "secret": oidcSecret,
			"redirect_uris": []string{urls.Site + oidcCallback}, "post_logout_redirect_uris": []string{urls.Site + "/"},
			"scopes": []string{"openid", "profile"},
		}}},
	}
	for _, d := range demoApps {
		a := fx.Apps[appIndex(fx, d.typ)]
		doc.Apps = append(doc.Apps, app{Name: d.name, Type: string(d.typ), AppID: a.AppID, Secret: a.Secret, ScanPage: scanPageOf(d.typ)})
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("demo: building the gateway's configuration: %w", err)
	}
	// No environment: WXGATE_* variables meant for `wxgate serve` do not
	// leak into the demo.
	cfg, err := config.Parse(data, func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("demo: the gateway's configuration: %w", err)
	}
	return cfg, nil
}

// openGateway opens the keyring (creating it on the first run), the
// database and the cache, and builds the gateway on them. The returned
// function closes the stores.
func openGateway(ctx context.Context, cfg *config.Config, log *slog.Logger) (*gateway.Server, storage.Store, func(), error) {
	// The demo's own configuration runs in dev mode with the emulator's
	// literal secrets, by design: its warnings about that are noise here.
	cfg.Warnings = nil
	gw, err := gateway.Open(ctx, cfg, gateway.OpenOptions{
		Logger:     log.With("component", "gateway"),
		CreateKeys: true,
		LookupEnv:  func(string) (string, bool) { return "", false },
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demo: %w", err)
	}
	if _, err := oidc.Mount(gw); err != nil {
		gw.Close()
		return nil, nil, nil, fmt.Errorf("demo: %w", err)
	}
	closeAll := func() {
		if err := gw.Close(); err != nil {
			log.Warn("closing the stores", "err", err)
		}
	}
	return gw, gw.Store(), closeAll, nil
}

// serveOn serves srv on ln until Shutdown.
func serveOn(srv *http.Server, ln net.Listener, what string) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demo: %s stopped serving: %w", what, err)
	}
	return nil
}
