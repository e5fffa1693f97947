package gateway

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/wxgate/wxgate/web"
	"github.com/wxgate/wxgate/wechat"
)

// scanMethodOf is the scan login an app offers ("" for none).
func scanMethodOf(a *app) string {
	switch {
	case a.Type() == wechat.AppTypeMiniProgram && a.cfg.ScanPage != "":
		return scanMethodMiniProgram
	case a.Type() == wechat.AppTypeOfficialAccount && a.cfg.FollowLogin:
		return scanMethodFollow
	}
	return ""
}

// scanApp resolves ?method= and ?app= of a scan start: either may be left
// out when the configuration leaves one choice.
func (s *Server) scanApp(r *http.Request) (*app, string, error) {
	q := r.URL.Query()
	method, name := q.Get("method"), q.Get("app")
	switch method {
	case "", scanMethodMiniProgram, scanMethodFollow:
	default:
		return nil, "", errInvalidMethod.New()
	}
	if name != "" {
		a, err := s.apps.lookup(name, wechat.AppTypeMiniProgram, wechat.AppTypeOfficialAccount)
		if err != nil {
			return nil, "", err
		}
		m := scanMethodOf(a)
		if m == "" {
			return nil, "", errScanLoginOff.Msg("app %q does not offer scan login; the operator turns it on with scan_page (miniprogram) or follow_login (official_account)", name)
		}
		if method != "" && method != m {
			return nil, "", errWrongAppType.Msg("app %q offers %s login, not %s", name, m, method)
		}
		return a, m, nil
	}
	var found *app
	for _, a := range s.apps.order {
		m := scanMethodOf(a)
		if m == "" || (method != "" && m != method) {
			continue
		}
		if found != nil {
			return nil, "", errMissingApp.Msg("several apps offer scan login: name one with ?app=")
		}
		found = a
	}
	if found == nil {
		return nil, "", errNoScanLogin.New()
	}
	return found, scanMethodOf(found), nil
}

// scanStarted is the answer of a scan start.
type scanStarted struct {
	ID        string `json:"id"`
	Method    string `json:"method"`
	App       string `json:"app"`
	Image     string `json:"image"` // a data: URL of the code to show
	ExpiresIn int64  `json:"expires_in"`
	WaitURL   string `json:"wait_url"`
}

// startScan creates a pending scan and the code to show.
func (s *Server) startScan(w http.ResponseWriter, r *http.Request) (scanStarted, error) {
	a, method, err := s.scanApp(r)
	if err != nil {
		return scanStarted{}, err
	}
	id, rec, err := s.createScan(w, r, a, method)
	if err != nil {
		return scanStarted{}, err
	}
	var img []byte
	switch method {
	case scanMethodMiniProgram:
		img, err = s.miniProgramCode(r.Context(), a, id)
	default:
		img, err = s.followCode(r.Context(), a, id)
	}
	if err != nil {
		s.kv.Delete(context.WithoutCancel(r.Context()), scanKey(id))
		return scanStarted{}, err
	}
	return scanStarted{
		ID: id, Method: method, App: a.Name(), Image: imageDataURL(img),
		ExpiresIn: rec.Expires - s.now().Unix(),
		WaitURL:   "/auth/wechat/scan/wait?" + url.Values{"id": {id}}.Encode(),
	}, nil
}

// imageDataURL embeds an image, typed by its content (WeChat labels
// mini-program codes image/jpeg whatever they hold).
func imageDataURL(b []byte) string {
	t := http.DetectContentType(b)
	switch t {
	case "image/png", "image/jpeg", "image/gif":
	default:
		t = "application/octet-stream"
	}
	return "data:" + t + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// handleScanStart is POST /auth/wechat/scan/start?method=&app=&return_to=:
// a pending scan login bound to this browser, and the code to show.
func (s *Server) handleScanStart(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.writeError(w, r, errCrossOrigin.Msg("start scan logins from the gateway's own pages"))
		return
	}
	st, err := s.startScan(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleScanPage is GET /auth/wechat/scan?method=&app=&return_to=: a page
// that shows the code and waits for the scan, then goes to return_to.
func (s *Server) handleScanPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.startScan(w, r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := web.ScanPage{Title: "Log in with WeChat", Image: template.URL(st.Image), WaitURL: st.WaitURL, Method: st.Method,
		Minutes: int(time.Duration(st.ExpiresIn) * time.Second / time.Minute), Restart: r.URL.RequestURI()}
	switch st.Method {
	case scanMethodMiniProgram:
		p.Hint = "Scan this mini-program code with WeChat, then confirm the login in the mini-program."
	default:
		p.Hint = "Scan this QR code with WeChat. If you do not follow the account yet, follow it to log in."
	}
	s.page(w, http.StatusOK, "scan", p, "'none'")
}
