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
	e := storage.Event{Time: s.now().UTC(), Type: typ, UserID: userID, App: app, Detail: detail}
	if r != nil {
		e.IP = s.clientIP(r)
		if ua := r.UserAgent(); ua != "" {
			if e.Detail == nil {
				e.Detail = map[string]string{}
			}
			e.Detail["user_agent"] = truncate(ua, 200)
		}
	}
	if _, err := s.store.AppendEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.Warn("recording a security event failed", "type", typ, "err", err)
	}
}
