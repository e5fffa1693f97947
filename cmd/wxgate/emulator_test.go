package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEmulatorCommand(t *testing.T) {
	fixture := filepath.Join(t.TempDir(), "fx.yaml")
	err := os.WriteFile(fixture, []byte("identity_salt: a salt of sixteen+ chars\napps:\n  - {appid: wx0123456789abcdef, secret: 0123456789abcdef0123456789abcdef, type: miniprogram}\n  - {appid: wxfedcba9876543210, type: website, callback_domain: example.com}\nusers:\n  - {user_id: alice}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- emulatorCommand.run(ctx, []string{"--addr", "127.0.0.1:0", "--fixture", fixture, "--long-poll", "1m", "--deny-redirect", "none"}, pw, &stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base, phone string
	for phone == "" && sc.Scan() {
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, "wxgate emulator listening on "); ok {
			base = s
		}
		if s, ok := strings.CutPrefix(line, "phone simulator: "); ok {
			phone = s
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || phone != base+"/_emulator/phone" {
		t.Fatalf("printed %q and %q", base, phone)
	}
	resp, err := http.Get(base + "/_emulator/apps/wx0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	var app map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&app)
	resp.Body.Close()
	if resp.StatusCode != 200 || app["type"] != "miniprogram" {
		t.Fatalf("fixture app: %d %v", resp.StatusCode, app)
	}
	resp, err = http.Get(base + "/_emulator/behaviour")
	if err != nil {
		t.Fatal(err)
	}
	var beh map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&beh)
	resp.Body.Close()
	if beh["deny_redirect"] != "none" {
		t.Fatalf("flag not applied: %v", beh)
	}
	// A held long-poll (up to a minute) does not delay the shutdown.
	resp, err = http.Get(base + "/connect/qrconnect?appid=wxfedcba9876543210&redirect_uri=https%3A%2F%2Fexample.com%2F&response_type=code&scope=snsapi_login&state=s")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	uuid := resp.Header.Get("X-Wxemu-Uuid")
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		if r, err := http.Get(base + "/connect/l/qrconnect?last=408&uuid=" + uuid); err == nil {
			r.Body.Close()
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var st struct{ Calls map[string]int }
		r, err := http.Get(base + "/_emulator/stats")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(r.Body).Decode(&st)
		r.Body.Close()
		if st.Calls["/connect/l/qrconnect"] == 1 {
			break // the poll is held by the server
		}
		if time.Now().After(deadline) {
			t.Fatal("the long-poll never reached the server")
		}
		runtime.Gosched()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	<-polled
	logs := stderr.String()
	if !strings.Contains(logs, "emulator started") || !strings.Contains(logs, "shutting down") {
		t.Fatalf("logs: %s", logs)
	}
	if strings.Contains(logs, "0123456789abcdef0123456789abcdef") {
		t.Fatal("the logs contain an AppSecret")
	}
}

func TestEmulatorCommandErrors(t *testing.T) {
	ctx := context.Background()
	var out, errOut strings.Builder
	if err := emulatorCommand.run(ctx, []string{"-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(errOut.String(), "Usage: wxgate emulator") || !strings.Contains(errOut.String(), "-fixture") {
		t.Fatalf("help text: %s", errOut.String())
	}
	for _, args := range [][]string{
		{"--deny-redirect", "sometimes"},
		{"--strict-state-charset=maybe"},
		{"--fixture", filepath.Join(t.TempDir(), "missing.yaml")},
		{"--addr", "256.0.0.1:0"},
		{"extra"},
	} {
		if err := emulatorCommand.run(ctx, args, io.Discard, io.Discard); err == nil {
			t.Fatalf("%v: want an error", args)
		}
	}
	if code := run(ctx, []string{"emulator", "--expired-code-errcode", "1"}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
}
