package gateway

import (
	"context"
	"sync"
	"time"
)

// background tracks the gateway's background jobs, so that Close stops
// them and waits for them before it closes the stores they use.
type background struct {
	ctx    context.Context // ends when Close begins
	stop   context.CancelFunc
	mu     sync.Mutex
	closed bool
	jobs   sync.WaitGroup
}

func newBackground() *background {
	ctx, stop := context.WithCancel(context.Background())
	return &background{ctx: ctx, stop: stop}
}

// enter registers a job; false once the gateway is closing.
func (b *background) enter() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.jobs.Add(1)
	return true
}

// close stops every job and waits for them; no job starts after it.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.stop()
	b.jobs.Wait()
}

// Start runs the gateway's background work (see Run) until Close.
func (s *Server) Start() {
	if !s.bg.enter() {
		return
	}
	go func() {
		defer s.bg.jobs.Done()
		s.run(s.bg.ctx)
	}()
}

// Run does the gateway's background work until ctx ends or Close is
// called: it removes expired sessions every few minutes. Several instances
// may run it at once; the work is idempotent. Close waits for it to return.
func (s *Server) Run(ctx context.Context) {
	if !s.bg.enter() {
		return
	}
	defer s.bg.jobs.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.bg.ctx, cancel)()
	s.run(ctx)
}

func (s *Server) run(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		s.collectSessions(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) collectSessions(ctx context.Context) {
	now := s.now().UTC()
	n, err := s.store.DeleteExpiredSessions(ctx, now, now.Add(-time.Duration(s.cfg.Sessions.IdleTimeout)))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("removing expired sessions failed", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("removed expired sessions", "count", n)
	}
}
