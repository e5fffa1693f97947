package redis_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy stands between the store and the real server, so that a test can
// take the server away and give it back without touching the server: cut
// closes the listener and every connection (the server is down), stall
// listens again but never answers (the server hangs), restore forwards
// again on the same address (the server is back).
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	stall bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// newProxy starts a proxy to target on addr ("127.0.0.1:0" for any port).
func newProxy(t testing.TB, addr, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, addr: addr, conns: map[net.Conn]bool{}}
	p.listen(false)
	t.Cleanup(func() {
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) listen(stall bool) {
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

func (p *proxy) accept(ln net.Listener, stall bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		if stall {
			continue // held open, never answered, closed by cut
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
	io.Copy(dst, src) // ends with an error when cut: nothing to do but close
	dst.Close()
	src.Close()
}

// track records a connection for cut; false if the proxy was cut meanwhile.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// cut closes the listener and every connection: dials are refused and
// connections in use end.
func (p *proxy) cut() {
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

// restore forwards again, on the same address.
func (p *proxy) restore() { p.t.Helper(); p.cut(); p.listen(false) }

// hang accepts connections on the same address but never answers.
func (p *proxy) hang() { p.t.Helper(); p.cut(); p.listen(true) }

// closedPort returns an address on which nothing listens.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
