package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Mini-program code errors (wxa/getwxacodeunlimit).
var (
	ErrInvalidScene = &Error{Code: 40169, Msg: "invalid length for scene, or the data is not json string"}
	ErrInvalidPage  = &Error{Code: 41030, Msg: "invalid page rule"}
)

// EnvVersion is the mini-program version a code opens.
type EnvVersion string

// The versions a mini-program code can open.
const (
	EnvRelease EnvVersion = "release"
	EnvTrial   EnvVersion = "trial"
	EnvDevelop EnvVersion = "develop"
)

// WXACodeRequest is what a mini-program code (小程序码) encodes: a page of the
// mini-program and a scene string it receives as options.scene.
type WXACodeRequest struct {
	// Scene is 1 to 32 visible characters (digits, letters and
	// !#$&'()*+,/:;=?@-._~).
	Scene string `json:"scene"`
	// Page is a page of the released mini-program, without a leading
	// slash ("pages/index/index"); empty means the home page.
	Page string `json:"page,omitempty"`
	// CheckPath false lets Page name a page not yet released (WeChat's
	// default is true).
	CheckPath *bool `json:"check_path,omitempty"`
	// EnvVersion is release (default), trial or develop.
	EnvVersion EnvVersion `json:"env_version,omitempty"`
	// Width is the image's width in pixels, 280 to 1280 (default 430).
	Width int `json:"width,omitempty"`
}

// WXACode is a mini-program code image.
type WXACode struct {
	Image       []byte
	ContentType string // image/jpeg or image/png, as WeChat labelled it
}

// GetWXACodeUnlimit draws a mini-program code (wxa/getwxacodeunlimit). WeChat
// answers the image itself, or a JSON error.
func (c *Client) GetWXACodeUnlimit(ctx context.Context, accessToken Token, req WXACodeRequest) (*WXACode, error) {
	const path = "/wxa/getwxacodeunlimit"
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: %w", path, err)
	}
	u := c.apiBase + path + "?" + url.Values{"access_token": {accessToken.Reveal()}}.Encode()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: %w", path, errors.New("cannot build the request"))
	}
	hr.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, transportError(path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, transportError(path, err)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(ct, "image/") {
		if len(body) > maxResponse {
			return nil, &Error{HTTPStatus: resp.StatusCode, Path: path, Err: ErrBadResponse, Msg: "image larger than 1 MiB"}
		}
		if len(body) == 0 {
			return nil, &Error{HTTPStatus: resp.StatusCode, Path: path, Err: ErrBadResponse, Msg: "empty image"}
		}
		return &WXACode{Image: body, ContentType: ct}, nil
	}
	// Not an image: an error envelope, or something unexpected.
	var ok okBody
	if err := decode(path, resp.StatusCode, body, &ok); err != nil {
		return nil, err
	}
	return nil, &Error{HTTPStatus: resp.StatusCode, Path: path, Err: ErrBadResponse, Msg: "errcode 0 instead of an image"}
}
