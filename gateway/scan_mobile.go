package gateway

import (
	"net/http"
	"strconv"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/wechat"
)

// handleMobileQRSignature is POST /auth/mobile/qr-signature {"app"}: what
// a mobile app on a TV, desktop or kiosk passes to the OpenSDK's QR login
// (Auth with appid, noncestr, timestamp, scope and signature). The
// signature is made here with the app's sdk_ticket from central control;
// the ticket never leaves the server. The SDK then shows the QR code,
// gets the code when the person confirms on their phone, and the app
// logs in with it at /auth/mobile/login.
func (s *Server) handleMobileQRSignature(w http.ResponseWriter, r *http.Request) {
	var req struct {
		App string `json:"app"`
	}
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.apps.lookup(req.App, wechat.AppTypeMobile)
	if err == nil && !a.cfg.SDKQRLogin {
		err = errScanLoginOff.Msg("app %q does not offer the OpenSDK's QR login; the operator turns it on with sdk_qr_login", req.App)
	}
	if err == nil {
		err = s.limitIP(r, ratelimit.LoginIP, a.Name())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ticket, err := s.tokens.SDKTicket(r.Context(), a.AppID())
	if err != nil {
		s.writeError(w, r, s.wechatFailure(a, "", err))
		return
	}
	nonce := newState()[:16]
	ts := strconv.FormatInt(s.now().Unix(), 10)
	writeJSON(w, http.StatusOK, map[string]string{
		"appid":     a.AppID(),
		"noncestr":  nonce,
		"timestamp": ts,
		"scope":     string(wechat.ScopeUserInfo),
		"signature": wechat.SDKSignature(a.AppID(), nonce, ticket.Reveal(), ts),
	})
}
