// Package httpserver builds the hardened http.Server every wxgate listener
// uses (gateway, emulator, demo) and serves it until its context ends.
package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options shape a server. The zero value (with a Handler) is the
// gateway's: bounded header, read, write and idle times.
type Options struct {
	Handler http.Handler
	// Log receives the server's own errors (TLS handshakes, bad requests)
	// at ErrorLevel; nil discards them.
	Log        *slog.Logger
	ErrorLevel slog.Level
	// LongPoll drops the read and write timeouts, for servers that hold
	// requests open (the emulator's QR long-poll, fault delays).
	LongPoll bool
	// Base, if set, is every request's base context: cancelling it ends
	// held requests so that a shutdown need not wait for them.
	Base context.Context
}

// Limits of every server.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
)

// New returns a server with wxgate's limits.
func New(o Options) *http.Server {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           o.Handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), o.ErrorLevel),
	}
	if o.LongPoll {
		srv.ReadTimeout, srv.WriteTimeout = 0, 0
	}
	if o.Base != nil {
		base := o.Base
		srv.BaseContext = func(net.Listener) context.Context { return base }
	}
	return srv
}

// Serve serves srv on ln until ctx ends or serving fails, then drains
// in-flight requests for at most drain. It returns nil after a clean
// drain.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return Shutdown(srv, errc, drain)
}

// Shutdown drains srv for at most drain and waits for its Serve to return
// on errc (if not nil).
func Shutdown(srv *http.Server, errc <-chan error, drain time.Duration) error {
	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(dctx)
	if errc != nil {
		if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	return err
}
