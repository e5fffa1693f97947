package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/wxgate/wxgate/demo"
	"github.com/wxgate/wxgate/logging"
)

var demoCommand = command{
	summary: "run the emulator, the gateway and a demo site in one command",
	run:     runDemo,
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[flags]", `Runs the whole login stack on this machine with no configuration: the WeChat
emulator with a website app, an official account, a mini-program and a mobile
app under one open account plus three users (小明 Xiaoming, Alice, Bob); the
gateway on SQLite; and a small demo site ("Log in with WeChat", a profile page
with the linked accounts, logout) on the gateway's origin.

It prints two URLs: open the site, click the login button, then "scan" in the
phone simulator: choose a user and confirm. The data folder keeps the
emulator's apps and users, the database and the keyring across runs; delete it
to start over. The emulator's secrets are not WeChat's: never reuse them.`, stderr)
	addr := fs.String("addr", demo.DefaultAddr, "`address` of the demo site and the gateway (host:port; port 0 picks a free one)")
	emuAddr := fs.String("emulator-addr", demo.DefaultEmulatorAddr, "`address` of the emulator (WeChat's servers and the phone simulator)")
	data := fs.String("data", demo.DefaultDataDir, "data `folder` for the emulator fixture, the SQLite database and the keyring")
	var level slog.Level = slog.LevelWarn
	fs.TextVar(&level, "log-level", slog.LevelWarn, "log `level` of the emulator and the gateway: debug, info, warn or error (logs go to stderr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return demo.Run(ctx, demo.Options{
		Addr:         *addr,
		EmulatorAddr: *emuAddr,
		DataDir:      *data,
		Logger:       logging.New(stderr, "text", level, logging.Options{}),
		Stdout:       stdout,
	})
}
