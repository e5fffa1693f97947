package emulator

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wxgate/wxgate/wechat"
)

// AppSpec describes an app to create. AppID and Secret are optional: the
// emulator draws "wx" + 16 lowercase hex digits and 32 lowercase hex
// digits. CallbackDomain is required for website and official-account
// apps: the host (optionally host:port) redirect_uri must be on, or on a
// subdomain of. OpenAccount names the open-platform account the app is
// bound to; apps sharing it see the same unionid for a user.
type AppSpec struct {
	AppID          string         `json:"appid,omitempty" yaml:"appid,omitempty"`
	Secret         string         `json:"secret,omitempty" yaml:"secret,omitempty"`
	Type           wechat.AppType `json:"type" yaml:"type"`
	Name           string         `json:"name,omitempty" yaml:"name,omitempty"`
	CallbackDomain string         `json:"callback_domain,omitempty" yaml:"callback_domain,omitempty"`
	OpenAccount    string         `json:"open_account,omitempty" yaml:"open_account,omitempty"`
	// ServerSpec is the scan logins' part (scanapps.go).
	ServerSpec `yaml:",inline"`
}

// App is a registered app, secret included: the control API is the
// emulator's administration surface. String and LogValue leave the secret
// out.
type App struct {
	AppID          string         `json:"appid"`
	Secret         string         `json:"secret"`
	Type           wechat.AppType `json:"type"`
	Name           string         `json:"name"`
	CallbackDomain string         `json:"callback_domain"`
	OpenAccount    string         `json:"open_account"`
	ServerSpec
}

func (a App) String() string {
	return fmt.Sprintf("App{appid=%s type=%s name=%q}", a.AppID, a.Type, a.Name)
}

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	secretPattern = regexp.MustCompile(`^[!-~]{8,128}$`)
)

// app is an App's live state.
type app struct {
	appid          string
	typ            wechat.AppType
	name           string
	callbackDomain string
	openAccount    string
	server         ServerSpec
	cb             callback // parsed callbackDomain

	secret atomic.Pointer[string]

	mu         sync.Mutex // guards everything below
	secretGen  int64
	classic    *appToken // current cgi-bin/token token
	quotaDay   int64
	quotaCount int
	stable     *appToken // current stable_token token
	stableGen  int64     // secretGen when stable was issued
	forceDay   int64
	forceCount int
	lastForce  time.Time
	rateMinute int64 // jscode2session 45011, app scope
	rateCount  int
}

func (a *app) public() App {
	return App{AppID: a.appid, Secret: *a.secret.Load(), Type: a.typ, Name: a.name, CallbackDomain: a.callbackDomain, OpenAccount: a.openAccount, ServerSpec: a.server}
}

// hasAppTokens reports whether the app type has app access tokens:
// official accounts, mini-programs and mobile apps (which need one for the
// OpenSDK's QR login; an assumption: website apps have no server APIs that
// need one).
func (a *app) hasAppTokens() bool {
	return a.typ == wechat.AppTypeOfficialAccount || a.typ == wechat.AppTypeMiniProgram ||
		a.typ == wechat.AppTypeMobile // for the OpenSDK's QR login (sdkqr.go)
}

// checkSecret compares s with the app's secret in constant time.
func (a *app) checkSecret(s string) bool {
	return constantEqual(*a.secret.Load(), s)
}

// validateAppSpec returns the problems of s, all at once.
func validateAppSpec(s *AppSpec) []string {
	var errs []string
	if s.AppID != "" && !idPattern.MatchString(s.AppID) {
		errs = append(errs, "appid: 1 to 64 characters of [A-Za-z0-9_-]")
	}
	if s.Secret != "" && !secretPattern.MatchString(s.Secret) {
		errs = append(errs, "secret: 8 to 128 printable ASCII characters without spaces")
	}
	if !s.Type.Valid() {
		errs = append(errs, `type: must be "website", "official_account", "miniprogram" or "mobile"`)
	}
	if msg := checkText("name", s.Name, 64); msg != "" {
		errs = append(errs, msg)
	}
	if s.CallbackDomain != "" {
		if _, err := parseCallback(s.CallbackDomain); err != nil {
			errs = append(errs, "callback_domain: "+err.Error())
		}
	} else if s.Type == wechat.AppTypeWebsite || s.Type == wechat.AppTypeOfficialAccount {
		errs = append(errs, "callback_domain: required for website and official_account apps")
	}
	errs = append(errs, validateServerSpec(s.Type, &s.ServerSpec)...)
	if s.OpenAccount != "" && !idPattern.MatchString(s.OpenAccount) {
		errs = append(errs, "open_account: 1 to 64 characters of [A-Za-z0-9_-]")
	}
	return errs
}

// checkText checks a free-text field: valid UTF-8, no control characters,
// at most max characters.
func checkText(name, s string, max int) string {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("%s: at most %d characters of UTF-8", name, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return name + ": control characters are not allowed"
		}
	}
	return ""
}

// CreateApp registers an app. It fails with an *Error on invalid input or
// a taken appid.
func (e *Emulator) CreateApp(s AppSpec) (App, error) {
	if errs := validateAppSpec(&s); len(errs) > 0 {
		return App{}, invalid(errs...)
	}
	cb, _ := parseCallback(s.CallbackDomain)
	a := &app{typ: s.Type, name: s.Name, callbackDomain: cb.String(), openAccount: s.OpenAccount, cb: cb, server: s.ServerSpec}
	secret := s.Secret
	if secret == "" {
		secret = randomHex(16)
	}
	a.secret.Store(&secret)
	e.appsMu.Lock()
	defer e.appsMu.Unlock()
	a.appid = s.AppID
	if a.appid == "" {
		for a.appid == "" || e.apps[a.appid] != nil {
			a.appid = "wx" + randomHex(8)
		}
	} else if e.apps[a.appid] != nil {
		return App{}, &Error{Status: http.StatusConflict, Code: "appid_taken", Message: "appid " + a.appid + " already exists"}
	}
	if a.name == "" {
		a.name = string(a.typ) + " " + a.appid
	}
	e.apps[a.appid] = a
	e.log.Info("app created", "appid", a.appid, "type", a.typ, "open_account", a.openAccount)
	return a.public(), nil
}

// App returns the app with the given appid.
func (e *Emulator) App(appid string) (App, error) {
	a := e.app(appid)
	if a == nil {
		return App{}, errAppNotFound(appid)
	}
	return a.public(), nil
}

// Apps returns every app, in no particular order.
func (e *Emulator) Apps() []App {
	e.appsMu.RLock()
	defer e.appsMu.RUnlock()
	out := make([]App, 0, len(e.apps))
	for _, a := range e.apps {
		out = append(out, a.public())
	}
	return out
}

// ResetSecret gives the app a new random AppSecret, as the admin console's
// reset does. The old secret is refused at once (40125); tokens already
// issued live out their 7200 s; the next cgi-bin/token or stable_token call
// with the new secret starts the usual five-minute overlap for the previous
// token.
func (e *Emulator) ResetSecret(appid string) (string, error) {
	a := e.app(appid)
	if a == nil {
		return "", errAppNotFound(appid)
	}
	s := randomHex(16)
	a.mu.Lock()
	a.secret.Store(&s)
	a.secretGen++
	a.mu.Unlock()
	e.log.Info("app secret reset", "appid", appid)
	return s, nil
}

func (e *Emulator) app(appid string) *app {
	e.appsMu.RLock()
	a := e.apps[appid]
	e.appsMu.RUnlock()
	return a
}

func errAppNotFound(appid string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "app_not_found", Message: "no app with appid " + strconv.Quote(appid)}
}

// callback is a registered callback domain: a host name or IP literal and
// an optional port.
type callback struct {
	host string // lower case; IPv6 without brackets
	port string // "" when none was registered
	ip   bool
}

func (c callback) String() string {
	if c.host == "" {
		return ""
	}
	h := c.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if c.port != "" {
		return h + ":" + c.port
	}
	return h
}

var hostLabel = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// parseCallback parses "host", "host:port", "1.2.3.4:80" or "[::1]:80".
func parseCallback(s string) (callback, error) {
	if s == "" {
		return callback{}, nil
	}
	if len(s) > 255 || strings.ContainsAny(s, "/?#@ \\") {
		return callback{}, fmt.Errorf("want a host name, optionally with :port (no scheme or path)")
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
				return callback{}, fmt.Errorf("want host or host:port")
			}
			h, p = s[1:len(s)-1], ""
		}
		host, port = h, p
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return callback{}, fmt.Errorf("port must be 1 to 65535")
		}
	}
	host = strings.ToLower(host)
	if ip := net.ParseIP(host); ip != nil {
		return callback{host: ip.String(), port: port, ip: true}, nil
	}
	if !validHostname(host) {
		return callback{}, fmt.Errorf("%q is not a valid host name", host)
	}
	return callback{host: host, port: port}, nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return true
}
