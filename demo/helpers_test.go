package demo

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the demo's goroutines to log to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a demo started by startDemo.
type running struct {
	URLs
	logs   *syncBuffer
	stdout *syncBuffer
	stop   func() error
}

// startDemo runs the demo on free ports with its data in dir, and returns
// once it serves. The demo stops at the end of the test (or at stop),
// and its logs are shown if the test failed.
func startDemo(t *testing.T, dir string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rd := &running{logs: &syncBuffer{}, stdout: &syncBuffer{}}
	ready := make(chan URLs, 1)
	finished := make(chan struct{})
	var runErr error
	go func() {
		defer close(finished)
		runErr = Run(ctx, Options{
			Addr:         "127.0.0.1:0",
			EmulatorAddr: "127.0.0.1:0",
			DataDir:      dir,
			Logger:       slog.New(slog.NewTextHandler(rd.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Stdout:       rd.stdout,
			Ready:        func(u URLs) { ready <- u },
		})
	}()
	var once sync.Once
	var stopErr error
	rd.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case <-finished:
				stopErr = runErr
			case <-time.After(20 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := rd.stop(); err != nil {
			t.Errorf("the demo did not stop cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("demo logs:\n%s", rd.logs.String())
		}
	})
	select {
	case rd.URLs = <-ready:
	case <-finished:
		t.Fatalf("the demo did not start: %v\nlogs:\n%s", runErr, rd.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the demo did not start within 30 s\nlogs:\n%s", rd.logs.String())
	}
	return rd
}
