// Package vulnapp is a deliberately vulnerable WeChat login backend: the
// faults of seeds 001 and 003 that `wxgate audit` must flag, each one
// switchable, so tests can check that the audit finds each fault on its
// own and nothing when none is on. Never deploy it.
package vulnapp

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is a set of vulnerabilities.
type Fault uint

// The faults.
const (
	// RelaySession relays jscode2session's answer to the mini-program with
	// session_key renamed "sk" (seed 001's "fix" that fixes nothing).
	RelaySession Fault = 1 << iota
	// SecretInURL returns, with the mini-program login, a URL carrying the
	// AppSecret.
	SecretInURL
	// SkipState makes the web callback ignore state: a callback without
	// one, or with another browser's, logs in.
	SkipState
	// OpenRedirect sends the browser after login wherever "next" says.
	OpenRedirect
	// CodeReplay caches logins by code, so a used code logs in again.
	CodeReplay

	// None is the fixed backend; All has every fault.
	None Fault = 0
	All        = RelaySession | SecretInURL | SkipState | OpenRedirect | CodeReplay
)

// Config describes the backend.
type Config struct {
	APIBase, OpenBase     string // WeChat's bases (the emulator's URL)
	PublicURL             string // where the backend is served (its callback)
	MiniAppID, MiniSecret string // the mini-program app
	WebAppID, WebSecret   string // the website app
	Faults                Fault
	HTTPClient            *http.Client
}

type server struct {
	cfg      Config
	hc       *http.Client
	mu       sync.Mutex
	sessions map[string]string // session id -> openid
	byCode   map[string]string // code -> openid (CodeReplay)
}

// New returns the backend's handler: POST /api/login {"code"}, GET
// /auth/login?next=, GET /auth/callback, GET /me.
func New(cfg Config) http.Handler {
	s := &server{cfg: cfg, hc: cfg.HTTPClient, sessions: map[string]string{}, byCode: map[string]string{}}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	m := http.NewServeMux()
	m.HandleFunc("POST /api/login", s.miniLogin)
	m.HandleFunc("GET /auth/login", s.webLogin)
	m.HandleFunc("GET /auth/callback", s.callback)
	m.HandleFunc("GET /me", s.me)
	return m
}

func (s *server) has(f Fault) bool { return s.cfg.Faults&f != 0 }

func random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *server) wechat(path string, q url.Values) (map[string]any, error) {
	resp, err := s.hc.Get(strings.TrimRight(s.cfg.APIBase, "/") + path + "?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) miniLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || req.Code == "" {
		writeJSON(w, 400, map[string]string{"error": "bad_request"})
		return
	}
	ans, err := s.wechat("/sns/jscode2session", url.Values{
		"appid": {s.cfg.MiniAppID}, "secret": {s.cfg.MiniSecret}, "js_code": {req.Code}, "grant_type": {"authorization_code"},
	})
	if err != nil {
		writeJSON(w, 502, map[string]string{"error": "wechat_unavailable"})
		return
	}
	var out map[string]any
	if s.has(RelaySession) {
		// "Renamed the field, so it is not the session_key any more."
		out = ans
		if k, ok := out["session_key"]; ok {
			out["sk"] = k
			delete(out, "session_key")
		}
	} else {
		if _, failed := ans["errcode"]; failed {
			writeJSON(w, 401, map[string]string{"error": "login_failed"})
			return
		}
		id := random()
		s.mu.Lock()
		s.sessions[id] = fmt.Sprint(ans["openid"])
		s.mu.Unlock()
		out = map[string]any{"token": id}
	}
	if s.has(SecretInURL) {
		out["token_url"] = strings.TrimRight(s.cfg.APIBase, "/") + "/cgi-bin/token?" + url.Values{
			"grant_type": {"client_credential"}, "appid": {s.cfg.MiniAppID}, "secret": {s.cfg.MiniSecret},
		}.Encode()
	}
	writeJSON(w, 200, out)
}

func (s *server) webLogin(w http.ResponseWriter, r *http.Request) {
	state := random()[:20]
	http.SetCookie(w, &http.Cookie{Name: "vstate", Value: state, Path: "/", HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: "vnext", Value: url.QueryEscape(r.URL.Query().Get("next")), Path: "/", HttpOnly: true})
	q := url.Values{
		"appid": {s.cfg.WebAppID}, "redirect_uri": {strings.TrimRight(s.cfg.PublicURL, "/") + "/auth/callback"},
		"response_type": {"code"}, "scope": {"snsapi_login"}, "state": {state},
	}
	http.Redirect(w, r, strings.TrimRight(s.cfg.OpenBase, "/")+"/connect/qrconnect?"+q.Encode()+"#wechat_redirect", http.StatusFound)
}

func (s *server) callback(w http.ResponseWriter, r *http.Request) {
	code, state := r.URL.Query().Get("code"), r.URL.Query().Get("state")
	if !s.has(SkipState) {
		c, err := r.Cookie("vstate")
		if err != nil || state == "" || c.Value != state {
			http.Error(w, "bad state", http.StatusForbidden)
			return
		}
	}
	if code == "" {
		http.Error(w, "declined", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	openid, cached := s.byCode[code]
	s.mu.Unlock()
	if !(cached && s.has(CodeReplay)) {
		ans, err := s.wechat("/sns/oauth2/access_token", url.Values{
			"appid": {s.cfg.WebAppID}, "secret": {s.cfg.WebSecret}, "code": {code}, "grant_type": {"authorization_code"},
		})
		if err != nil {
			http.Error(w, "wechat unavailable", http.StatusBadGateway)
			return
		}
		if _, failed := ans["errcode"]; failed {
			http.Error(w, "login failed", http.StatusForbidden)
			return
		}
		openid = fmt.Sprint(ans["openid"])
		if s.has(CodeReplay) {
			s.mu.Lock()
			s.byCode[code] = openid
			s.mu.Unlock()
		}
	}
	id := random()
	s.mu.Lock()
	s.sessions[id] = openid
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "vsid", Value: id, Path: "/", HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: "vstate", Value: "", Path: "/", MaxAge: -1})
	next := "/"
	if c, err := r.Cookie("vnext"); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil && v != "" {
			next = v
		}
	}
	if !s.has(OpenRedirect) && (!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\")) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusFound)
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	ok := false
	if c, err := r.Cookie("vsid"); err == nil {
		s.mu.Lock()
		_, ok = s.sessions[c.Value]
		s.mu.Unlock()
	}
	if !ok {
		writeJSON(w, 401, map[string]string{"error": "unauthenticated"})
		return
	}
	writeJSON(w, 200, map[string]bool{"logged_in": true})
}
