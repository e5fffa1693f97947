package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// sweepStore records when a session sweep is running and when it returns.
type sweepStore struct {
	storage.Store
	entered chan struct{}
	once    sync.Once
	mu      *sync.Mutex
	events  *[]string
}

func (s *sweepStore) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	s.once.Do(func() { close(s.entered) })
	<-ctx.Done() // a long sweep: it ends only when the gateway closes
	s.mu.Lock()
	*s.events = append(*s.events, "sweep returned")
	s.mu.Unlock()
	return 0, ctx.Err()
}

// Close stops the background jobs and waits for them before it closes the
// stores they use; a job started after Close does not run.
func TestCloseWaitsForBackgroundJobs(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var events []string
	st := &sweepStore{Store: h.store, entered: make(chan struct{}), mu: &mu, events: &events}
	h.gw.store = st
	h.gw.closers = []func() error{func() error {
		mu.Lock()
		events = append(events, "stores closed")
		mu.Unlock()
		return nil
	}}
	h.gw.Start()
	runDone := make(chan struct{})
	go func() { defer close(runDone); h.gw.Run(context.Background()) }()
	<-st.entered
	if err := h.gw.Close(); err != nil {
		t.Fatal(err)
	}
	<-runDone
	mu.Lock()
	got := append([]string(nil), events...)
	mu.Unlock()
	if len(got) < 2 || got[len(got)-1] != "stores closed" {
		t.Fatalf("order = %v: the stores closed while a background job was still running", got)
	}
	for _, e := range got[:len(got)-1] {
		if e != "sweep returned" {
			t.Fatalf("order = %v", got)
		}
	}
	// After Close nothing starts.
	h.gw.Start()
	h.gw.Run(context.Background()) // returns at once
	mu.Lock()
	defer mu.Unlock()
	if len(events) != len(got) {
		t.Errorf("a job ran after Close: %v", events)
	}
}
