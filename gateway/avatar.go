package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// avatarTimeout bounds fetching a user's avatar from WeChat during login.
const avatarTimeout = 3 * time.Second

// copyAvatar keeps a copy of the user's WeChat avatar and points the
// user's avatar_url at the gateway's own URL for it. WeChat's avatar URLs
// stop working when the person changes their avatar (seed 003), so a site
// that stores them shows broken images later. An unchanged source URL is
// not fetched again. Failures keep WeChat's URL and are only logged: the
// login itself succeeded.
func (s *Server) copyAvatar(ctx context.Context, u storage.User, src string) storage.User {
	if src == "" || isPlaceholderAvatar(src) {
		// WeChat's grey default is not a picture of the person: it never
		// replaces one the user has, and is not copied.
		return u
	}
	h := sha256.Sum256([]byte(src))
	if cur, err := s.store.GetUserAvatar(ctx, u.ID); err == nil && string(cur.Source) == string(h[:]) {
		return s.pointAvatar(ctx, u, s.avatarURL(cur.ID))
	}
	data, ctype, err := s.fetchAvatar(ctx, src)
	if err != nil {
		s.log.Warn("copying the user's WeChat avatar failed; keeping WeChat's URL", "user", u.ID, "err", err)
		return s.pointAvatar(ctx, u, src)
	}
	a := storage.Avatar{ID: newID("av"), UserID: u.ID, ContentType: ctype, Data: data, Source: h[:], CreatedAt: s.now().UTC()}
	if err := s.store.PutAvatar(ctx, a); err != nil {
		s.log.Warn("storing the avatar copy failed", "user", u.ID, "err", err)
		return s.pointAvatar(ctx, u, src)
	}
	return s.pointAvatar(ctx, u, s.avatarURL(a.ID))
}

func (s *Server) avatarURL(id string) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/auth/avatars/" + id
}

// pointAvatar sets the user's avatar_url, if it differs.
func (s *Server) pointAvatar(ctx context.Context, u storage.User, avatar string) storage.User {
	if u.AvatarURL == avatar {
		return u
	}
	updated, err := s.store.UpdateUser(ctx, u.ID, func(x storage.User) (storage.User, error) {
		x.AvatarURL = avatar
		return x, nil
	})
	if err != nil {
		s.log.Warn("updating the user's avatar URL failed", "user", u.ID, "err", err)
		return u
	}
	return updated
}

// fetchAvatar downloads an image: http(s) only, from WeChat's avatar hosts
// or the configured WeChat base (see avatarFetcher), no redirects, an image
// media type, at most storage.MaxAvatarSize bytes.
func (s *Server) fetchAvatar(ctx context.Context, src string) ([]byte, string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return nil, "", errors.New("avatar URL is not http(s)")
	}
	if err := s.avatars.allowed(u); err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, avatarTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := s.avatars.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fetching the avatar: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("fetching the avatar: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, storage.MaxAvatarSize+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > storage.MaxAvatarSize {
		return nil, "", errors.New("the avatar is larger than 1 MiB")
	}
	ctype := http.DetectContentType(data)
	if !allowedImage(ctype) {
		return nil, "", fmt.Errorf("the avatar is %s, not an image", ctype)
	}
	return data, ctype, nil
}

func allowedImage(ctype string) bool {
	switch ctype {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// redactURLError drops the query of the URL Go's HTTP client quotes.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
	}
	return err
}

// handleAvatar is GET /auth/avatars/{id}: a copy of a user's avatar. The
// id changes whenever the avatar does, so the answer is cacheable for good.
func (s *Server) handleAvatar(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/auth/avatars/")
	if len(id) > 64 || strings.ContainsRune(id, '/') {
		s.writeError(w, r, errNotFound.Msg("no such avatar"))
		return
	}
	a, err := s.store.GetAvatar(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		s.writeError(w, r, errNotFound.Msg("no such avatar"))
		return
	}
	if err != nil {
		s.writeError(w, r, storageFailure(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(a.Data)
}
