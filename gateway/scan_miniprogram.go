package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/wechat"
)

// Website login by mini-program code. The browser shows a code drawn by
// wxa/getwxacodeunlimit whose scene is the scan id; the person scans it
// with WeChat, the mini-program opens the configured page (scan_page) with
// options.scene, calls wx.login and POST /auth/miniprogram/scan, shows the
// person which site and browser they are about to log in, and confirms or
// cancels.

// miniProgramCode draws the code of a scan.
func (s *Server) miniProgramCode(ctx context.Context, a *app, id string) ([]byte, error) {
	env := wechat.EnvVersion(a.cfg.ScanEnvVersion)
	if env == "" {
		env = wechat.EnvRelease
	}
	// Only the released version can check that the page exists.
	check := env == wechat.EnvRelease
	var code *wechat.WXACode
	err := s.tokens.Do(ctx, a.AppID(), func(t wechat.Token) error {
		var err error
		code, err = a.Client().GetWXACodeUnlimit(ctx, t, wechat.WXACodeRequest{Scene: id, Page: a.cfg.ScanPage, CheckPath: &check, EnvVersion: env, Width: 430})
		return err
	})
	if err != nil {
		return nil, s.wechatFailure(a, "", err)
	}
	return code.Image, nil
}

// miniProgramScan is the body of POST /auth/miniprogram/scan.
type miniProgramScan struct {
	App   string `json:"app"`
	Code  string `json:"code"`
	Scene string `json:"scene"`
}

// scanPrompt is what the mini-program shows the person before they
// confirm: where the login will happen. A person who started no login, or
// sees a browser or place that is not theirs, is looking at someone else's
// code (QR hijacking) and should cancel.
type scanPrompt struct {
	ConfirmToken string `json:"confirm_token"`
	Site         string `json:"site"`
	Browser      string `json:"browser"`
	Network      string `json:"network"`
	StartedAt    string `json:"started_at"`
	ExpiresIn    int64  `json:"expires_in"`
}

// scanScene validates a scene sent by a mini-program.
func scanScene(scene string) error {
	if scene == "" {
		return errMissingScene.New()
	}
	if !validScanID(scene) {
		return errInvalidScene.New()
	}
	return nil
}

// handleMiniProgramScan is POST /auth/miniprogram/scan {"code","scene"}:
// the mini-program reports that its user scanned a login code. The code
// from wx.login identifies the person; the answer says what to show them
// and holds the token to confirm or cancel with.
func (s *Server) handleMiniProgramScan(w http.ResponseWriter, r *http.Request) {
	var req miniProgramScan
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	err := scanScene(req.Scene)
	if err == nil {
		err = checkCode(req.Code, "code from wx.login")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	_, rec, err := s.loadScan(ctx, req.Scene)
	if err == nil && rec.Method != scanMethodMiniProgram {
		err = errScanExpired.New() // a follow scan's id: not this endpoint's business
	}
	var a *app
	if err == nil {
		var ok bool
		if a, ok = s.apps.byName[rec.App]; !ok {
			err = errScanExpired.New()
		} else if req.App != "" && req.App != rec.App {
			err = errWrongApp.Msg("this login code belongs to another mini-program")
		}
	}
	if err == nil {
		err = s.limitIP(r, ratelimit.LoginIP, a.Name())
	}
	if err == nil && rec.Status != scanWaiting && rec.Status != scanScanned {
		err = errScanState.New()
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ws, err := a.Client().Code2Session(ctx, req.Code) // single-use: never retried
	if err != nil {
		s.writeError(w, r, s.wechatFailure(a, "login code", err))
		return
	}
	if err := s.limitUser(r, a, ws.OpenID); err != nil {
		s.writeError(w, r, err)
		return
	}
	scanner := s.keyring().Index(indexOpenID, a.AppID(), ws.OpenID)
	sealed, err := s.sealScanIdentity(req.Scene, scanIdentity{OpenID: ws.OpenID, UnionID: ws.UnionID, SessionKey: ws.SessionKey.Reveal()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	token, tokenHash := newConfirmToken()
	rec, err = s.updateScan(ctx, req.Scene, func(rec *scanRecord) error {
		switch {
		case rec.Status != scanWaiting && rec.Status != scanScanned:
			return errScanState.New()
		case rec.Scanner != nil && !equalBytes(rec.Scanner, scanner):
			return errScanTaken.New()
		}
		rec.Status, rec.Scanner, rec.ConfirmHash, rec.Identity = scanScanned, scanner, tokenHash, sealed
		return nil
	})
	if err != nil {
		if isAPICode(err, errScanTaken) {
			s.log.Warn("a second person scanned a mini-program login code", "app", a.Name(), "ip", s.clientIP(r))
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, scanPrompt{
		ConfirmToken: token, Site: s.siteName(), Browser: rec.Browser, Network: rec.Place,
		StartedAt: time.Unix(rec.Created, 0).UTC().Format(time.RFC3339), ExpiresIn: rec.Expires - s.now().Unix(),
	})
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// siteName is the site a scan logs into, as the person should recognise
// it: the host of the gateway's public URL.
func (s *Server) siteName() string {
	o := s.publicOrigin()
	if i := strings.Index(o, "://"); i >= 0 {
		return o[i+3:]
	}
	return o
}

// scanDecision is the body of /auth/miniprogram/scan/confirm and /cancel.
type scanDecision struct {
	Scene        string `json:"scene"`
	ConfirmToken string `json:"confirm_token"`
}

// handleMiniProgramScanConfirm is POST /auth/miniprogram/scan/confirm
// {"scene","confirm_token"}: the person agreed; the waiting browser logs in.
func (s *Server) handleMiniProgramScanConfirm(w http.ResponseWriter, r *http.Request) {
	s.decideScan(w, r, scanConfirmed)
}

// handleMiniProgramScanCancel is POST /auth/miniprogram/scan/cancel
// {"scene","confirm_token"}: the person refused; nobody logs in.
func (s *Server) handleMiniProgramScanCancel(w http.ResponseWriter, r *http.Request) {
	s.decideScan(w, r, scanCancelled)
}

func (s *Server) decideScan(w http.ResponseWriter, r *http.Request, to string) {
	var req scanDecision
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := scanScene(req.Scene); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ConfirmToken == "" || len(req.ConfirmToken) > 64 {
		s.writeError(w, r, errMissingField.Msg("send the confirm_token of the /auth/miniprogram/scan answer"))
		return
	}
	_, err := s.updateScan(r.Context(), req.Scene, func(rec *scanRecord) error {
		if rec.Method != scanMethodMiniProgram {
			return errScanExpired.New()
		}
		if !checkConfirmToken(req.ConfirmToken, rec.ConfirmHash) {
			return errInvalidConfirmTok.New()
		}
		if rec.Status != scanScanned {
			return errScanState.New()
		}
		rec.Status = to
		if to == scanCancelled {
			rec.Identity = nil
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": to})
}
