package gateway

import (
	"net/http"
	"time"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/wechat"
)

// handleMobileLogin is POST /auth/mobile/login {"app","code"}: the code the
// WeChat SDK gave the mobile app is exchanged at sns/oauth2/access_token,
// the profile fetched from sns/userinfo, and the user's WeChat tokens kept
// sealed on the server for later refresh.
func (s *Server) handleMobileLogin(w http.ResponseWriter, r *http.Request) {
	var req codeLogin
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.apps.lookup(req.App, wechat.AppTypeMobile)
	if err == nil {
		err = checkCode(req.Code, "code from the WeChat SDK's SendAuth response")
	}
	if err == nil {
		err = s.limitIP(r, ratelimit.LoginIP, a.Name())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.oauthLogin(withInvitation(r, req.Invitation), a, req.Code)
	s.countLogin(r, a, ans.User.ID, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// oauthLogin completes an OAuth-style login (mobile, website, official
// account): exchange the code exactly once, read the profile when the scope
// allows, link the user, keep the tokens, start a session.
func (s *Server) oauthLogin(r *http.Request, a *app, code string) (loginAnswer, error) {
	ctx := r.Context()
	ut, err := a.Client().ExchangeCode(ctx, code) // single-use: never retried
	if err != nil {
		return loginAnswer{}, s.wechatFailure(a, "authorization code", err)
	}
	if err := s.limitUser(r, a, ut.OpenID); err != nil {
		return loginAnswer{}, err
	}
	var profile *wechat.UserInfo
	if hasScope(ut, wechat.ScopeUserInfo) || hasScope(ut, wechat.ScopeLogin) {
		err = wechat.Retry(ctx, 3, func() error {
			var err error
			profile, err = a.Client().UserInfo(ctx, ut.AccessToken, ut.OpenID, wechat.LangZhCN)
			return err
		})
		if err != nil {
			// The login itself succeeded; a profile can be fetched later.
			s.log.Warn("fetching the user's WeChat profile failed; continuing without it", "app", a.Name(), "err", err)
			profile = nil
		}
	}
	unionID := ut.UnionID
	if unionID == "" && profile != nil {
		unionID = profile.UnionID
	}
	ans, _, err := s.login(r, wechatLogin{app: a, openID: ut.OpenID, unionID: unionID, profile: profile, userToken: ut})
	return ans, err
}

// refreshTokenLife is WeChat's documented refresh_token lifetime (30 days;
// it is not renewed by refreshing).
const refreshTokenLife = 30 * 24 * time.Hour

func hasScope(t *wechat.UserToken, want wechat.Scope) bool {
	for _, sc := range t.Scopes() {
		if sc == want {
			return true
		}
	}
	return false
}
