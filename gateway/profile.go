package gateway

import (
	"context"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// profileMaxAge is how old a user's profile may get before /auth/me asks
// WeChat again (with the user's own token).
const profileMaxAge = 24 * time.Hour

// refreshProfile updates an OAuth user's profile (nickname, place, avatar)
// from sns/userinfo when it is older than profileMaxAge. It uses the
// identity's sealed WeChat tokens as WeChat documents them: an expired
// access token is replaced through the refresh token (valid 30 days, not
// renewed); once that has expired too, only a new login can refresh the
// profile. Failures are logged, never shown: the caller answers with what
// it has.
func (s *Server) refreshProfile(ctx context.Context, u storage.User, ident storage.Identity) storage.User {
	a, ok := s.apps.byAppID[ident.AppID]
	now := s.now()
	if !ok || len(ident.RefreshToken) == 0 || now.Sub(u.UpdatedAt) < profileMaxAge {
		return u
	}
	if !scopeAllowsProfile(ident.Scope) {
		return u
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	access, err := s.open(fieldAccessToken, ident.OpenIDIndex, ident.AccessToken)
	if err != nil {
		s.log.Warn("opening the user's WeChat token failed", "user", u.ID, "err", err)
		return u
	}
	if !now.Before(ident.AccessExpiresAt.Add(-time.Minute)) {
		if !now.Before(ident.RefreshExpiresAt) {
			s.log.Debug("the user's WeChat refresh token has expired; the profile refreshes at the next login", "user", u.ID)
			return u
		}
		if access, err = s.renewUserToken(ctx, a, ident); err != nil {
			s.log.Warn("renewing the user's WeChat token failed", "user", u.ID, "app", a.Name(), "err", err)
			return u
		}
	}
	openID, err := s.open(fieldOpenID, ident.OpenIDIndex, ident.OpenID)
	if err != nil {
		return u
	}
	var p *wechat.UserInfo
	err = wechat.Retry(ctx, 3, func() error {
		var err error
		p, err = a.Client().UserInfo(ctx, wechat.NewToken(access), openID, wechat.LangZhCN)
		return err
	})
	if err != nil {
		s.log.Warn("refreshing the user's WeChat profile failed", "user", u.ID, "app", a.Name(), "err", err)
		return u
	}
	updated, err := s.store.UpdateUser(ctx, u.ID, func(x storage.User) (storage.User, error) {
		applyProfile(&x, p)
		x.UpdatedAt = now.UTC()
		return x, nil
	})
	if err != nil {
		s.log.Warn("storing the refreshed profile failed", "user", u.ID, "err", err)
		return u
	}
	s.log.Info("refreshed the user's WeChat profile", "user", u.ID, "app", a.Name())
	return s.copyAvatar(ctx, updated, p.HeadImgURL)
}

// renewUserToken exchanges the identity's refresh token for a new access
// token and stores it, sealed; it returns the new access token.
func (s *Server) renewUserToken(ctx context.Context, a *app, ident storage.Identity) (string, error) {
	rt, err := s.open(fieldRefreshToken, ident.OpenIDIndex, ident.RefreshToken)
	if err != nil {
		return "", err
	}
	var t *wechat.UserToken
	if err := wechat.Retry(ctx, 3, func() error {
		var err error
		t, err = a.Client().RefreshToken(ctx, wechat.NewToken(rt))
		return err
	}); err != nil {
		return "", err
	}
	access, err := s.seal(fieldAccessToken, ident.OpenIDIndex, t.AccessToken.Reveal())
	if err != nil {
		return "", err
	}
	refresh, err := s.seal(fieldRefreshToken, ident.OpenIDIndex, t.RefreshToken.Reveal())
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	_, err = s.updateIdentity(ctx, ident.ID, func(i *storage.Identity) error {
		i.AccessToken, i.AccessExpiresAt = access, now.Add(t.ExpiresIn)
		// The refresh token keeps its original expiry: WeChat does not
		// renew it, even when it hands back a new string.
		i.RefreshToken = refresh
		return nil
	})
	return t.AccessToken.Reveal(), err
}

func scopeAllowsProfile(scope string) bool {
	t := &wechat.UserToken{Scope: scope}
	return hasScope(t, wechat.ScopeUserInfo) || hasScope(t, wechat.ScopeLogin)
}
