package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/internal/httpserver"
)

var emulatorCommand = command{
	summary: "run WeChat's login servers on localhost",
	run:     runEmulatorCommand,
}

// emulatorOptions are the emulator subcommand's flags.
type emulatorOptions struct {
	addr     string
	fixture  string
	longPoll time.Duration
	logLevel slog.Level
	beh      emulator.Behaviour
}

func runEmulatorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("emulator", "[flags]", `Runs a local emulator of WeChat's login servers: open.weixin.qq.com and
api.weixin.qq.com on one base URL, with a phone simulator for people, a
virtual clock, fault injection and call statistics (control API under
/_emulator/). All state is in memory. Point wechat.Config.APIBase and
OpenBase (or the gateway's wechat.api_base and open_base) at the printed
base URL. See docs/emulator.md.

Behaviour flags override the fixture's behaviour section; unset flags keep
the fixture's value or the documented (stricter) default.`, stderr)
	var o emulatorOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9000", "`address` to listen on; a non-loopback address exposes the emulator to the network")
	fs.StringVar(&o.fixture, "fixture", "", "JSON or YAML `file` with apps, users, identity_salt and behaviour to start with")
	fs.DurationVar(&o.longPoll, "long-poll", 25*time.Second, "how long the QR page's long-poll is held while nothing changes")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error (logs go to stderr)")
	fs.StringVar(&o.beh.DenyRedirect, "deny-redirect", "", "on refusal: `state_only` (redirect_uri?state=, default) or none")
	fs.Var(&o.beh.StrictStateCharset, "strict-state-charset", "refuse a state outside [A-Za-z0-9] (default true)")
	fs.Var(&o.beh.RequireState, "require-state", "refuse an empty state (default true)")
	fs.StringVar(&o.beh.JSCodeRateScope, "jscode-rate-scope", "", "what jscode2session's 45011 limit counts: `user` (default), app or off")
	fs.IntVar(&o.beh.JSCodeRateLimit, "jscode-rate-limit", 0, "jscode2session calls per minute in that scope (default 100)")
	fs.Var(&o.beh.CheckSessionPostBody, "checksession-post-body", "let wxa/checksession read a POST body (default false)")
	fs.StringVar(&o.beh.StableForceTooSoon, "stable-force-too-soon", "", "stable_token force_refresh within 30 s: `current` (the current token, default) or error (45011)")
	fs.Var(&o.beh.RevokeOnCodeReuse, "revoke-on-code-reuse", "revoke the tokens of an OAuth code presented twice (default false)")
	fs.Var(&o.beh.BaseRevokesRefresh, "base-revokes-refresh", "a new snsapi_base grant revokes earlier snsapi_userinfo refresh tokens (default false)")
	fs.Var(&o.beh.RotateRefreshToken, "rotate-refresh-token", "refresh returns a new refresh_token string (default false)")
	fs.IntVar(&o.beh.RefreshTokenDays, "refresh-token-days", 0, "refresh_token lifetime in days (default 30)")
	fs.IntVar(&o.beh.TokenDailyQuota, "token-daily-quota", 0, "cgi-bin/token calls per app and day, negative for unlimited (default 2000)")
	fs.IntVar(&o.beh.ExpiredCodeErrcode, "expired-code-errcode", 0, "errcode of an expired code: 40029 (default) or 42003")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return serveEmulator(ctx, o, stdout, stderr)
}

// serveEmulator runs the emulator until ctx ends, then shuts down
// gracefully.
func serveEmulator(ctx context.Context, o emulatorOptions, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	opts := emulator.Options{Behaviour: o.beh, LongPoll: o.longPoll, Logger: log}
	if o.fixture != "" {
		fx, err := emulator.LoadFixture(o.fixture)
		if err != nil {
			return err
		}
		opts.Fixture = fx
		if fx.IdentitySalt == "" {
			log.Warn("the fixture has no identity_salt: openids and unionids change at every start")
		}
	}
	e, err := emulator.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	if !addr.IP.IsLoopback() {
		log.Warn("the emulator listens on a non-loopback address: anyone on the network can use its control API and read app secrets", "addr", addr.String())
	}
	base := "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
	fmt.Fprintf(stdout, "wxgate emulator listening on %s\nphone simulator: %s/_emulator/phone\n", base, base)

	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	srv := httpserver.New(httpserver.Options{Handler: e, Log: log, ErrorLevel: slog.LevelDebug, LongPoll: true, Base: serveCtx})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("emulator started", "base_url", base, "long_poll", opts.LongPoll, "apps", len(e.Apps()), "users", len(e.Users()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopServing() // ends held long-polls and fault delays
	if err := httpserver.Shutdown(srv, errc, 10*time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
