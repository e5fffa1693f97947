package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a command's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDemoCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0", "--data", dir}, &stdout, &stderr)
	}()

	// The banner names the two URLs a person needs, and nothing else.
	banner := regexp.MustCompile(`(?s)^wxgate demo is running\.\n` +
		`  1\. Open the site:            (http://127\.0\.0\.1:\d+)\n` +
		`  2\. "Scan" with the phone:    (http://127\.0\.0\.1:\d+)/_emulator/phone\n` +
		`Data is kept in ` + regexp.QuoteMeta(dir) + ` \(delete it to start over\)\. Ctrl\+C stops\.\n$`)
	var m []string
	deadline := time.After(30 * time.Second)
	for m == nil {
		select {
		case code := <-done:
			t.Fatalf("wxgate demo exited with %d before serving\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no banner within 30 s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
			m = banner.FindStringSubmatch(stdout.String())
		}
	}
	site, emu := m[1], m[2]
	for _, u := range []string{site + "/", site + "/healthz", emu + "/_emulator/phone"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, resp.StatusCode)
		}
	}

	cancel() // what Ctrl+C does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after Ctrl+C, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("wxgate demo did not stop within 20 s of Ctrl+C")
	}
	// The default log level keeps the terminal to the banner.
	if s := stderr.String(); s != "" {
		t.Errorf("stderr at the default log level:\n%s", s)
	}
}

func TestDemoCommandErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"port taken", []string{"demo", "--addr", ln.Addr().String(), "--data", filepath.Join(t.TempDir(), "d")}, 1,
			[]string{"wxgate demo:", ln.Addr().String(), "already in use", "--addr"}},
		{"emulator port taken", []string{"demo", "--addr", "127.0.0.1:0", "--emulator-addr", ln.Addr().String(), "--data", filepath.Join(t.TempDir(), "d")}, 1,
			[]string{ln.Addr().String(), "already in use", "--emulator-addr"}},
		{"stray argument", []string{"demo", "now"}, 1, []string{"unexpected arguments: now"}},
		{"help", []string{"demo", "-h"}, 0, []string{"Usage: wxgate demo", "-addr", "-emulator-addr", "-data", "phone simulator", "127.0.0.1:8080", "./wxgate-demo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
	var out bytes.Buffer
	if run(context.Background(), []string{"help"}, &out, &out); !strings.Contains(out.String(), "demo ") {
		t.Errorf("`wxgate help` does not list demo:\n%s", out.String())
	}
}
