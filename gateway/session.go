package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage"
)

// sessionExpiresIn is what login answers report as expires_in: the time
// until the absolute expiry (the idle timeout may end a session sooner).
func (s *Server) sessionExpiresIn(sess storage.Session) int64 {
	return int64(sess.ExpiresAt.Sub(s.now()).Seconds())
}

// authenticate returns the live session of a request, or a 401 error.
func (s *Server) authenticate(r *http.Request) (storage.Session, error) {
	tok, _, dup := s.sessionToken(r)
	if dup {
		return storage.Session{}, errDuplicateCookie.New()
	}
	sess, err := s.sessions.Verify(r.Context(), tok)
	switch {
	case err == nil:
		return sess, nil
	case errors.Is(err, session.ErrMissing):
		return sess, errUnauthenticated.New()
	case errors.Is(err, session.ErrInvalid):
		return sess, errSessionExpired.New()
	default:
		return sess, storageFailure(err)
	}
}

// storageFailure maps a storage error to the client's answer: 503 while the
// backend is down, 500 otherwise.
func storageFailure(err error) error {
	if errors.Is(err, storage.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return errStorageUnavailable.Because(err)
	}
	return err
}
