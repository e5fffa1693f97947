package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default hosts of WeChat's APIs.
const (
	DefaultAPIBase  = "https://api.weixin.qq.com"
	DefaultOpenBase = "https://open.weixin.qq.com"
)

// DefaultTimeout bounds every call made with the default HTTP client. A
// context deadline, when shorter, wins.
const DefaultTimeout = 10 * time.Second

// maxResponse bounds the bytes read from a WeChat answer.
const maxResponse = 1 << 20

// Config describes one WeChat app and where its APIs live.
type Config struct {
	// AppID is the app's AppID (wx + 16 hex digits).
	AppID string
	// Secret is the AppSecret. Calls that do not need it (refresh, user
	// info, token checks, phone numbers) work without it.
	Secret Secret
	// APIBase is the base URL of api.weixin.qq.com (the emulator's base URL
	// in development and tests). Empty means DefaultAPIBase.
	APIBase string
	// OpenBase is the base URL of open.weixin.qq.com, used by the URL
	// builders. Empty means DefaultOpenBase.
	OpenBase string
	// HTTPClient makes the calls. Nil means a client with DefaultTimeout.
	HTTPClient *http.Client
}

// Client calls WeChat's login APIs for one app. It holds no mutable state:
// it is safe for concurrent use, and any number of clients pointing at
// different bases can live in one process.
type Client struct {
	appID    string
	secret   Secret
	apiBase  string
	openBase string
	hc       *http.Client
}

// New returns a client for cfg. It fails if a base URL is not an absolute
// http or https URL.
func New(cfg Config) (*Client, error) {
	c := &Client{appID: cfg.AppID, secret: cfg.Secret, hc: cfg.HTTPClient}
	var err error
	if c.apiBase, err = normalizeBase(cfg.APIBase, DefaultAPIBase); err != nil {
		return nil, fmt.Errorf("wechat: APIBase: %w", err)
	}
	if c.openBase, err = normalizeBase(cfg.OpenBase, DefaultOpenBase); err != nil {
		return nil, fmt.Errorf("wechat: OpenBase: %w", err)
	}
	if c.hc == nil {
		c.hc = NewHTTPClient(DefaultTimeout)
	}
	return c, nil
}

// AppID returns the client's AppID.
func (c *Client) AppID() string { return c.appID }

func normalizeBase(s, def string) (string, error) {
	if s == "" {
		return def, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL without query", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// NewHTTPClient returns an HTTP client suited to WeChat's APIs: the given
// overall timeout, and a connection pool that keeps up to 64 idle
// connections per host (Go's default keeps 2, so a busy server would open a
// new TLS connection for most calls).
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Timeout: timeout, Transport: t}
}

// envelope is the error part every WeChat answer may carry.
type envelope struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// get calls GET path?query and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out validator) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.apiBase+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", path, err)
	}
	return c.do(req, path, out)
}

// postJSON calls POST path?query with a JSON body and decodes the answer.
func (c *Client) postJSON(ctx context.Context, path string, q url.Values, body any, out validator) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", path, err)
	}
	u := c.apiBase + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	return c.do(req, path, out)
}

func (c *Client) do(req *http.Request, path string, out validator) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return transportError(path, err)
	}
	return decode(path, resp.StatusCode, body, out)
}

// decode turns an answer into out or an *Error. It is the single place that
// decides what a WeChat answer means.
func decode(path string, status int, body []byte, out validator) error {
	bad := func(msg string) error {
		return &Error{HTTPStatus: status, Path: path, Err: ErrBadResponse, Msg: msg}
	}
	if len(body) > maxResponse {
		return bad("response larger than 1 MiB")
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		if status != http.StatusOK {
			return bad("non-JSON body")
		}
		return bad("response is not a JSON object")
	}
	if env.ErrCode != nil && *env.ErrCode != 0 {
		msg, rid := splitRID(env.ErrMsg)
		return &Error{Code: *env.ErrCode, Msg: msg, RID: rid, HTTPStatus: status, Path: path}
	}
	if status != http.StatusOK {
		return bad("no errcode")
	}
	if err := json.Unmarshal(body, out); err != nil {
		return bad("malformed success body: " + jsonTypeError(err))
	}
	if missing := out.missing(); missing != "" {
		return bad("success body without " + missing)
	}
	return nil
}

// jsonTypeError describes a decoding failure without quoting the body.
func jsonTypeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has JSON type %s", te.Field, te.Value)
	}
	return "invalid JSON"
}

// transportError wraps a failure to reach WeChat. Go's HTTP client puts the
// full request URL, query string included, into its errors; the query can
// hold the AppSecret, a code or a token, so it is cut off here.
func transportError(path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		err = &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
	}
	return fmt.Errorf("wechat: %s: %w", path, &transportErr{err})
}

// validator is a decoded success body that can say which required field it
// lacks ("" when complete).
type validator interface{ missing() string }

// okBody is the success answer of check and business endpoints:
// {"errcode":0,"errmsg":"ok"}.
type okBody struct {
	ErrCode *int `json:"errcode"`
}

func (b *okBody) missing() string {
	if b.ErrCode == nil {
		return "errcode"
	}
	return ""
}
