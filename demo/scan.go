package demo

import (
	"net/http"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// The scan logins in the demo. A mini-program cannot run here, so the
// demo site serves a web page standing in for the mini-program's login
// page: the phone simulator opens it (the emulator app's page_url) with
// the code's scene and a wx.login code, and the page talks to the gateway
// as the mini-program would.

// miniProgramScanPage is the mini-program page the demo's codes open.
const miniProgramScanPage = "pages/wxgate/scan"

// miniProgramPagePath is where the demo site plays that page.
const miniProgramPagePath = "/miniprogram/scan"

// fixScanApp brings a demo app's scan-login settings up to date with the
// site's address.
func fixScanApp(a *emulator.AppSpec, siteURL string) {
	if a.Type == wechat.AppTypeMiniProgram {
		a.PageURL = siteURL + miniProgramPagePath
	}
}

// scanPageOf is the scan_page of a demo app of type t ("" for none).
func scanPageOf(t wechat.AppType) string {
	if t == wechat.AppTypeMiniProgram {
		return miniProgramScanPage
	}
	return ""
}

// handleMiniProgramScan is the stand-in for the mini-program's login page.
func (s *site) handleMiniProgramScan(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "mpscan", pageData{Title: "小程序 · 扫码登录 · wxgate demo"})
}
