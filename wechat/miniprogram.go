package wechat

import (
	"context"
	"errors"
	"net/url"
)

// Session is the answer of jscode2session: who the user is, and the
// session_key that decrypts their data. Keep the SessionKey on the server.
type Session struct {
	OpenID     string     `json:"openid"`
	UnionID    string     `json:"unionid,omitempty"`
	SessionKey SessionKey `json:"session_key"`
}

func (s *Session) missing() string {
	switch {
	case s.OpenID == "":
		return "openid"
	case s.SessionKey.IsZero():
		return "session_key"
	}
	return ""
}

// Code2Session exchanges the code a mini-program got from wx.login
// (sns/jscode2session). The code is single-use: never retry this call with
// the same code after it may have reached WeChat.
func (c *Client) Code2Session(ctx context.Context, jsCode string) (*Session, error) {
	if jsCode == "" {
		return nil, errors.New("wechat: Code2Session: empty code")
	}
	q := url.Values{
		"appid":      {c.appID},
		"secret":     {c.secret.Reveal()},
		"js_code":    {jsCode},
		"grant_type": {"authorization_code"},
	}
	var s Session
	if err := c.get(ctx, "/sns/jscode2session", q, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// CheckSession asks WeChat whether key is still the user's current
// session_key (wxa/checksession). It returns nil when it is and an error
// matching ErrInvalidSignature when the key is stale. accessToken is the
// app's access token.
func (c *Client) CheckSession(ctx context.Context, accessToken Token, openID string, key SessionKey) error {
	q := url.Values{
		"access_token": {accessToken.Reveal()},
		"openid":       {openID},
		"signature":    {SessionSignature(key, nil)},
		"sig_method":   {"hmac_sha256"},
	}
	return c.get(ctx, "/wxa/checksession", q, &okBody{})
}

// PhoneInfo is a user's phone number as WeChat reports it. CountryCode is a
// string ("86"); PhoneNumber carries the country prefix for non-CN numbers.
type PhoneInfo struct {
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     string    `json:"countryCode"`
	Watermark       Watermark `json:"watermark"`
}

type phoneBody struct {
	okBody
	PhoneInfo *struct {
		PhoneNumber     string     `json:"phoneNumber"`
		PurePhoneNumber string     `json:"purePhoneNumber"`
		CountryCode     flexString `json:"countryCode"`
		Watermark       struct {
			AppID     string  `json:"appid"`
			Timestamp flexInt `json:"timestamp"`
		} `json:"watermark"`
	} `json:"phone_info"`
}

func (b *phoneBody) missing() string {
	if b.PhoneInfo == nil {
		return "phone_info"
	}
	if b.PhoneInfo.PhoneNumber == "" && b.PhoneInfo.PurePhoneNumber == "" {
		return "phone_info.phoneNumber"
	}
	return ""
}

// GetUserPhoneNumber exchanges a phone code from the mini-program's
// getPhoneNumber button (wxa/business/getuserphonenumber). openID is
// optional; when given, WeChat checks the code belongs to that user. The code
// is single-use.
func (c *Client) GetUserPhoneNumber(ctx context.Context, accessToken Token, code, openID string) (*PhoneInfo, error) {
	if code == "" {
		return nil, errors.New("wechat: GetUserPhoneNumber: empty code")
	}
	body := map[string]string{"code": code}
	if openID != "" {
		body["openid"] = openID
	}
	var b phoneBody
	if err := c.postJSON(ctx, "/wxa/business/getuserphonenumber", url.Values{"access_token": {accessToken.Reveal()}}, body, &b); err != nil {
		return nil, err
	}
	p := b.PhoneInfo
	return &PhoneInfo{
		PhoneNumber:     p.PhoneNumber,
		PurePhoneNumber: p.PurePhoneNumber,
		CountryCode:     string(p.CountryCode),
		Watermark:       Watermark{AppID: p.Watermark.AppID, Timestamp: int64(p.Watermark.Timestamp)},
	}, nil
}
