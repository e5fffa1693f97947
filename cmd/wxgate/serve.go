package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/internal/httpserver"
	"github.com/wxgate/wxgate/logging"
	"github.com/wxgate/wxgate/oidc"
	"github.com/wxgate/wxgate/storage"

	// Storage backends, chosen by the URL scheme of database: and cache:.
	_ "github.com/wxgate/wxgate/storage/memory"
	_ "github.com/wxgate/wxgate/storage/postgres"
	"github.com/wxgate/wxgate/storage/redis"
	_ "github.com/wxgate/wxgate/storage/sqlite"
)

var serveCommand = command{
	summary: "run the login gateway",
	run:     runServe,
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "--config FILE",
		"Runs the gateway: mini-program, mobile, website and official-account logins, sessions and\n"+
			"forward-auth, with WeChat's secrets kept on the server. Every configuration key can be\n"+
			"overridden by a WXGATE_* environment variable (see docs/configuration.md).\n"+
			"SIGTERM drains in-flight requests and stops; SIGHUP re-reads the AppSecrets and the keyring.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "YAML configuration `file` (default: $WXGATE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		if fs.NArg() == 1 && *cfgPath == "" {
			return fmt.Errorf("unexpected argument %s: name the configuration file with --config: wxgate serve --config %s", fs.Arg(0), fs.Arg(0))
		}
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *cfgPath == "" {
		fs.Usage()
		return errors.New("--config is required (or set WXGATE_CONFIG)")
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	// The log redactor also removes the configured secrets' exact values;
	// the gateway knows them (and their rotations) once it is open.
	var gwp atomic.Pointer[gateway.Server]
	log := newLogger(cfg.Log, stderr, func() []string {
		if g := gwp.Load(); g != nil {
			return g.SecretValues()
		}
		return nil
	})
	redis.SetLogger(log)
	// The OpenID protocol library logs through slog's default logger:
	// route it through the same redacting handler.
	slog.SetDefault(log)
	gw, err := gateway.Open(ctx, cfg, gateway.OpenOptions{Logger: log})
	if err != nil {
		return err
	}
	gwp.Store(gw)
	if _, err := oidc.Mount(gw); err != nil {
		gw.Close()
		return err
	}
	defer func() {
		if err := gw.Close(); err != nil {
			log.Warn("closing the stores", "err", err)
		}
	}()
	return serveGateway(ctx, cfg, gw, log, nil)
}

// newLogger builds the process logger from the log configuration. Every
// record passes through the redacting handler: secrets, codes and tokens
// removed, openids shown as short keyed hashes, and the exact values
// secrets returns (if set) removed wherever they appear.
func newLogger(c config.Log, w io.Writer, secrets func() []string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Level)); err != nil {
		lvl = slog.LevelInfo
	}
	return logging.New(w, c.Format, lvl, logging.Options{Secrets: secrets})
}

// serveGateway listens on the configured address and serves until ctx
// ends, then drains in-flight requests. ready, if set, receives the bound
// address once listening.
func serveGateway(ctx context.Context, cfg *config.Config, gw *gateway.Server, log *slog.Logger, ready chan<- string) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (set listen: or WXGATE_LISTEN to a free address)", cfg.Listen, err)
	}
	srv := httpserver.New(httpserver.Options{Handler: gw, Log: log, ErrorLevel: slog.LevelWarn})
	// internal.listen: /internal/ and /metrics on a listener of their own.
	var isrv *http.Server
	ierrc := make(chan error, 1)
	if cfg.Internal.Listen != "" {
		iln, err := net.Listen("tcp", cfg.Internal.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listening on %s: %w (set internal.listen or WXGATE_INTERNAL_LISTEN to a free address)", cfg.Internal.Listen, err)
		}
		isrv = httpserver.New(httpserver.Options{Handler: gw.InternalHandler(), Log: log, ErrorLevel: slog.LevelWarn})
		go func() { ierrc <- isrv.Serve(iln) }()
		log.Info("wxgate internal listener (/internal/, /metrics) listening", "addr", iln.Addr().String())
	}
	// Background work runs until the caller's gw.Close, which waits for it
	// before closing the stores.
	gw.Start()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := gw.ReloadSecrets(); err != nil {
				log.Error("re-reading AppSecrets failed; the apps named keep their previous secret", "err", err)
			} else {
				log.Info("re-read the AppSecrets")
			}
			if err := gw.ReloadKeyring(); err != nil {
				log.Error("re-reading the keyring failed; the previous one stays in use", "file", cfg.KeysFile, "err", err)
			}
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("wxgate gateway listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"database", storage.Scheme(cfg.Database), "cache", storage.Scheme(cfg.Cache), "apps", len(cfg.Apps))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case err := <-ierrc:
		return fmt.Errorf("serving the internal listener: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	if isrv != nil {
		if err := httpserver.Shutdown(isrv, ierrc, 30*time.Second); err != nil {
			log.Warn("draining the internal listener", "err", err)
		}
	}
	if err := httpserver.Shutdown(srv, errc, 30*time.Second); err != nil {
		return fmt.Errorf("draining requests: %w", err)
	}
	log.Info("stopped")
	return nil
}
