package demo

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/wxgate/wxgate/clients/miniprogram"
	"github.com/wxgate/wxgate/emulator"
)

// The mini-program page runs the wxgate-miniprogram npm package in the
// browser through the wx shim of its tests: wx.login asks the emulator for
// a code (through the site, below), and wx.request calls the gateway on
// the site's origin, exactly as a mini-program calls it.
var (
	mpClientJS = miniprogram.BrowserScript(miniprogram.Script, "wxgateMiniprogram")
	mpShimJS   = miniprogram.BrowserScript(miniprogram.Shim, "wxShim")
	mpUserRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// mountMiniProgram adds the mini-program page and what it needs to mux.
func (s *site) mountMiniProgram(mux *http.ServeMux) {
	mux.Handle("GET /miniprogram", s.page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusOK, "miniprogram", pageData{Title: "小程序 · Mini-program · wxgate demo"})
	})))
	script := func(body []byte) http.Handler {
		return s.staticHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			_, _ = w.Write(body)
		}))
	}
	mux.Handle("GET /miniprogram/wxgate-miniprogram.js", script(mpClientJS))
	mux.Handle("GET /miniprogram/wx-shim.js", script(mpShimJS))
	// What the WeChat client does on the phone, asked of the emulator's
	// control API for the demo's mini-program: wx.login, and the
	// getUserInfo and getPhoneNumber buttons. The shim posts
	// {"appid","user_id"}; the appid is always the demo mini-program's.
	mux.Handle("POST /miniprogram/wechat/_emulator/miniprogram/{action}", s.page(http.HandlerFunc(s.handleMiniProgramWeChat)))
}

func (s *site) handleMiniProgramWeChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID string `json:"user_id"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || !mpUserRE.MatchString(req.UserID) {
		writeDemoJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request", "message": "send {\"user_id\"} with a user of the emulator (xiaoming, alice, bob)"})
		return
	}
	emu := emulator.NewClient(s.urls.Emulator, nil)
	ctx := r.Context()
	var out any
	var err error
	switch r.PathValue("action") {
	case "login":
		var code string
		code, err = emu.MiniProgramLogin(ctx, s.mpAppID, req.UserID)
		out = map[string]string{"code": code}
	case "userinfo":
		out, err = emu.MiniProgramUserInfo(ctx, s.mpAppID, req.UserID)
	case "phonenumber":
		out, err = emu.MiniProgramPhoneNumber(ctx, s.mpAppID, req.UserID)
	default:
		writeDemoJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "the shim asks for login, userinfo or phonenumber"})
		return
	}
	if err != nil {
		s.log.Warn("the emulator refused a mini-program call", "action", r.PathValue("action"), "err", err)
		writeDemoJSON(w, http.StatusBadGateway, map[string]string{"error": "emulator_error", "message": "the emulator refused: pick one of its users (xiaoming, alice, bob)"})
		return
	}
	writeDemoJSON(w, http.StatusOK, out)
}

func writeDemoJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
