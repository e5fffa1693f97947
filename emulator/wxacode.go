package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/wxgate/wxgate/wechat"
)

// Mini-program codes (小程序码) from wxa/getwxacodeunlimit. WeChat draws a
// round "sun code" only its app reads; the emulator draws a QR code that
// encodes the phone simulator's URL for the code, so a real phone's camera
// or the simulator's list of codes "scans" it.

const pathWXACode = "/wxa/getwxacodeunlimit"

// maxWXACodes bounds the codes the emulator remembers for the phone
// simulator; the oldest are forgotten first.
const maxWXACodes = 500

var (
	// sceneChars are the characters WeChat allows in a scene.
	scenePattern = regexp.MustCompile(`^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$`)
	// pagePattern is a page path: segments of [A-Za-z0-9_-], no leading
	// slash, no query.
	pagePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
)

// WXACode is a mini-program code the emulator drew, as the control API and
// the phone simulator list it.
type WXACode struct {
	ID         string `json:"id"`
	AppID      string `json:"appid"`
	AppName    string `json:"app_name"`
	Page       string `json:"page"`
	Scene      string `json:"scene"`
	EnvVersion string `json:"env_version"`
	Created    int64  `json:"created"`
}

// WXACodeOpened is what a mini-program receives when a person scans its
// code: the page, options.scene, and (a convenience of the simulator) the
// code wx.login gives the page at once.
type WXACodeOpened struct {
	AppID      string `json:"appid"`
	Page       string `json:"page"`
	Scene      string `json:"scene"`
	EnvVersion string `json:"env_version"`
	Code       string `json:"code"`
	// PageURL is the app's page_url, where the simulator shows the page.
	PageURL string `json:"page_url,omitempty"`
}

type wxaCodes struct {
	mu    sync.Mutex
	byID  map[string]*WXACode
	order []string // oldest first
}

func (c *wxaCodes) add(w *WXACode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = make(map[string]*WXACode)
	}
	c.byID[w.ID] = w
	c.order = append(c.order, w.ID)
	for len(c.order) > maxWXACodes {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *wxaCodes) get(id string) (WXACode, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.byID[id]
	if !ok {
		return WXACode{}, false
	}
	return *w, true
}

// WXACodes lists the mini-program codes drawn so far, newest first.
func (e *Emulator) WXACodes() []WXACode {
	c := &e.wxacodes
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]WXACode, 0, len(c.order))
	for _, id := range slices.Backward(c.order) {
		out = append(out, *c.byID[id])
	}
	return out
}

// OpenWXACode is a person scanning a mini-program code: the mini-program
// opens on the code's page with its scene, and wx.login gives the page a
// code for jscode2session.
func (e *Emulator) OpenWXACode(id, userID string) (WXACodeOpened, error) {
	w, ok := e.wxacodes.get(id)
	if !ok {
		return WXACodeOpened{}, &Error{Status: http.StatusNotFound, Code: "wxacode_not_found", Message: "no mini-program code " + id + " was drawn by this emulator"}
	}
	code, err := e.MiniProgramLogin(w.AppID, userID)
	if err != nil {
		return WXACodeOpened{}, err
	}
	out := WXACodeOpened{AppID: w.AppID, Page: w.Page, Scene: w.Scene, EnvVersion: w.EnvVersion, Code: code}
	if a := e.app(w.AppID); a != nil {
		out.PageURL = a.server.PageURL
	}
	return out, nil
}

// wxaCodeRequest is getwxacodeunlimit's JSON body.
type wxaCodeRequest struct {
	Scene      *string         `json:"scene"`
	Page       string          `json:"page"`
	CheckPath  json.RawMessage `json:"check_path"`
	EnvVersion string          `json:"env_version"`
	Width      json.RawMessage `json:"width"`
	AutoColor  json.RawMessage `json:"auto_color"`
	LineColor  json.RawMessage `json:"line_color"`
	IsHyaline  json.RawMessage `json:"is_hyaline"`
}

// handleWXACode is wxa/getwxacodeunlimit: a mini-program token (41001,
// 40014, 42001, 40001 as for every app-token API; 48001 for another app
// type's token), a scene of 1 to 32 allowed characters (40169), a page
// path (41030), env_version release, trial or develop (47001), width 280
// to 1280 (47001). The answer is the image, Content-Type image/jpeg as
// WeChat labels it (the bytes are a PNG; see docs/emulator.md).
func (e *Emulator) handleWXACode(w http.ResponseWriter, r *http.Request) int {
	a, errcode := e.miniProgramToken(r.URL.Query().Get("access_token"))
	if errcode != 0 {
		return errcode
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	var req wxaCodeRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		return 47001
	}
	if req.Scene == nil || !scenePattern.MatchString(*req.Scene) {
		return 40169
	}
	page := req.Page
	if page != "" && (strings.HasPrefix(page, "/") || len(page) > 128 || !pagePattern.MatchString(page)) {
		return 41030
	}
	if page == "" {
		page = "pages/index/index"
	}
	env := req.EnvVersion
	switch env {
	case "":
		env = string(wechat.EnvRelease)
	case string(wechat.EnvRelease), string(wechat.EnvTrial), string(wechat.EnvDevelop):
	default:
		return 47001
	}
	if len(req.CheckPath) > 0 {
		var b bool
		if json.Unmarshal(req.CheckPath, &b) != nil {
			return 47001
		}
	}
	if len(req.Width) > 0 {
		var n int
		if json.Unmarshal(req.Width, &n) != nil || n < 280 || n > 1280 {
			return 47001
		}
	}
	wc := &WXACode{ID: "wxa" + randomHex(12), AppID: a.appid, AppName: a.name, Page: page, Scene: *req.Scene, EnvVersion: env, Created: e.clock.now().Unix()}
	png, err := qrPNG(baseURL(r) + "/_emulator/phone?wxacode=" + url.QueryEscape(wc.ID))
	if err != nil {
		return -1
	}
	e.wxacodes.add(wc)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
	return 0
}

// wxaCodeRoutes adds the mini-program code's control calls.
func (e *Emulator) wxaCodeRoutes(h func(pattern string, status int, f func(*http.Request) (any, error))) {
	h("GET /_emulator/wxacodes", http.StatusOK, func(r *http.Request) (any, error) { return e.WXACodes(), nil })
	h("POST /_emulator/wxacodes/{id}/open", http.StatusOK, func(r *http.Request) (any, error) {
		var u userRef
		if err := decodeBody(r, &u, false); err != nil {
			return nil, err
		}
		if u.UserID == "" {
			return nil, invalid("user_id: required")
		}
		return e.OpenWXACode(r.PathValue("id"), u.UserID)
	})
}
