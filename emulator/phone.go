package emulator

import (
	"embed"
	"html/template"
	"net/http"
	"path"
)

//go:embed assets
var assets embed.FS

// assetTypes are the embedded files the emulator serves, with their types.
var assetTypes = map[string]string{
	"wxemu.css":     "text/css; charset=utf-8",
	"poll.js":       "text/javascript; charset=utf-8",
	"phone.js":      "text/javascript; charset=utf-8",
	"phone-scan.js": "text/javascript; charset=utf-8",
}

func parsePages() (*template.Template, error) {
	return template.ParseFS(assets, "assets/pages.html")
}

// handleAsset serves the pages' CSS and JavaScript.
func (e *Emulator) handleAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	typ, ok := assetTypes[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := assets.ReadFile(path.Join("assets", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// handlePhone serves the phone simulator: choose or create a user (kept in
// the wxemu_user cookie, which the official-account pages read), and scan,
// confirm or deny pending grants. ?uuid= (what the QR code encodes)
// focuses one grant and scans it once a user is chosen.
func (e *Emulator) handlePhone(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	if !idPattern.MatchString(uuid) {
		uuid = ""
	}
	wxacode := r.URL.Query().Get("wxacode")
	if !idPattern.MatchString(wxacode) {
		wxacode = ""
	}
	qrticket := r.URL.Query().Get("qrticket")
	if !ticketPattern.MatchString(qrticket) {
		qrticket = ""
	}
	e.render(w, http.StatusOK, "phone", false, pageData{Title: "微信 · wxemu phone", UUID: uuid, WXACode: wxacode, QRTicket: qrticket})
}
