package demo

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/session"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Where the site's buttons go. The login returns to the profile page.
const (
	loginURL = "/auth/wechat/login?app=web&return_to=%2Fprofile"
	embedURL = "/auth/wechat/embed?app=web&return_to=%2Fprofile"
	// scanMPURL is the mini-program code login (scan logins).
	scanMPURL = "/auth/wechat/scan?method=miniprogram&return_to=%2Fprofile"
	linkOAURL = "/auth/wechat/authorize?app=oa&return_to=%2Fprofile"
)

// site is the demo site: its own pages, with the gateway mounted under
// /auth/ (and /healthz, /readyz) on the same origin, so the gateway's
// session cookie is the site's.
type site struct {
	gw      http.Handler
	urls    URLs
	host    string // host:port of urls.Site
	log     *slog.Logger
	pages   map[string]*template.Template
	csp     string
	handler http.Handler
	mpAppID string        // the demo mini-program's appid (miniprogram.go)
	rp      *relyingParty // the site as an OpenID client (oidc.go)
}

func newSite(gw *gateway.Server, v *session.Verifier, urls URLs, log *slog.Logger, oidcSecret string) (*site, error) {
	u, err := url.Parse(urls.Site)
	if err != nil {
		return nil, fmt.Errorf("demo: site URL: %w", err)
	}
	s := &site{gw: gw, urls: urls, host: u.Host, log: log.With("component", "demo-site"), pages: map[string]*template.Template{}}
	s.csp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data: " + urls.Emulator +
		"; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	base, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	for _, name := range []string{"home", "embedded", "profile", "message", "miniprogram", "mpscan"} {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("demo: templates: %w", err)
		}
		s.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("demo: static assets: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/auth/", gw)
	mux.Handle("/healthz", gw)
	mux.Handle("/readyz", gw)
	mux.Handle("GET /static/", s.staticHeaders(http.StripPrefix("/static/", http.FileServerFS(static))))
	mux.Handle("GET /{$}", s.page(v.Optional(http.HandlerFunc(s.handleHome))))
	mux.Handle("GET /embedded", s.page(http.HandlerFunc(s.handleEmbedded)))
	mux.Handle("GET /miniprogram/scan", s.page(http.HandlerFunc(s.handleMiniProgramScan)))
	mux.Handle("GET /profile", s.page(v.Optional(http.HandlerFunc(s.handleProfile))))
	mux.Handle("/logout", s.page(http.HandlerFunc(s.handleLogout)))
	s.mountMiniProgram(mux)
	s.mountOIDC(mux, oidcSecret)
	mux.Handle("/", s.page(http.HandlerFunc(s.handleNotFound)))
	s.handler = mux
	return s, nil
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// page wraps the site's own pages: a browser that came by another loopback
// name (localhost for 127.0.0.1) is sent to the site's URL first, since the
// login's cookies and WeChat's callback belong to that one origin; every
// answer gets the site's security headers.
func (s *site) page(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != s.host && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if host, _, err := net.SplitHostPort(r.Host); err == nil && isLoopbackHost(host) {
				http.Redirect(w, r, s.urls.Site+r.URL.RequestURI(), http.StatusFound)
				return
			}
		}
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *site) staticHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		next.ServeHTTP(w, r)
	})
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// pageData is what every page template gets.
type pageData struct {
	Title    string
	URLs     URLs
	Login    string
	OIDC     string
	Embed    string
	LinkOA   string
	ScanMP   string
	Me       *profile
	Message  string
	Detail   string
	LoggedIn bool
}

func (s *site) render(w http.ResponseWriter, status int, name string, d pageData) {
	d.URLs, d.Login, d.Embed, d.LinkOA, d.OIDC = s.urls, loginURL, embedURL, linkOAURL, oidcLoginURL
	d.ScanMP = scanMPURL
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *site) handleHome(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "wxgate demo · 微信登录演示"}
	if _, ok := session.FromContext(r.Context()); ok {
		if me, status := s.me(r); status == http.StatusOK {
			d.Me, d.LoggedIn = me, true
		}
	}
	s.render(w, http.StatusOK, "home", d)
}

func (s *site) handleEmbedded(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "embedded", pageData{Title: "内嵌二维码 · Embedded QR · wxgate demo"})
}

// handleProfile shows the logged-in user. session.Verifier's middleware
// has checked the session cookie (this is how a Go service behind the
// gateway guards its pages); the profile itself comes from the gateway's
// /auth/me, called in-process.
func (s *site) handleProfile(w http.ResponseWriter, r *http.Request) {
	if _, ok := session.UserID(r.Context()); !ok {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	me, status := s.me(r)
	switch status {
	case http.StatusOK:
		s.render(w, http.StatusOK, "profile", pageData{Title: me.User.Nickname + " · wxgate demo", Me: me, LoggedIn: true})
	case http.StatusUnauthorized:
		http.Redirect(w, r, "/", http.StatusFound)
	default:
		s.render(w, http.StatusBadGateway, "message", pageData{Title: "wxgate demo",
			Message: "资料暂时无法读取 · The profile cannot be read right now",
			Detail:  fmt.Sprintf("The gateway's /auth/me answered HTTP %d; its log says why. Reload the page to try again.", status)})
	}
}

// handleLogout is the logout button's form POST. It hands the request to
// the gateway's POST /auth/logout in-process, with the browser's cookie
// and Origin / Sec-Fetch-Site headers, so the gateway's own same-origin
// check decides; the gateway answers 204 and clears the cookie, and the
// browser goes home.
func (s *site) handleLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.render(w, http.StatusMethodNotAllowed, "message", pageData{Title: "wxgate demo",
			Message: "请使用退出按钮 · Use the Log out button",
			Detail:  "Logging out is a POST from this site's pages, so that another site cannot log you out with a link."})
		return
	}
	in := r.Clone(r.Context())
	in.URL = &url.URL{Path: "/auth/logout"}
	in.RequestURI = ""
	in.Body, in.ContentLength = http.NoBody, 0
	in.Header.Del("Content-Type")
	rec := newRecorder()
	s.gw.ServeHTTP(rec, in)
	switch rec.status {
	case http.StatusNoContent:
		for _, c := range rec.header.Values("Set-Cookie") {
			w.Header().Add("Set-Cookie", c)
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case http.StatusForbidden:
		s.render(w, http.StatusForbidden, "message", pageData{Title: "wxgate demo",
			Message: "退出请求被拒绝 · Logout refused",
			Detail:  "A logout that carries the session cookie must come from this site's own pages. Use the Log out button on the profile page."})
	default:
		s.log.Warn("logout failed", "status", rec.status)
		s.render(w, http.StatusBadGateway, "message", pageData{Title: "wxgate demo",
			Message: "退出失败 · Logout failed",
			Detail:  fmt.Sprintf("The gateway's /auth/logout answered HTTP %d; its log says why. Try again.", rec.status)})
	}
}

func (s *site) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusNotFound, "message", pageData{Title: "wxgate demo",
		Message: "页面不存在 · Page not found", Detail: "There is nothing at this address."})
}

// meAnswer is the gateway's GET /auth/me answer.
type meAnswer struct {
	User struct {
		ID        string `json:"id"`
		Nickname  string `json:"nickname"`
		AvatarURL string `json:"avatar_url"`
		Sex       int    `json:"sex"`
		Province  string `json:"province"`
		City      string `json:"city"`
		Country   string `json:"country"`
	} `json:"user"`
	HasPhone bool `json:"has_phone"`
	Linked   []struct {
		App         string `json:"app"`
		Type        string `json:"type"`
		LinkedAt    string `json:"linked_at"`
		LastLoginAt string `json:"last_login_at"`
	} `json:"linked"`
	Session struct {
		App       string `json:"app"`
		ExpiresIn int64  `json:"expires_in"`
	} `json:"session"`
}

// profile is a user as the pages show them.
type profile struct {
	User struct {
		ID, Nickname, AvatarURL string
	}
	Sex       string
	Location  string
	HasPhone  bool
	Linked    []linked
	Session   string // the app the session was opened through
	ExpiresIn string
}

type linked struct {
	App, Type, LinkedAt, LastLogin string
}

// me asks the gateway's GET /auth/me for the request's user, in-process,
// with the browser's cookie. The status is the gateway's.
func (s *site) me(r *http.Request) (*profile, int) {
	in, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/auth/me", nil)
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	in.Host, in.RemoteAddr = r.Host, r.RemoteAddr
	for _, c := range r.Cookies() {
		if c.Name == session.CookieName || c.Name == session.HostCookieName {
			in.AddCookie(c)
		}
	}
	rec := newRecorder()
	s.gw.ServeHTTP(rec, in)
	if rec.status != http.StatusOK {
		return nil, rec.status
	}
	var a meAnswer
	if err := json.Unmarshal(rec.body.Bytes(), &a); err != nil {
		s.log.Error("the gateway's /auth/me answer is malformed", "err", err)
		return nil, http.StatusBadGateway
	}
	return newProfile(&a), http.StatusOK
}

func newProfile(a *meAnswer) *profile {
	p := &profile{HasPhone: a.HasPhone, Session: appLabel(a.Session.App), ExpiresIn: humanDuration(a.Session.ExpiresIn)}
	p.User.ID, p.User.Nickname, p.User.AvatarURL = a.User.ID, a.User.Nickname, a.User.AvatarURL
	switch a.User.Sex {
	case 1:
		p.Sex = "男 · Male"
	case 2:
		p.Sex = "女 · Female"
	default:
		p.Sex = "未知 · Unknown"
	}
	var place []string
	for _, v := range []string{a.User.City, a.User.Province, a.User.Country} {
		if v != "" && (len(place) == 0 || place[len(place)-1] != v) {
			place = append(place, v)
		}
	}
	p.Location = strings.Join(place, ", ")
	for _, l := range a.Linked {
		p.Linked = append(p.Linked, linked{App: appLabel(l.App), Type: typeLabel(l.Type), LinkedAt: localTime(l.LinkedAt), LastLogin: localTime(l.LastLoginAt)})
	}
	return p
}

func appLabel(name string) string {
	for _, d := range demoApps {
		if d.name == name {
			return d.label
		}
	}
	return name
}

func typeLabel(t string) string {
	switch t {
	case "website":
		return "网站应用 · Website"
	case "official_account":
		return "公众号 · Official account"
	case "miniprogram":
		return "小程序 · Mini-program"
	case "mobile":
		return "移动应用 · Mobile app"
	}
	return t
}

func localTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Local().Format("2006-01-02 15:04")
}

func humanDuration(sec int64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case sec <= 0:
		return "—"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}

// recorder is an in-memory http.ResponseWriter for in-process calls to the
// gateway.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(b) > 1<<20 {
		return 0, fmt.Errorf("demo: the gateway's answer is larger than 1 MiB")
	}
	return r.body.Write(b)
}
