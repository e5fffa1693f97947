package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/signing"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// Blind-index domains. An openid only means something within its app, so
// its index covers the AppID; a unionid is shared by the apps of one open
// account, so its index does not.
const (
	indexOpenID  = "openid"
	indexUnionID = "unionid"
)

// Sealed fields are bound (as AAD) to the field's name and to the row's
// blind index, so a blob copied into another row or column does not open.
const (
	fieldOpenID       = "openid"
	fieldUnionID      = "unionid"
	fieldSessionKey   = "session_key"
	fieldAccessToken  = "access_token"
	fieldRefreshToken = "refresh_token"
	fieldPhone        = "phone"
	fieldSigningKey   = "signing_key"
)

func aad(field string, rowKey []byte) []byte {
	return []byte(field + "/" + hex.EncodeToString(rowKey))
}

func (s *Server) seal(field string, rowKey []byte, plaintext string) ([]byte, error) {
	if plaintext == "" {
		return nil, nil
	}
	return s.keyring().Seal([]byte(plaintext), aad(field, rowKey))
}

func (s *Server) open(field string, rowKey, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	kr := s.keyring()
	p, err := kr.Open(sealed, aad(field, rowKey))
	if err != nil && s.reloadForUnknownKey(kr, sealed) {
		p, err = s.keyring().Open(sealed, aad(field, rowKey))
	}
	if err != nil {
		return "", fmt.Errorf("gateway: opening sealed %s: %w", field, err)
	}
	return string(p), nil
}

// wechatLogin is what a WeChat login revealed about a person, and what
// WeChat issued that the gateway keeps.
type wechatLogin struct {
	app     *app
	openID  string
	unionID string
	profile *wechat.UserInfo // nil when the flow gives none (mini-program)
	// sessionKey is the mini-program's new session_key.
	sessionKey wechat.SessionKey
	// userToken is the user's WeChat token (website, official account, mobile).
	userToken *wechat.UserToken
}

// countLogin records a login's outcome in the metrics and, for failures
// caused by the client or WeChat, in the audit trail.
func (s *Server) countLogin(r *http.Request, a *app, userID string, err error) {
	if a == nil {
		return
	}
	outcome := outcomeLabel(err)
	s.metrics.logins.WithLabelValues(a.Name(), string(a.Type()), outcome).Inc()
	if err != nil {
		// A successful login's event was stored with the login itself.
		s.event(r.Context(), r, EventLoginFailed, "", a.Name(), map[string]string{"type": string(a.Type()), "error": outcome})
	}
}

// login resolves a WeChat login to one wxgate user (by unionid across the
// apps of an open account, else by app and openid), records what WeChat
// issued, and starts a session: one storage transaction, so a login either
// happens whole or not at all. Everything secret is sealed before the
// transaction, so the update it applies only assigns values.
func (s *Server) login(r *http.Request, l wechatLogin) (loginAnswer, storage.LinkResult, error) {
	ctx := r.Context()
	kr := s.keyring()
	now := s.now().UTC()
	openIdx := kr.Index(indexOpenID, l.app.AppID(), l.openID)
	ident := storage.Identity{
		ID:          newID("idn"),
		AppID:       l.app.AppID(),
		OpenIDIndex: openIdx,
		CreatedAt:   now,
		UpdatedAt:   now,
		LastLoginAt: now,
	}
	var err error
	if ident.OpenID, err = s.seal(fieldOpenID, openIdx, l.openID); err != nil {
		return loginAnswer{}, storage.LinkResult{}, err
	}
	if l.unionID != "" {
		ident.UnionIDIndex = kr.Index(indexUnionID, l.unionID)
		if ident.UnionID, err = s.seal(fieldUnionID, ident.UnionIDIndex, l.unionID); err != nil {
			return loginAnswer{}, storage.LinkResult{}, err
		}
	}
	var key, access, refresh []byte
	if !l.sessionKey.IsZero() {
		if key, err = s.seal(fieldSessionKey, openIdx, l.sessionKey.Reveal()); err != nil {
			return loginAnswer{}, storage.LinkResult{}, err
		}
	}
	if l.userToken != nil {
		if access, err = s.seal(fieldAccessToken, openIdx, l.userToken.AccessToken.Reveal()); err != nil {
			return loginAnswer{}, storage.LinkResult{}, err
		}
		if refresh, err = s.seal(fieldRefreshToken, openIdx, l.userToken.RefreshToken.Reveal()); err != nil {
			return loginAnswer{}, storage.LinkResult{}, err
		}
	}
	user := storage.User{ID: newID("usr"), CreatedAt: now, UpdatedAt: now}
	if l.profile != nil {
		applyProfile(&user, l.profile)
	}
	// Every login gets a new token: nothing a client held before stays
	// valid for it.
	tok := session.NewToken()
	var signKey []byte
	if l.app.cfg.SignRequests {
		// Stored sealed so that every verifier of the session (the
		// session package in services behind the gateway) sees that it
		// belongs to an app whose requests must be signed.
		h := session.HashToken(tok)
		if signKey, err = s.seal(fieldSigningKey, h, string(s.signingKey(h))); err != nil {
			return loginAnswer{}, storage.LinkResult{}, err
		}
	}
	req := storage.LinkRequest{
		Identity: ident,
		NewUser:  user,
		Session: &storage.Session{
			ID:         newID("ses"),
			TokenHash:  session.HashToken(tok),
			App:        l.app.Name(),
			CreatedAt:  now,
			LastSeenAt: now,
			ExpiresAt:  now.Add(time.Duration(s.cfg.Sessions.AbsoluteTimeout)),
			SigningKey: signKey,
		},
		// The login's audit record commits with it.
		Event: s.newEvent(r, EventLogin, "", l.app.Name(), map[string]string{"type": string(l.app.Type())}),
		Update: func(i storage.Identity) (storage.Identity, error) {
			if key != nil {
				i.SessionKey, i.SessionKeyAt = key, now
			}
			if l.userToken != nil {
				i.AccessToken, i.RefreshToken = access, refresh
				i.AccessExpiresAt = now.Add(l.userToken.ExpiresIn)
				i.RefreshExpiresAt = now.Add(refreshTokenLife)
				i.Scope = l.userToken.Scope
			}
			i.LastLoginAt, i.UpdatedAt = now, now
			return i, nil
		},
	}
	req.ResealPhone = s.ResealPhone
	req.NoNewUser = !s.signupAllowed(ctx)
	if s.cfg.Accounts.Merge == config.MergeManual {
		req.Merge = storage.MergeManual
	}
	res, err := s.store.LinkIdentity(ctx, req)
	if err != nil {
		return loginAnswer{}, storage.LinkResult{}, accountFailure(err)
	}
	switch {
	case res.MergedFrom != "":
		s.log.Info("merged two users of one person", "from", res.MergedFrom, "into", res.User.ID, "app", l.app.Name())
		s.notifyMerge(res.MergedFrom, res.User.ID)
	case res.Conflict != "":
		s.log.Warn("two users are one person; merge them (accounts.merge is manual)", "user", res.User.ID, "other_user", res.Conflict, "app", l.app.Name())
	}
	if l.profile != nil && !res.CreatedUser {
		res.User, err = s.store.UpdateUser(ctx, res.User.ID, func(u storage.User) (storage.User, error) {
			applyProfile(&u, l.profile)
			u.UpdatedAt = now
			return u, nil
		})
		if err != nil {
			return loginAnswer{}, storage.LinkResult{}, storageFailure(err)
		}
	}
	if l.profile != nil {
		res.User = s.copyAvatar(ctx, res.User, l.profile.HeadImgURL)
	}
	switch {
	case res.CreatedUser:
		s.log.Info("new user", "user", res.User.ID, "app", l.app.Name())
	case res.CreatedIdentity:
		s.log.Info("linked a new app to an existing user", "user", res.User.ID, "app", l.app.Name())
	}
	v, err := s.view(res.User, &res.Identity, l.app)
	if err != nil {
		return loginAnswer{}, storage.LinkResult{}, err
	}
	s.log.Info("login", "app", l.app.Name(), "user", res.User.ID, "session", res.Session.ID, "new_user", res.CreatedUser)
	ans := loginAnswer{Token: tok, ExpiresIn: s.sessionExpiresIn(res.Session), User: v}
	if l.app.cfg.SignRequests {
		ans.SigningKey = signing.KeyString(s.signingKey(res.Session.TokenHash))
	}
	return ans, res, nil
}

// updateIdentity records what a login changed on the identity.
func (s *Server) updateIdentity(ctx context.Context, id string, fn func(*storage.Identity) error) (storage.Identity, error) {
	ident, err := s.store.UpdateIdentity(ctx, id, func(i storage.Identity) (storage.Identity, error) {
		if err := fn(&i); err != nil {
			return i, err
		}
		i.UpdatedAt = s.now().UTC()
		return i, nil
	})
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ident, err
		}
		return ident, storageFailure(err)
	}
	return ident, nil
}

// userView is a user as the API shows them.
type userView struct {
	ID        string `json:"id"`
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatar_url"`
	Sex       int    `json:"sex"`
	Province  string `json:"province,omitempty"`
	City      string `json:"city,omitempty"`
	Country   string `json:"country,omitempty"`
	// OpenID and UnionID appear only for apps whose operator set
	// expose_openid.
	OpenID  string `json:"openid,omitempty"`
	UnionID string `json:"unionid,omitempty"`
}

// view renders a user for the app a session belongs to.
func (s *Server) view(u storage.User, ident *storage.Identity, a *app) (userView, error) {
	v := userView{ID: u.ID, Nickname: u.Nickname, AvatarURL: u.AvatarURL, Sex: u.Sex,
		Province: u.Province, City: u.City, Country: u.Country}
	if ident != nil && a != nil && a.cfg.ExposeOpenID {
		var err error
		if v.OpenID, err = s.open(fieldOpenID, ident.OpenIDIndex, ident.OpenID); err != nil {
			return v, err
		}
		if v.UnionID, err = s.open(fieldUnionID, ident.UnionIDIndex, ident.UnionID); err != nil {
			return v, err
		}
	}
	return v, nil
}

// loginAnswer is the body of every login endpoint's success.
type loginAnswer struct {
	Token     string `json:"token"`
	ExpiresIn int64  `json:"expires_in"`
	// SigningKey is the session's request-signing key, for apps with
	// sign_requests (docs/signing.md).
	SigningKey string   `json:"signing_key,omitempty"`
	User       userView `json:"user"`
}
