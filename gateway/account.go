package gateway

import (
	"errors"
	"net/http"
	"sort"

	"github.com/wxgate/wxgate/storage"
)

// linkedApp is one WeChat app a user has logged in with.
type linkedApp struct {
	App         string `json:"app"`
	Type        string `json:"type"`
	LinkedAt    string `json:"linked_at"`
	LastLoginAt string `json:"last_login_at"`
}

// handleMe is GET /auth/me: the session's user, and the apps linked to them.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticateSigned(r, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			s.writeError(w, r, errSessionExpired.New())
			return
		}
		s.writeError(w, r, storageFailure(err))
		return
	}
	idents, err := s.store.ListIdentities(ctx, u.ID)
	if err != nil {
		s.writeError(w, r, storageFailure(err))
		return
	}
	var own *storage.Identity
	for i := range idents {
		if idents[i].ID == sess.IdentityID {
			u = s.refreshProfile(ctx, u, idents[i])
		}
	}
	linked := []linkedApp{}
	for i := range idents {
		id := &idents[i]
		if id.ID == sess.IdentityID {
			own = id
		}
		a, ok := s.apps.byAppID[id.AppID]
		if !ok {
			continue
		}
		linked = append(linked, linkedApp{App: a.Name(), Type: string(a.Type()),
			LinkedAt: id.CreatedAt.UTC().Format(timeFormat), LastLoginAt: id.LastLoginAt.UTC().Format(timeFormat)})
	}
	sort.Slice(linked, func(i, j int) bool { return linked[i].LinkedAt < linked[j].LinkedAt })
	v, err := s.view(u, own, s.apps.byName[sess.App])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meAnswer{
		User: v, HasPhone: len(u.Phone) > 0, Linked: linked,
		Session: sessionInfo{App: sess.App, ExpiresIn: s.sessionExpiresIn(sess)},
	})
}

// meAnswer is the JSON of GET /auth/me.
type meAnswer struct {
	User     userView    `json:"user"`
	HasPhone bool        `json:"has_phone"`
	Linked   []linkedApp `json:"linked"`
	Session  sessionInfo `json:"session"`
}

type sessionInfo struct {
	App       string `json:"app"`
	ExpiresIn int64  `json:"expires_in"`
}

const timeFormat = "2006-01-02T15:04:05Z07:00"

// handleLogout is POST /auth/logout: the session is revoked everywhere
// (every instance reads the same store) and the cookie cleared. A request
// without a live session still gets 204: logging out is idempotent. A live
// session of an app with sign_requests whose logout is not validly signed
// gets 401 bad_signature and stays as it was.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, fromCookie, _ := s.sessionToken(r); fromCookie && !s.sameOrigin(r) {
		s.writeError(w, r, errCrossOrigin.Msg("logout with the session cookie must come from the gateway's own origin"))
		return
	}
	body, err := readBody(r, smallBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.authenticateSigned(r, body)
	switch {
	case hasCode(err, "bad_signature"):
		// A live session whose logout is not signed as its app requires:
		// refuse, and leave the session and the cookie as they are.
		s.writeError(w, r, err)
		return
	case err == nil:
		if err := s.store.DeleteSession(r.Context(), sess.ID); err != nil {
			s.writeError(w, r, storageFailure(err))
			return
		}
		s.log.Info("logout", "user", sess.UserID, "session", sess.ID)
		s.event(r.Context(), r, EventLogout, sess.UserID, sess.App, nil)
	case !isAuthError(err):
		s.writeError(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

func isAuthError(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// handleVerify is forward-auth for a reverse proxy (nginx auth_request,
// Caddy forward_auth, Traefik ForwardAuth): 204 with X-Wxgate-User-Id for a
// live session, 401 otherwise. Any method is accepted, since proxies pass
// the original request's.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	sess, err := s.authenticate(r)
	if err == nil {
		err = s.verifyForwarded(r, sess)
	}
	if err != nil {
		if isAuthError(err) {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Wxgate-User-Id", sess.UserID)
	h.Set("X-Wxgate-Session-Id", sess.ID)
	h.Set("X-Wxgate-App", sess.App)
	w.WriteHeader(http.StatusNoContent)
}

// hasCode reports whether err is a client error with the catalogue code.
func hasCode(err error, code string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}
