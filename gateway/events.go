package gateway

import (
	"context"
	"net/http"

	"github.com/wxgate/wxgate/storage"
)

// Security event types of the audit trail (`wxgate events`).
const (
	EventLogin        = "login"
	EventLoginFailed  = "login_failed"
	EventLogout       = "logout"
	EventStateFailed  = "state_failed"
	EventRateLimited  = "rate_limited"
	EventReplay       = "signature_rejected"
	EventKeyRotation  = "key_rotation"
	EventSessionStale = "session_key_stale"
)

// event appends to the durable audit trail. The trail holds what an
// investigation needs (who, which app, from where, what happened) and never
// a secret, code, token or openid. A failure to record is logged; it does
// not fail the request.
func (s *Server) event(ctx context.Context, r *http.Request, typ, userID, app string, detail map[string]string) {
	if _, err := s.store.AppendEvent(context.WithoutCancel(ctx), *s.newEvent(r, typ, userID, app, detail)); err != nil {
		s.log.Warn("recording a security event failed", "type", typ, "err", err)
	}
}

// newEvent builds an event: when, from where (client IP and user agent)
// and what.
func (s *Server) newEvent(r *http.Request, typ, userID, app string, detail map[string]string) *storage.Event {
	e := &storage.Event{Time: s.now().UTC(), Type: typ, UserID: userID, App: app, Detail: detail}
	if r != nil {
		e.IP = s.clientIP(r)
		if ua := r.UserAgent(); ua != "" {
			if e.Detail == nil {
				e.Detail = map[string]string{}
			}
			e.Detail["user_agent"] = truncate(ua, 200)
		}
	}
	return e
}
