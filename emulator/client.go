package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls an emulator's control API over HTTP, for tests and tools
// that drive an emulator running in another process. Failures the
// emulator reports are *Error values.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for the emulator at baseURL (for example
// "http://127.0.0.1:9000"). A nil hc means http.DefaultClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// do sends a control call and decodes the answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("emulator: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("emulator: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("emulator: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("emulator: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		ce := &Error{Status: resp.StatusCode}
		if json.Unmarshal(b, ce) != nil || ce.Code == "" {
			ce.Code, ce.Message = "http_status", fmt.Sprintf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		return ce
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("emulator: %s %s: malformed answer: %w", method, path, err)
	}
	return nil
}

func seg(s string) string { return url.PathEscape(s) }

// CreateApp registers an app and returns it, secret included.
func (c *Client) CreateApp(ctx context.Context, s AppSpec) (App, error) {
	var a App
	err := c.do(ctx, http.MethodPost, "/_emulator/apps", s, &a)
	return a, err
}

// Apps lists the apps.
func (c *Client) Apps(ctx context.Context) ([]App, error) {
	var out []App
	err := c.do(ctx, http.MethodGet, "/_emulator/apps", nil, &out)
	return out, err
}

// ResetSecret gives an app a new AppSecret and returns it.
func (c *Client) ResetSecret(ctx context.Context, appid string) (string, error) {
	var out struct{ Secret string }
	err := c.do(ctx, http.MethodPost, "/_emulator/apps/"+seg(appid)+"/reset_secret", nil, &out)
	return out.Secret, err
}

// CreateUser creates a user and returns its user_id.
func (c *Client) CreateUser(ctx context.Context, s UserSpec) (string, error) {
	var out struct {
		UserID string `json:"user_id"`
	}
	err := c.do(ctx, http.MethodPost, "/_emulator/users", s, &out)
	return out.UserID, err
}

// UpdateUser changes a user's profile and returns it.
func (c *Client) UpdateUser(ctx context.Context, userID string, p UserPatch) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPatch, "/_emulator/users/"+seg(userID), p, &u)
	return u, err
}

// Users lists the users.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := c.do(ctx, http.MethodGet, "/_emulator/users", nil, &out)
	return out, err
}

// Identity returns who a user is to an app.
func (c *Client) Identity(ctx context.Context, userID, appid string) (Identity, error) {
	var id Identity
	err := c.do(ctx, http.MethodGet, "/_emulator/users/"+seg(userID)+"/identity?appid="+url.QueryEscape(appid), nil, &id)
	return id, err
}

// Grants lists grants, filtered by status ("pending", "confirmed", ...)
// unless empty.
func (c *Client) Grants(ctx context.Context, status string) ([]Grant, error) {
	var out []Grant
	p := "/_emulator/grants"
	if status != "" {
		p += "?status=" + url.QueryEscape(status)
	}
	err := c.do(ctx, http.MethodGet, p, nil, &out)
	return out, err
}

// Scan marks a grant as scanned by a user.
func (c *Client) Scan(ctx context.Context, uuid, userID string) error {
	return c.do(ctx, http.MethodPost, "/_emulator/grants/"+seg(uuid)+"/scan", userRef{userID}, nil)
}

// Confirm confirms a grant as a user and returns the redirect_uri with
// code and state.
func (c *Client) Confirm(ctx context.Context, uuid, userID string) (string, error) {
	var out struct{ Redirect string }
	err := c.do(ctx, http.MethodPost, "/_emulator/grants/"+seg(uuid)+"/confirm", userRef{userID}, &out)
	return out.Redirect, err
}

// Cancel refuses a grant as a user. It returns where the page navigates,
// or "" when refusals do not redirect.
func (c *Client) Cancel(ctx context.Context, uuid, userID string) (string, error) {
	var out struct{ Redirect string }
	err := c.do(ctx, http.MethodPost, "/_emulator/grants/"+seg(uuid)+"/cancel", userRef{userID}, &out)
	return out.Redirect, err
}

// MiniProgramLogin is wx.login: a new session_key and a js_code.
func (c *Client) MiniProgramLogin(ctx context.Context, appid, userID string) (string, error) {
	var out LoginCode
	err := c.do(ctx, http.MethodPost, "/_emulator/miniprogram/login", appUserRequest{appid, userID}, &out)
	return out.Code, err
}

// MiniProgramUserInfo is wx.getUserInfo: the encrypted profile.
func (c *Client) MiniProgramUserInfo(ctx context.Context, appid, userID string) (UserInfoPayload, error) {
	var out UserInfoPayload
	err := c.do(ctx, http.MethodPost, "/_emulator/miniprogram/userinfo", appUserRequest{appid, userID}, &out)
	return out, err
}

// MiniProgramPhoneNumber is the getPhoneNumber button: a phone code and
// the legacy encrypted payload.
func (c *Client) MiniProgramPhoneNumber(ctx context.Context, appid, userID string) (PhonePayload, error) {
	var out PhonePayload
	err := c.do(ctx, http.MethodPost, "/_emulator/miniprogram/phonenumber", appUserRequest{appid, userID}, &out)
	return out, err
}

// MobileAuthorize is a mobile app's SDK authorization: a code and state.
func (c *Client) MobileAuthorize(ctx context.Context, appid, userID, state string) (MobileCode, error) {
	var out MobileCode
	err := c.do(ctx, http.MethodPost, "/_emulator/mobile/authorize", mobileRequest{appid, userID, state}, &out)
	return out, err
}

// AdvanceClock moves the virtual clock forward by d, in whole seconds, and
// returns the new virtual time.
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) (time.Time, error) {
	if d < 0 || d%time.Second != 0 {
		return time.Time{}, fmt.Errorf("emulator: AdvanceClock: %v is not a non-negative whole number of seconds", d)
	}
	n := int64(d / time.Second)
	var out ClockState
	if err := c.do(ctx, http.MethodPost, "/_emulator/clock", clockRequest{&n}, &out); err != nil {
		return time.Time{}, err
	}
	return time.Unix(out.Now, 0), nil
}

// SetFault queues a fault.
func (c *Client) SetFault(ctx context.Context, f Fault) error {
	return c.do(ctx, http.MethodPost, "/_emulator/faults", f, nil)
}

// ClearFaults drops every pending fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/_emulator/faults", nil, nil)
}

// Stats returns the call counts.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.do(ctx, http.MethodGet, "/_emulator/stats", nil, &s)
	return s, err
}

// ResetStats sets every count back to zero.
func (c *Client) ResetStats(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/_emulator/stats", nil, nil)
}

// WXACodes lists the mini-program codes the emulator drew, newest first.
func (c *Client) WXACodes(ctx context.Context) ([]WXACode, error) {
	var out []WXACode
	return out, c.do(ctx, http.MethodGet, "/_emulator/wxacodes", nil, &out)
}

// OpenWXACode scans a mini-program code as the user: the page, its scene
// and a wx.login code.
func (c *Client) OpenWXACode(ctx context.Context, id, userID string) (WXACodeOpened, error) {
	var out WXACodeOpened
	return out, c.do(ctx, http.MethodPost, "/_emulator/wxacodes/"+seg(id)+"/open", userRef{UserID: userID}, &out)
}
