// Package web holds the gateway's HTML pages and static assets, embedded in
// the binary. Pages load no inline script, so the gateway can serve them
// under a strict Content-Security-Policy.
package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Render writes the named page ("error", "embed", "breakout") with data.
func Render(w io.Writer, name string, data any) error {
	return pages.ExecuteTemplate(w, name+".html", data)
}

// Static is the file system of the static assets (CSS, JS), served under
// /auth/static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// ErrorPage is the data of the "error" page.
type ErrorPage struct {
	Title   string
	Message string
	Code    string // the snake_case error code, for support and tests
	Retry   string // URL to start again; empty hides the link
}

// EmbedPage is the data of the "embed" page: the WeChat QR iframe.
type EmbedPage struct {
	Title    string
	FrameURL string
}

// BreakoutPage is the data of the "breakout" page, which sends the top
// window on after a login completed inside an iframe (self_redirect).
type BreakoutPage struct {
	Target string
}

// ScanPage is the data of the "scan" page: a mini-program code or an
// official account's QR code, and the long-poll that waits for the scan.
type ScanPage struct {
	Title string
	// Image is a data: URL of the code, built by the gateway from the
	// image bytes (never from input), hence trusted as a URL.
	Image   template.URL
	Hint    string
	Method  string
	Minutes int
	WaitURL string
	Restart string // this page's URL, to start again
}
