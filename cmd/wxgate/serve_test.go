package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/wechat"
)

func TestServeRefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: 127.0.0.1:0\napps:\n  - name: web\n    type: website\n    appid: wx123\n    secret: 0123456789abcdef0123456789abcdef\nbogus: 1\n"), 0o600)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", bad}, &out, &errb)
	msg := errb.String()
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, msg)
	}
	// Every problem at once, each with its key path.
	for _, want := range []string{"bogus", "appid", "secret"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "0123456789abcdef0123456789abcdef") {
		t.Error("the literal secret was echoed")
	}
	if code := run(context.Background(), []string{"serve"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--config is required") {
		t.Errorf("serve without --config: exit %d, %s", code, errb.String())
	}
}

func TestServeDrainsInFlightRequestsOnShutdown(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(emu)
	defer es.Close()
	app, _ := emu.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "mp"})
	user, _ := emu.CreateUser(emulator.UserSpec{})
	dir := t.TempDir()
	y := fmt.Sprintf("listen: 127.0.0.1:0\npublic_url: http://127.0.0.1:8080\ndev: true\nwechat:\n  api_base: %s\ndatabase: sqlite:%s/db\nkeys_file: %s/keys\napps:\n  - name: mp\n    type: miniprogram\n    appid: %s\n    secret: %s\n",
		es.URL, dir, dir, app.AppID, app.Secret)
	cfg, err := config.Parse([]byte(y), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncWriter{w: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(logs, nil))
	gw, err := gateway.Open(context.Background(), cfg, gateway.OpenOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	if _, err := os.Stat(filepath.Join(dir, "keys")); err != nil {
		t.Fatalf("dev mode did not create the keyring: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveGateway(ctx, cfg, gw, log, ready) }()
	addr := <-ready

	// A login whose WeChat call takes a while is in flight when SIGTERM
	// arrives: it must complete, not be cut off.
	code, _ := emu.MiniProgramLogin(app.AppID, user)
	if err := emu.SetFault(emulator.Fault{Path: "/sns/jscode2session", DelayMS: 400}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   map[string]any
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/auth/miniprogram/login", "application/json",
			strings.NewReader(`{"app":"mp","code":"`+code+`"}`))
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		res <- result{status: resp.StatusCode, body: body}
	}()
	// Stop once the request has reached WeChat.
	for emu.Stats().Calls["/sns/jscode2session"] == 0 {
		select {
		case r := <-res:
			t.Fatalf("request finished before shutdown: %+v", r)
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	r := <-res
	if r.err != nil || r.status != 200 || r.body["token"] == nil {
		t.Fatalf("in-flight request during shutdown: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("serveGateway: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
	if !strings.Contains(logs.String(), "draining in-flight requests") {
		t.Errorf("shutdown not logged:\n%s", logs.String())
	}
}

// syncWriter serializes writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
