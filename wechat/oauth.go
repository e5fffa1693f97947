package wechat

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// UserToken is a user's authorization from website, official-account or
// mobile-app login (sns/oauth2/access_token and refresh_token). Keep it on
// the server.
type UserToken struct {
	AccessToken  Token
	ExpiresIn    time.Duration
	RefreshToken Token
	OpenID       string
	// UnionID is set when the app belongs to an open-platform account (for
	// official accounts, only with ScopeUserInfo).
	UnionID string
	// Scope is the comma-separated granted scope, e.g. "snsapi_login".
	Scope string
	// IsSnapshotUser marks the virtual account of an official account's
	// snapshot page: its openid is not a real user's.
	IsSnapshotUser bool
}

// Scopes returns the granted scopes.
func (t *UserToken) Scopes() []Scope {
	var out []Scope
	for _, s := range strings.Split(t.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, Scope(s))
		}
	}
	return out
}

type userTokenBody struct {
	AccessToken    Token   `json:"access_token"`
	ExpiresIn      flexInt `json:"expires_in"`
	RefreshToken   Token   `json:"refresh_token"`
	OpenID         string  `json:"openid"`
	UnionID        string  `json:"unionid"`
	Scope          string  `json:"scope"`
	IsSnapshotUser flexInt `json:"is_snapshotuser"`
}

func (b *userTokenBody) missing() string {
	switch {
	case b.AccessToken.IsZero():
		return "access_token"
	case b.ExpiresIn <= 0:
		return "expires_in"
	case b.OpenID == "":
		return "openid"
	}
	return ""
}

func (b *userTokenBody) token() *UserToken {
	return &UserToken{
		AccessToken:    b.AccessToken,
		ExpiresIn:      time.Duration(b.ExpiresIn) * time.Second,
		RefreshToken:   b.RefreshToken,
		OpenID:         b.OpenID,
		UnionID:        b.UnionID,
		Scope:          b.Scope,
		IsSnapshotUser: b.IsSnapshotUser == 1,
	}
}

// ExchangeCode exchanges the code of a website, official-account or
// mobile-app authorization for the user's token (sns/oauth2/access_token).
// The code is single-use: never retry this call with the same code after it
// may have reached WeChat.
func (c *Client) ExchangeCode(ctx context.Context, code string) (*UserToken, error) {
	if code == "" {
		return nil, errors.New("wechat: ExchangeCode: empty code")
	}
	q := url.Values{
		"appid":      {c.appID},
		"secret":     {c.secret.Reveal()},
		"code":       {code},
		"grant_type": {"authorization_code"},
	}
	var b userTokenBody
	if err := c.get(ctx, "/sns/oauth2/access_token", q, &b); err != nil {
		return nil, err
	}
	return b.token(), nil
}

// RefreshToken renews a user's access token (sns/oauth2/refresh_token). If
// the access token had expired WeChat issues a new one; otherwise it extends
// the same one. The refresh token itself is not renewed.
func (c *Client) RefreshToken(ctx context.Context, refreshToken Token) (*UserToken, error) {
	if refreshToken.IsZero() {
		return nil, errors.New("wechat: RefreshToken: empty refresh token")
	}
	q := url.Values{
		"appid":         {c.appID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken.Reveal()},
	}
	var b userTokenBody
	if err := c.get(ctx, "/sns/oauth2/refresh_token", q, &b); err != nil {
		return nil, err
	}
	t := b.token()
	if t.RefreshToken.IsZero() {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// CheckAuth asks WeChat whether a user access token is still valid for
// openID (sns/auth). It returns nil when it is.
func (c *Client) CheckAuth(ctx context.Context, accessToken Token, openID string) error {
	q := url.Values{"access_token": {accessToken.Reveal()}, "openid": {openID}}
	return c.get(ctx, "/sns/auth", q, &okBody{})
}

// UserInfo is a user's public profile (sns/userinfo).
type UserInfo struct {
	OpenID   string `json:"openid"`
	Nickname string `json:"nickname"`
	// Sex is 1 male, 2 female, 0 unknown.
	Sex      int    `json:"sex"`
	Province string `json:"province"`
	City     string `json:"city"`
	Country  string `json:"country"`
	// HeadImgURL dies when the user changes their avatar: keep a copy.
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
	UnionID    string   `json:"unionid,omitempty"`
}

type userInfoBody struct {
	UserInfo
	Sex flexInt `json:"sex"`
}

func (b *userInfoBody) missing() string {
	if b.OpenID == "" {
		return "openid"
	}
	return ""
}

// Language of sns/userinfo's place names.
const (
	LangZhCN = "zh_CN"
	LangZhTW = "zh_TW"
	LangEn   = "en"
)

// UserInfo fetches the profile of the user a token was issued for
// (sns/userinfo). Tokens granted only ScopeBase get ErrUnauthorized. An empty
// lang means zh_CN.
func (c *Client) UserInfo(ctx context.Context, accessToken Token, openID, lang string) (*UserInfo, error) {
	if lang == "" {
		lang = LangZhCN
	}
	q := url.Values{"access_token": {accessToken.Reveal()}, "openid": {openID}, "lang": {lang}}
	var b userInfoBody
	if err := c.get(ctx, "/sns/userinfo", q, &b); err != nil {
		return nil, err
	}
	u := b.UserInfo
	u.Sex = int(b.Sex)
	return &u, nil
}

// MaxStateLen is the longest state WeChat's authorization pages accept.
const MaxStateLen = 128

// ValidState reports whether s is a state WeChat accepts unchanged: 1 to 128
// characters of [A-Za-z0-9].
func ValidState(s string) bool {
	if len(s) == 0 || len(s) > MaxStateLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// QRConnectURL returns the URL of the full-page website QR login
// (open.weixin.qq.com/connect/qrconnect) for this app, ending in
// #wechat_redirect. Every parameter is escaped.
func (c *Client) QRConnectURL(redirectURI, state string) string {
	return c.openBase + "/connect/qrconnect?" + orderedQuery(
		"appid", c.appID,
		"redirect_uri", redirectURI,
		"response_type", "code",
		"scope", string(ScopeLogin),
		"state", state,
	) + "#wechat_redirect"
}

// EmbedOptions are the options of wxLogin.js, WeChat's embedded QR.
type EmbedOptions struct {
	// SelfRedirect: true navigates the iframe itself to redirect_uri after
	// confirmation; false the top window; nil leaves WeChat's default.
	SelfRedirect *bool
	// Style is "black" (default, for light pages) or "white".
	Style string
	// Href is the URL of a custom stylesheet for the QR frame.
	Href string
	// StyleLite switches to the newer compact UI.
	StyleLite bool
	// DisableFastLogin turns off desktop quick login (fast_login=0).
	DisableFastLogin bool
}

// EmbeddedQRConnectURL returns the src of the iframe wxLogin.js inserts for
// an embedded QR login (qrconnect with login_type=jssdk).
func (c *Client) EmbeddedQRConnectURL(redirectURI, state string, o EmbedOptions) string {
	self := "default"
	if o.SelfRedirect != nil {
		self = strconv.FormatBool(*o.SelfRedirect)
	}
	kv := []string{
		"appid", c.appID,
		"scope", string(ScopeLogin),
		"redirect_uri", redirectURI,
		"state", state,
		"login_type", "jssdk",
		"self_redirect", self,
	}
	if o.Style != "" {
		kv = append(kv, "style", o.Style)
	}
	if o.Href != "" {
		kv = append(kv, "href", o.Href)
	}
	if o.StyleLite {
		kv = append(kv, "stylelite", "1")
	}
	if o.DisableFastLogin {
		kv = append(kv, "fast_login", "0")
	}
	return c.openBase + "/connect/qrconnect?" + orderedQuery(kv...)
}

// AuthorizeURL returns the URL of official-account web authorization
// (open.weixin.qq.com/connect/oauth2/authorize), with its parameters in the
// order WeChat's link matcher requires and #wechat_redirect appended.
// forcePopup asks WeChat to show the consent pop-up even when it could skip it.
func (c *Client) AuthorizeURL(redirectURI string, scope Scope, state string, forcePopup bool) string {
	kv := []string{
		"appid", c.appID,
		"redirect_uri", redirectURI,
		"response_type", "code",
		"scope", string(scope),
		"state", state,
	}
	if forcePopup {
		kv = append(kv, "forcePopup", "true")
	}
	return c.openBase + "/connect/oauth2/authorize?" + orderedQuery(kv...) + "#wechat_redirect"
}

// orderedQuery encodes key, value pairs in the given order (url.Values
// sorts them, and WeChat's authorize page is order-sensitive).
func orderedQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[i+1]))
	}
	return b.String()
}
