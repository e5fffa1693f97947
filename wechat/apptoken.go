package wechat

import (
	"context"
	"net/url"
	"time"
)

// AppToken is an app's access token (cgi-bin/token or cgi-bin/stable_token),
// the credential of server-side APIs such as getuserphonenumber. One app has
// one current token: fetch it in one place (wxgate's central control) and
// share it.
type AppToken struct {
	AccessToken Token
	ExpiresIn   time.Duration
}

type appTokenBody struct {
	AccessToken Token   `json:"access_token"`
	ExpiresIn   flexInt `json:"expires_in"`
}

func (b *appTokenBody) missing() string {
	switch {
	case b.AccessToken.IsZero():
		return "access_token"
	case b.ExpiresIn <= 0:
		return "expires_in"
	}
	return ""
}

func (b *appTokenBody) token() *AppToken {
	return &AppToken{AccessToken: b.AccessToken, ExpiresIn: time.Duration(b.ExpiresIn) * time.Second}
}

// AccessToken fetches a new app access token the classic way
// (GET cgi-bin/token). Every call invalidates the previous token after a
// five-minute overlap and counts against a daily quota of 2000: callers
// must cache the result and fetch from one place only.
func (c *Client) AccessToken(ctx context.Context) (*AppToken, error) {
	q := url.Values{
		"grant_type": {"client_credential"},
		"appid":      {c.appID},
		"secret":     {c.secret.Reveal()},
	}
	var b appTokenBody
	if err := c.get(ctx, "/cgi-bin/token", q, &b); err != nil {
		return nil, err
	}
	return b.token(), nil
}

// StableAccessToken fetches the app's stable access token
// (POST cgi-bin/stable_token). Without forceRefresh, WeChat returns the same
// token while it is valid, so independent callers do not invalidate each
// other. forceRefresh invalidates the current token and is limited to 20 a
// day, 30 seconds apart: use it only after the token was refused.
func (c *Client) StableAccessToken(ctx context.Context, forceRefresh bool) (*AppToken, error) {
	body := struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", c.appID, c.secret.Reveal(), forceRefresh}
	var b appTokenBody
	if err := c.postJSON(ctx, "/cgi-bin/stable_token", nil, body, &b); err != nil {
		return nil, err
	}
	return b.token(), nil
}
