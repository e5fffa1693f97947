package emulator

import (
	"net/http"
	"net/url"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// userToken is a user access token from sns/oauth2. Its fields are guarded
// by Emulator.tokMu.
type userToken struct {
	value   string
	b       *binding
	scope   wechat.Scope
	expires time.Time
	revoked bool
}

// refreshToken is a user refresh token and the access token it renews.
// Guarded by Emulator.tokMu.
type refreshToken struct {
	value   string
	b       *binding
	scope   wechat.Scope
	expires time.Time
	access  *userToken
	revoked bool
}

// userTokenBody is the success answer of sns/oauth2/access_token and
// refresh_token: no errcode.
type userTokenBody struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	Scope        string `json:"scope"`
	UnionID      string `json:"unionid,omitempty"`
}

// codeExchangeParams reads the parameters every code exchange takes
// (appid, secret, the code under codeParam, grant_type=authorization_code)
// and returns the errcode WeChat answers when one is missing or wrong.
func codeExchangeParams(q url.Values, codeParam string) (appid, secret, c string, errcode int) {
	appid, secret, c = q.Get("appid"), q.Get("secret"), q.Get(codeParam)
	switch {
	case appid == "":
		errcode = 41002
	case secret == "":
		errcode = 41004
	case c == "":
		errcode = 41008
	case q.Get("grant_type") != "authorization_code":
		errcode = 40002
	}
	return appid, secret, c, errcode
}

// handleOAuthToken is sns/oauth2/access_token: an OAuth code (website,
// official account, mobile app) for the user's tokens.
func (e *Emulator) handleOAuthToken(w http.ResponseWriter, r *http.Request) int {
	appid, secret, c, errcode := codeExchangeParams(r.URL.Query(), "code")
	if errcode != 0 {
		return errcode
	}
	a := e.app(appid)
	if a == nil {
		return 40013
	}
	if !a.checkSecret(secret) {
		return 40125
	}
	now := e.clock.now()
	var at *userToken
	var rt *refreshToken
	_, errcode = e.codes.claim(now, c, codeOAuth, appid, e.rules.expiredCode, 40163,
		func(cd *code) int {
			at, rt = e.issueUserTokens(now, cd.b, cd.scope)
			cd.tokens = rt
			return 0
		},
		func(cd *code) {
			if e.rules.revokeOnReuse && cd.tokens != nil {
				e.revoke(cd.tokens)
			}
		})
	if errcode != 0 {
		return errcode
	}
	body := userTokenBody{AccessToken: at.value, ExpiresIn: tokenTTL, RefreshToken: rt.value, OpenID: at.b.openid, Scope: string(at.scope)}
	// Official accounts give the unionid only with snsapi_userinfo; website
	// and mobile apps whenever they belong to an open account.
	if a.typ != wechat.AppTypeOfficialAccount || at.scope == wechat.ScopeUserInfo {
		body.UnionID = at.b.unionid
	}
	writeJSON(w, body)
	return 0
}

// issueUserTokens creates an access and refresh token for b.
func (e *Emulator) issueUserTokens(now time.Time, b *binding, scope wechat.Scope) (*userToken, *refreshToken) {
	at := &userToken{value: newToken(), b: b, scope: scope, expires: now.Add(tokenTTL * time.Second)}
	rt := &refreshToken{value: newToken(), b: b, scope: scope, expires: now.Add(e.rules.refreshTTL), access: at}
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	e.sweepUserTokens(now)
	if e.rules.baseRevokesRefresh {
		if scope == wechat.ScopeBase {
			for _, old := range b.refresh {
				if old.scope == wechat.ScopeUserInfo {
					old.revoked = true
				}
			}
		}
		b.refresh = append(b.refresh, rt)
	}
	e.userTokens[at.value] = at
	e.refreshTokens[rt.value] = rt
	return at, rt
}

// revoke voids a refresh token and its access token.
func (e *Emulator) revoke(rt *refreshToken) {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	rt.revoked = true
	if rt.access != nil {
		rt.access.revoked = true
	}
}

// sweepUserTokens forgets tokens a day after they expired, at most once a
// virtual minute. Called with tokMu held.
func (e *Emulator) sweepUserTokens(now time.Time) {
	if now.Sub(e.tokSwept) < sweepEvery*time.Second {
		return
	}
	e.tokSwept = now
	cutoff := now.Add(-retainExpired * time.Second)
	for v, t := range e.userTokens {
		if t.expires.Before(cutoff) {
			delete(e.userTokens, v)
		}
	}
	touched := map[*binding]bool{}
	for v, t := range e.refreshTokens {
		if t.expires.Before(cutoff) {
			delete(e.refreshTokens, v)
			touched[t.b] = len(t.b.refresh) > 0
		}
	}
	for b, listed := range touched {
		if !listed {
			continue
		}
		rs := b.refresh[:0]
		for _, x := range b.refresh {
			if !x.expires.Before(cutoff) {
				rs = append(rs, x)
			}
		}
		b.refresh = rs
	}
}

// handleRefresh is sns/oauth2/refresh_token. An expired access token is
// replaced by a new one; an unexpired one comes back with a fresh 7200 s.
// The refresh token keeps its string (unless RotateRefreshToken) and its
// original expiry.
func (e *Emulator) handleRefresh(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	appid, v := q.Get("appid"), q.Get("refresh_token")
	switch {
	case appid == "":
		return 41002
	case v == "":
		return 41003
	case q.Get("grant_type") != "refresh_token":
		return 40002
	}
	if e.app(appid) == nil {
		return 40013
	}
	now := e.clock.now()
	e.tokMu.Lock()
	rt := e.refreshTokens[v]
	switch {
	case rt == nil || rt.b.app.appid != appid || rt.revoked:
		e.tokMu.Unlock()
		return 40030
	case !now.Before(rt.expires):
		e.tokMu.Unlock()
		return 42002
	}
	at := rt.access
	if at != nil && !at.revoked && now.Before(at.expires) {
		at.expires = now.Add(tokenTTL * time.Second)
	} else {
		at = &userToken{value: newToken(), b: rt.b, scope: rt.scope, expires: now.Add(tokenTTL * time.Second)}
		e.userTokens[at.value] = at
		rt.access = at
	}
	if e.rules.rotateRefresh {
		nrt := *rt
		nrt.value = newToken()
		rt.revoked, rt.access = true, nil
		e.refreshTokens[nrt.value] = &nrt
		rt = &nrt
		if e.rules.baseRevokesRefresh {
			rt.b.refresh = append(rt.b.refresh, rt)
		}
	}
	body := userTokenBody{AccessToken: at.value, ExpiresIn: tokenTTL, RefreshToken: rt.value, OpenID: rt.b.openid, Scope: string(rt.scope)}
	e.tokMu.Unlock()
	writeJSON(w, body)
	return 0
}

// userTokenFor validates a user access token for openid. Errcodes: 41001
// missing, 41009 openid missing, 40001 an app access token, 40014 unknown
// or revoked, 42001 expired, 40003 another user's openid.
func (e *Emulator) userTokenFor(v, openid string) (*userToken, int) {
	if v == "" {
		return nil, 41001
	}
	if openid == "" {
		return nil, 41009
	}
	now := e.clock.now()
	e.tokMu.Lock()
	t := e.userTokens[v]
	var (
		revoked bool
		expires time.Time
	)
	if t != nil {
		revoked, expires = t.revoked, t.expires
	}
	e.tokMu.Unlock()
	switch {
	case t == nil:
		if e.isAppToken(v) {
			return nil, 40001 // an app token on a user-token API
		}
		return nil, 40014
	case revoked:
		return nil, 40014
	case !now.Before(expires):
		return nil, 42001
	case !constantEqual(t.b.openid, openid):
		return nil, 40003
	}
	return t, 0
}

// handleSnsAuth is sns/auth: is this user access token valid for openid?
func (e *Emulator) handleSnsAuth(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	if _, errcode := e.userTokenFor(q.Get("access_token"), q.Get("openid")); errcode != 0 {
		return errcode
	}
	writeOK(w)
	return 0
}

// userInfoBody is sns/userinfo's answer.
type userInfoBody struct {
	OpenID     string   `json:"openid"`
	Nickname   string   `json:"nickname"`
	Sex        int      `json:"sex"`
	Province   string   `json:"province"`
	City       string   `json:"city"`
	Country    string   `json:"country"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
	UnionID    string   `json:"unionid,omitempty"`
}

// handleUserInfo is sns/userinfo: the profile behind a user token that was
// granted more than snsapi_base.
func (e *Emulator) handleUserInfo(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	t, errcode := e.userTokenFor(q.Get("access_token"), q.Get("openid"))
	if errcode != 0 {
		return errcode
	}
	if t.scope == wechat.ScopeBase {
		return 48001
	}
	u, err := e.getUser(t.b.userID, baseURL(r))
	if err != nil {
		return 40003
	}
	writeJSON(w, userInfoBody{
		OpenID: t.b.openid, Nickname: u.Nickname, Sex: u.Sex, Province: u.Province, City: u.City,
		Country: u.Country, HeadImgURL: u.HeadImgURL, Privilege: []string{}, UnionID: t.b.unionid,
	})
	return 0
}
