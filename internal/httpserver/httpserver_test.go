package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestNewLimits(t *testing.T) {
	srv := New(Options{Handler: http.NotFoundHandler()})
	if srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.ReadTimeout != ReadTimeout || srv.WriteTimeout != WriteTimeout ||
		srv.IdleTimeout != IdleTimeout || srv.MaxHeaderBytes != MaxHeaderBytes || srv.ErrorLog == nil {
		t.Errorf("server limits = %+v", srv)
	}
	lp := New(Options{Handler: http.NotFoundHandler(), LongPoll: true})
	if lp.ReadTimeout != 0 || lp.WriteTimeout != 0 || lp.ReadHeaderTimeout != ReadHeaderTimeout {
		t.Errorf("long-poll server: read %v write %v header %v", lp.ReadTimeout, lp.WriteTimeout, lp.ReadHeaderTimeout)
	}
}

// Serve answers until its context ends; a request held on the base
// context ends with it, so the drain does not wait for it.
func TestServeDrains(t *testing.T) {
	base, stopBase := context.WithCancel(context.Background())
	held := make(chan struct{})
	srv := New(Options{LongPoll: true, Base: base, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			close(held)
			<-r.Context().Done()
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, 10*time.Second) }()
	url := "http://" + ln.Addr().String()
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("answer %q", b)
	}
	go func() {
		if resp, err := http.Get(url + "/hold"); err == nil {
			resp.Body.Close()
		}
	}()
	<-held
	stopBase()
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Serve after its context ended: %v", err)
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Error("the server still answers after Serve returned")
	}
}
