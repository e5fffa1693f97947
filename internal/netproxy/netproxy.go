// Package netproxy is a TCP proxy for tests of networked backends: it
// stands between a client and a real server so that a test can take the
// server away (Cut), make it hang (Hang) and give it back (Restore)
// without touching the server itself.
package netproxy

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a target. Cut closes the listener and
// every connection (the server is down), Hang listens again but never
// answers (the server hangs), Restore forwards again on the same address
// (the server is back).
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	stall bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// New starts a proxy to target on addr ("127.0.0.1:0" for any port); the
// test's cleanup cuts it.
func New(t testing.TB, addr, target string) *Proxy {
	t.Helper()
	p := &Proxy{t: t, target: target, addr: addr, conns: map[net.Conn]bool{}}
	p.listen(false)
	t.Cleanup(func() {
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *Proxy) listen(stall bool) {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr, p.stall = ln, ln.Addr().String(), stall
	p.mu.Unlock()
	p.wg.Go(func() { p.accept(ln, stall) })
}

func (p *Proxy) accept(ln net.Listener, stall bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		if stall {
			continue // held open, never answered, closed by Cut
		}
		p.wg.Go(func() {
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				return
			}
			if !p.track(s) {
				c.Close()
				return
			}
			var pipes sync.WaitGroup
			pipes.Go(func() { pipe(s, c) })
			pipes.Go(func() { pipe(c, s) })
			pipes.Wait()
		})
	}
}

// pipe copies until either side ends, then closes both.
func pipe(dst, src net.Conn) {
	io.Copy(dst, src) // ends with an error when Cut: nothing to do but close
	dst.Close()
	src.Close()
}

// track records a connection for Cut; false if the proxy was cut meanwhile.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// Cut closes the listener and every connection: dials are refused and
// connections in use end.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore forwards again, on the same address.
func (p *Proxy) Restore() { p.t.Helper(); p.Cut(); p.listen(false) }

// Hang accepts connections on the same address but never answers.
func (p *Proxy) Hang() { p.t.Helper(); p.Cut(); p.listen(true) }

// Addr is the address clients dial.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// ClosedPort returns an address on which nothing listens.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
