package gateway

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// OpenOptions configure Open.
type OpenOptions struct {
	// Logger receives the gateway's logs; nil discards them.
	Logger *slog.Logger
	// CreateKeys creates the keyring file when it does not exist yet
	// (development and the demo; dev: true in the configuration implies
	// it). Otherwise a missing keyring is an error saying how to create one.
	CreateKeys bool
	// LookupEnv reads secrets from the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Open opens what a configuration names (the keyring, the database and
// the cache, by URL scheme: import the backend packages to register them)
// and builds the gateway on them. Close releases them.
func Open(ctx context.Context, cfg *config.Config, opt OpenOptions) (*Server, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, w := range cfg.Warnings {
		log.Warn("configuration: " + w)
	}
	kr, err := loadKeyring(cfg.KeysFile, log, opt.CreateKeys, cfg.Dev)
	if err != nil {
		return nil, err
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := storage.Open(openCtx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("opening the database (%s): %w", storage.Scheme(cfg.Database), err)
	}
	kv, err := storage.OpenKV(openCtx, cfg.Cache)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("opening the cache (%s): %w", storage.Scheme(cfg.Cache), err)
	}
	s, err := New(Options{Config: cfg, Store: store, KV: kv, Keyring: kr, Logger: log, LookupEnv: opt.LookupEnv})
	if err != nil {
		kv.Close()
		store.Close()
		return nil, err
	}
	s.closers = []func() error{kv.Close, store.Close}
	// A backend that is down at start does not stop the gateway: it serves
	// 503 (and /readyz fails) until the backend is back. Say so now, with
	// the backend's own advice.
	for name, ping := range map[string]func(context.Context) error{"database": store.Ping, "cache": kv.Ping} {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := ping(pctx); err != nil {
			log.Error("the "+name+" is unreachable at start; the gateway runs, answering 503 and failing /readyz until it is back", "backend", name, "err", err)
		}
		cancel()
	}
	return s, nil
}

// loadKeyring reads the at-rest keyring, creating it first when the caller
// asked for that (asked) or development mode allows it (dev, which warns:
// an operator may not expect it).
func loadKeyring(file string, log *slog.Logger, asked, dev bool) (*seal.Keyring, error) {
	kr, err := seal.Load(file)
	if err == nil || !(asked || dev) || !errors.Is(err, fs.ErrNotExist) {
		return kr, err
	}
	if kr, err = seal.Generate(); err != nil {
		return nil, err
	}
	if err := seal.WriteFile(file, kr, false); err != nil {
		return nil, err
	}
	lvl := slog.LevelWarn
	if asked {
		lvl = slog.LevelInfo
	}
	log.Log(context.Background(), lvl, "created a new at-rest keyring; keep it safe and back it up: data sealed under it cannot be read without it",
		"file", file, "key", kr.ActiveKeyID())
	return kr, nil
}

// Close stops the background jobs (Start, Run) and waits for them, then
// releases what Open opened (no stores for a Server built with New, whose
// caller owns them). The stores close only after nothing uses them.
func (s *Server) Close() error {
	s.bg.close()
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Store returns the gateway's durable store (for in-process session
// verification next to the gateway).
func (s *Server) Store() storage.Store { return s.store }
