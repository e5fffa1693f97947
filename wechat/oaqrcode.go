package wechat

import (
	"context"
	"errors"
	"net/url"
)

// Parametric QR codes of an official account (cgi-bin/qrcode/create) and
// its followers' info (cgi-bin/user/info).

// QRCodeAction is the kind of a parametric QR code.
type QRCodeAction string

// The kinds a login uses: temporary codes with a string or number scene.
const (
	QRStrScene QRCodeAction = "QR_STR_SCENE"
	QRScene    QRCodeAction = "QR_SCENE"
)

// MaxQRCodeExpiry is the longest life of a temporary code (30 days).
const MaxQRCodeExpiry = 2592000

// QRCode is a created parametric QR code: the ticket, its life and the URL
// the QR image encodes.
type QRCode struct {
	Ticket        string `json:"ticket"`
	ExpireSeconds int64  `json:"expire_seconds"`
	URL           string `json:"url"`
}

func (q *QRCode) missing() string {
	switch {
	case q.Ticket == "":
		return "ticket"
	case q.URL == "":
		return "url"
	}
	return ""
}

// CreateQRCode creates a temporary parametric QR code whose scans push
// the scene to the account's server.
func (c *Client) CreateQRCode(ctx context.Context, accessToken Token, sceneStr string, expireSeconds int64) (*QRCode, error) {
	if sceneStr == "" || len(sceneStr) > 64 {
		return nil, errors.New("wechat: CreateQRCode: the scene is 1 to 64 characters")
	}
	body := map[string]any{
		"expire_seconds": expireSeconds,
		"action_name":    QRStrScene,
		"action_info":    map[string]any{"scene": map[string]string{"scene_str": sceneStr}},
	}
	var q QRCode
	if err := c.postJSON(ctx, "/cgi-bin/qrcode/create", url.Values{"access_token": {accessToken.Reveal()}}, body, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Follower is cgi-bin/user/info's answer: whether the person follows the
// account, their openid and (in an open account) unionid, and the scene
// they followed from. Since 2021-12-27 it carries no nickname or avatar.
type Follower struct {
	Subscribe      int    `json:"subscribe"`
	OpenID         string `json:"openid"`
	UnionID        string `json:"unionid"`
	SubscribeTime  int64  `json:"subscribe_time"`
	SubscribeScene string `json:"subscribe_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

func (f *Follower) missing() string {
	if f.OpenID == "" {
		return "openid"
	}
	return ""
}

// FollowerInfo is cgi-bin/user/info for an official account's user.
func (c *Client) FollowerInfo(ctx context.Context, accessToken Token, openID string) (*Follower, error) {
	var f Follower
	q := url.Values{"access_token": {accessToken.Reveal()}, "openid": {openID}, "lang": {LangZhCN}}
	if err := c.get(ctx, "/cgi-bin/user/info", q, &f); err != nil {
		return nil, err
	}
	return &f, nil
}
