package gateway

import (
	"context"
	"time"
)

// Run does the gateway's background work until ctx ends: it removes
// expired sessions every few minutes. Several instances may run it at once;
// the work is idempotent.
func (s *Server) Run(ctx context.Context) {
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
