package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// Options configure Run.
type Options struct {
	// Target is the base URL of the backend under audit. Its WeChat API
	// and open-platform bases must point at the emulator.
	Target string
	// Witness is the emulator the target talks to. When nil, Run starts
	// one on EmulatorAddr (with the Fixture and Apps) and stops it when it
	// returns.
	Witness *Witness
	// EmulatorAddr is where Run's own emulator listens; "" means
	// 127.0.0.1:9000.
	EmulatorAddr string
	// EmulatorReady, when set, is called with the base URL of Run's own
	// emulator once it listens.
	EmulatorReady func(baseURL string)
	// Fixture loads Run's own emulator (apps, users, behaviour).
	Fixture *emulator.Fixture
	// Apps are the target's apps as the emulator must know them (appid,
	// secret, type, callback domain). An app the emulator already has is
	// left as it is.
	Apps []emulator.AppSpec
	// MiniProgram, when set, audits the mini-program login.
	MiniProgram *MiniProgramLogin
	// Web, when set, audits the website (or official-account) login.
	Web *WebLogin
	// Transport carries the audit's requests; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each request; 0 means 15 s.
	Timeout time.Duration
	// Progress, when set, receives a line for each step.
	Progress func(string)
}

// MiniProgramLogin is how the target logs a mini-program user in.
type MiniProgramLogin struct {
	// Path is the login endpoint. A path containing {code} is requested
	// with GET, the code in its place (/api/get_openid.php?code={code});
	// any other path gets a POST with a JSON body.
	Path string
	// AppID is the mini-program's appid; "" means the emulator's only
	// mini-program app.
	AppID string
	// CodeField is the JSON field carrying wx.login's code; "" means
	// "code".
	CodeField string
	// Body holds further JSON fields the endpoint wants ({"app": "mp"}).
	Body map[string]any
}

// WebLogin is how the target logs a browser in with WeChat.
type WebLogin struct {
	// Start is the path that starts a login by redirecting to WeChat's
	// qrconnect (or oauth2/authorize) page: /auth/wechat/login.
	Start string
	// ReturnParam names the start parameter saying where to go after the
	// login; "" tries the usual names (return_to, next, redirect, ...).
	ReturnParam string
	// Check is a path answering 2xx only to a logged-in browser
	// (/auth/me). Without it, a login counts as done when the callback
	// answers below 400 and sets a cookie.
	Check string
}

// Report is the outcome of an audit.
type Report struct {
	Findings []audit.Finding
	// Checks lists what the audit did, for the record.
	Checks []string
}

// evilHost is where the open-redirect probes point: .invalid never
// resolves (RFC 6761), so nothing leaves the machine.
const evilHost = "wxgate-audit.invalid"

// defaultReturnParams are the names backends give their return parameter.
var defaultReturnParams = []string{"return_to", "next", "redirect", "redirect_url", "returnUrl", "return_url", "url", "continue", "target", "back", "from", "callback"}

// Run audits a running backend: it drives the target's logins against the
// emulator as the mini-program, the browser and the phone; searches every
// byte the target answers (any field name, any encoding) for the secrets
// the emulator issued or knows; and tries the OAuth attacks of seed 003.
// An error means the audit could not be carried out (the normal login
// failed, the target is unreachable); findings are not errors.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.MiniProgram == nil && opts.Web == nil {
		return nil, errors.New("audit: nothing to audit: set a mini-program login path, a web login path, or both")
	}
	target, err := url.Parse(strings.TrimRight(opts.Target, "/"))
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("audit: target %q is not an http(s) URL", opts.Target)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	a := &auditor{opts: opts, target: target, w: opts.Witness}
	if a.w == nil {
		stop, err := a.startEmulator()
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	for _, spec := range opts.Apps {
		if spec.AppID != "" {
			if _, err := a.w.Emulator().App(spec.AppID); err == nil {
				continue
			}
		}
		if _, err := a.w.Emulator().CreateApp(spec); err != nil {
			return nil, fmt.Errorf("audit: registering app %s in the emulator: %w", spec.AppID, err)
		}
	}
	if opts.MiniProgram != nil {
		if err := a.miniProgram(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Web != nil {
		if err := a.web(ctx); err != nil {
			return nil, err
		}
	}
	a.searchLeaks()
	return &Report{Findings: audit.Finalize(a.findings), Checks: a.checks}, nil
}

type auditor struct {
	opts   Options
	target *url.URL
	w      *Witness

	mu        sync.Mutex
	exchanges []exchange
	findings  []audit.Finding
	checks    []string
	users     int
}

// exchange is one answer of the target.
type exchange struct {
	req    string // "POST http://host/path"
	status int
	header http.Header
	body   []byte
}

func (a *auditor) progress(format string, args ...any) {
	if a.opts.Progress != nil {
		a.opts.Progress(fmt.Sprintf(format, args...))
	}
}

func (a *auditor) check(format string, args ...any) {
	a.checks = append(a.checks, fmt.Sprintf(format, args...))
}

// startEmulator runs an emulator for the audit on EmulatorAddr.
func (a *auditor) startEmulator() (func(), error) {
	beh := emulator.Behaviour{
		// Lenient where the backend may be sloppy, so the attacks can be
		// tried at all: a missing or odd state is the backend's bug to
		// find, not the emulator's to refuse.
		RequireState:       emulator.SwitchOff,
		StrictStateCharset: emulator.SwitchOff,
		JSCodeRateScope:    emulator.RateScopeOff,
	}
	e, err := emulator.New(emulator.Options{Fixture: a.opts.Fixture, Behaviour: beh})
	if err != nil {
		return nil, fmt.Errorf("audit: emulator: %w", err)
	}
	a.w = NewWitness(e)
	addr := a.opts.EmulatorAddr
	if addr == "" {
		addr = "127.0.0.1:9000"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("audit: the emulator cannot listen on %s: %w (point the target's WeChat API base at a free address and pass it as the emulator address)", addr, err)
	}
	srv := &http.Server{Handler: a.w, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if a.opts.EmulatorReady != nil {
		a.opts.EmulatorReady("http://" + ln.Addr().String())
	}
	return func() { _ = srv.Close() }, nil
}

// newUser creates an emulator user for one step of the audit.
func (a *auditor) newUser() (string, error) {
	a.users++
	id, err := a.w.Emulator().CreateUser(emulator.UserSpec{Nickname: fmt.Sprintf("Audit %d", a.users), City: "Shenzhen"})
	if err != nil {
		return "", fmt.Errorf("audit: emulator user: %w", err)
	}
	return id, nil
}

// browser is a cookie jar: one person's browser.
type browser struct{ jar http.CookieJar }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{jar: jar}
}

// do sends a request to the target (or its callback host) as browser b
// (nil: no cookies), without following redirects, and records the answer.
func (a *auditor) do(ctx context.Context, b *browser, method, u string, body []byte, ctype string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %s %s: %w", method, redactURL(u), err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "wxgate-audit (Mozilla/5.0 compatible)")
	hc := &http.Client{Transport: a.opts.Transport, Timeout: a.opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if b != nil {
		hc.Jar = b.jar
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %s %s: %w", method, redactURL(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %s %s: %w", method, redactURL(u), err)
	}
	a.mu.Lock()
	a.exchanges = append(a.exchanges, exchange{req: method + " " + endpointOf(u), status: resp.StatusCode, header: resp.Header.Clone(), body: raw})
	a.mu.Unlock()
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, nil, fmt.Errorf("%w: %s %s answered 429", ErrRateLimited, method, endpointOf(u))
	}
	return resp, raw, nil
}

// ErrRateLimited is returned when the target answers 429: the audit makes
// about fifty logins in a row from one address, and cannot judge logins
// the target refuses. Lift the target's login rate limit for the audit
// (wxgate: security.rate_limits.login_ip.limit and login_failed_ip.limit: -1).
var ErrRateLimited = errors.New("audit: the target rate-limits the audit's logins; lift its login rate limits for the audit (for wxgate: security.rate_limits.login_ip.limit: -1 and login_failed_ip.limit: -1) and run it again")

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// endpointOf is a URL without its query: "http://host/path".
func endpointOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// redactURL shows a URL without its query values.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	q := p.Query()
	var names []string
	for k := range q {
		names = append(names, k+"=…")
	}
	s := p.Scheme + "://" + p.Host + p.Path
	if len(names) > 0 {
		s += "?" + strings.Join(names, "&")
	}
	return s
}

func (a *auditor) targetURL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return a.target.String() + path
}

// ---- mini-program ----

func (a *auditor) miniProgram(ctx context.Context) error {
	mp := a.opts.MiniProgram
	appid, err := a.appOfType(mp.AppID, wechat.AppTypeMiniProgram)
	if err != nil {
		return err
	}
	field := mp.CodeField
	if field == "" {
		field = "code"
	}
	const logins = 2
	for i := range logins {
		uid, err := a.newUser()
		if err != nil {
			return err
		}
		code, err := a.w.Emulator().MiniProgramLogin(appid, uid)
		if err != nil {
			return fmt.Errorf("audit: wx.login in the emulator: %w", err)
		}
		var resp *http.Response
		if strings.Contains(mp.Path, "{code}") {
			resp, _, err = a.do(ctx, nil, http.MethodGet, a.targetURL(strings.ReplaceAll(mp.Path, "{code}", url.QueryEscape(code))), nil, "")
		} else {
			body := map[string]any{}
			for k, v := range mp.Body {
				body[k] = v
			}
			body[field] = code
			b, _ := json.Marshal(body)
			resp, _, err = a.do(ctx, nil, http.MethodPost, a.targetURL(mp.Path), b, "application/json")
		}
		if err != nil {
			return err
		}
		a.progress("mini-program login %d: %s answered %d", i+1, mp.Path, resp.StatusCode)
		if i == 0 && resp.StatusCode >= 400 {
			return fmt.Errorf("audit: the mini-program login (%s) answered %d: check the path, the code field and the app (appid %s) the target is configured with", mp.Path, resp.StatusCode, appid)
		}
	}
	a.check("mini-program login: %d logins through %s", logins, mp.Path)
	return nil
}

// appOfType resolves the app a flow uses: appid if given, else the
// emulator's only app of type t.
func (a *auditor) appOfType(appid string, t wechat.AppType) (string, error) {
	e := a.w.Emulator()
	if appid != "" {
		if _, err := e.App(appid); err != nil {
			return "", fmt.Errorf("audit: the emulator has no app %s: give its appid and secret, or a fixture", appid)
		}
		return appid, nil
	}
	var found []string
	for _, app := range e.Apps() {
		if app.Type == t {
			found = append(found, app.AppID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("audit: the emulator has no %s app: give the target's appid and secret, or a fixture", t)
	}
	return "", fmt.Errorf("audit: the emulator has %d %s apps (%s): say which one the target uses", len(found), t, strings.Join(found, ", "))
}

// ---- website login ----

// loginStart is a login the target started.
type loginStart struct {
	authURL string // WeChat's page the browser was sent to
	state   string
}

// startLogin asks the target to start a login for browser b, with the
// return parameter param=value when param is set.
func (a *auditor) startLogin(ctx context.Context, b *browser, param, value string) (loginStart, error) {
	u := a.targetURL(a.opts.Web.Start)
	if param != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + url.QueryEscape(param) + "=" + url.QueryEscape(value)
	}
	resp, _, err := a.do(ctx, b, http.MethodGet, u, nil, "")
	if err != nil {
		return loginStart{}, err
	}
	loc := resp.Header.Get("Location")
	lu, err := resp.Request.URL.Parse(loc)
	if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" || err != nil ||
		!(strings.HasSuffix(lu.Path, "/connect/qrconnect") || strings.HasSuffix(lu.Path, "/connect/oauth2/authorize")) {
		return loginStart{}, fmt.Errorf("audit: GET %s answered %d without a redirect to WeChat's qrconnect or oauth2/authorize page: give the path that starts a login", a.opts.Web.Start, resp.StatusCode)
	}
	lu.Fragment = ""
	return loginStart{authURL: lu.String(), state: lu.Query().Get("state")}, nil
}

// phone plays the user's phone: it opens WeChat's page and, as user uid,
// scans and confirms, returning where WeChat sends the browser (the
// target's callback with code and state).
func (a *auditor) phone(ctx context.Context, authURL, uid string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	req.AddCookie(&http.Cookie{Name: "wxemu_user", Value: uid})
	hc := &http.Client{Transport: a.opts.Transport, Timeout: a.opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("audit: opening WeChat's login page at %s: %w (is the target's open-platform base the emulator?)", endpointOf(authURL), unwrapURLError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			return "", fmt.Errorf("audit: WeChat's page redirected to a bad URL")
		}
		return loc.String(), nil
	}
	if code := resp.Header.Get("X-Wxemu-Error"); code != "" {
		return "", fmt.Errorf("audit: the emulator refused the login page with error %s: %s", code, emulatorErrorHint(code))
	}
	uuid := resp.Header.Get("X-Wxemu-Uuid")
	if uuid == "" {
		return "", fmt.Errorf("audit: %s is not the emulator's login page (status %d): point the target's WeChat bases at the emulator", endpointOf(authURL), resp.StatusCode)
	}
	e := a.w.Emulator()
	if err := e.Scan(uuid, uid); err != nil {
		return "", fmt.Errorf("audit: scanning: %w", err)
	}
	redirect, err := e.Confirm(uuid, uid)
	if err != nil {
		return "", fmt.Errorf("audit: confirming: %w", err)
	}
	return redirect, nil
}

func emulatorErrorHint(code string) string {
	switch code {
	case "40013":
		return "the target's appid is not an app of the emulator (give --appid and its secret, or a fixture)"
	case "10003":
		return "the target's redirect_uri is not on the app's callback domain (set the callback domain to the target's host)"
	case "10005":
		return "the app's type does not allow this page (qrconnect needs a website app, oauth2/authorize an official account)"
	case "10013":
		return "the state is not acceptable"
	}
	return "see docs/emulator.md (error pages)"
}

// outcome is what a callback did.
type outcome struct {
	status   int
	loggedIn bool
	chain    []string // Location headers, in order
	bodies   [][]byte
}

// finish opens a callback URL in browser b, follows redirects on the
// target, and tells whether b is now logged in.
func (a *auditor) finish(ctx context.Context, b *browser, callback string) (outcome, error) {
	var out outcome
	resp, body, err := a.do(ctx, b, http.MethodGet, callback, nil, "")
	if err != nil {
		return out, err
	}
	out.status = resp.StatusCode
	out.bodies = append(out.bodies, body)
	cookie := setsCookie(resp)
	cbHost := strings.ToLower(resp.Request.URL.Host)
	cur := resp
	for hop := 0; hop < 5 && cur.StatusCode >= 300 && cur.StatusCode < 400; hop++ {
		loc := cur.Header.Get("Location")
		if loc == "" {
			break
		}
		out.chain = append(out.chain, loc)
		next, err := cur.Request.URL.Parse(strings.ReplaceAll(loc, `\`, "/"))
		if err != nil || strings.ToLower(next.Host) != cbHost || (next.Scheme != "http" && next.Scheme != "https") {
			break
		}
		r2, b2, err := a.do(ctx, b, http.MethodGet, next.String(), nil, "")
		if err != nil {
			break
		}
		out.bodies = append(out.bodies, b2)
		cur = r2
	}
	if a.opts.Web.Check != "" {
		r, _, err := a.do(ctx, b, http.MethodGet, a.targetURL(a.opts.Web.Check), nil, "")
		if err != nil {
			return out, err
		}
		out.loggedIn = r.StatusCode >= 200 && r.StatusCode < 300
	} else {
		out.loggedIn = out.status < 400 && cookie
	}
	return out, nil
}

// setsCookie reports a response setting a cookie to a value (not
// deleting one).
func setsCookie(resp *http.Response) bool {
	for _, c := range resp.Cookies() {
		if c.Value != "" && c.MaxAge >= 0 && (c.Expires.IsZero() || c.Expires.After(time.Now())) {
			return true
		}
	}
	return false
}

// withQuery returns u with its query's name set to value, or removed when
// value is "".
func withQuery(u, name, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	if value == "" {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	p.RawQuery = q.Encode()
	return p.String()
}

// login runs a whole login: start in browser b, confirm on the phone as a
// new user, and return the callback URL (not yet opened).
func (a *auditor) login(ctx context.Context, b *browser, param, value string) (loginStart, string, error) {
	st, err := a.startLogin(ctx, b, param, value)
	if err != nil {
		return st, "", err
	}
	uid, err := a.newUser()
	if err != nil {
		return st, "", err
	}
	cb, err := a.phone(ctx, st.authURL, uid)
	return st, cb, err
}

// web audits the website login: the normal flow must log in, then each
// attack is tried in fresh browsers.
func (a *auditor) web(ctx context.Context) error {
	cb, err := a.normalLogin(ctx)
	if err != nil {
		return err
	}
	for _, try := range []func(context.Context, string) error{a.callbackWithoutState, a.foreignState, a.codeReplay} {
		if err := try(ctx, cb); err != nil {
			return err
		}
	}
	return a.openRedirect(ctx)
}

// normalLogin logs a browser in the normal way and returns its callback
// URL: the attacks prove nothing unless this works.
func (a *auditor) normalLogin(ctx context.Context) (string, error) {
	start := a.opts.Web.Start
	b := newBrowser()
	_, cb, err := a.login(ctx, b, "", "")
	if err != nil {
		return "", err
	}
	out, err := a.finish(ctx, b, cb)
	if err != nil {
		return "", err
	}
	if !out.loggedIn {
		return "", fmt.Errorf("audit: the normal website login through %s did not log the browser in (the callback answered %d): check the login path, the check path and the app the target uses", start, out.status)
	}
	a.progress("website login: the normal flow logs in")
	a.check("website login: the normal flow through %s logs in", start)
	return cb, nil
}

// callbackWithoutState opens a callback without state in a browser that
// started a login. cb is the normal login's callback.
func (a *auditor) callbackWithoutState(ctx context.Context, cb string) error {
	b := newBrowser()
	_, cb2, err := a.login(ctx, b, "", "")
	if err != nil {
		return err
	}
	o, err := a.finish(ctx, b, withQuery(cb2, "state", ""))
	if err != nil {
		return err
	}
	if o.loggedIn {
		a.attack(audit.KindCallbackWithoutState, "GET "+endpointOf(cb),
			"the callback logged a browser in with no state at all: an attacker can log a victim into the attacker's account (login CSRF)",
			fmt.Sprintf("GET %s?code=… (no state) → %d, logged in", urlPath(cb), o.status))
	}
	a.check("website login: a callback without state")
	return nil
}

// foreignState opens the attacker's callback (its state issued to the
// attacker's browser) in the victim's browser, which started a login of
// its own.
func (a *auditor) foreignState(ctx context.Context, cb string) error {
	attacker, victim := newBrowser(), newBrowser()
	_, cbA, err := a.login(ctx, attacker, "", "")
	if err != nil {
		return err
	}
	if _, err := a.startLogin(ctx, victim, "", ""); err != nil {
		return err
	}
	o, err := a.finish(ctx, victim, cbA)
	if err != nil {
		return err
	}
	if o.loggedIn {
		a.attack(audit.KindForeignState, "GET "+endpointOf(cb),
			"the callback logged the victim's browser in with a state issued to another browser: the victim is now in the attacker's account (login CSRF, seed 003)",
			fmt.Sprintf("GET %s?code=…&state=<another browser's> → %d, logged in", urlPath(cb), o.status))
	}
	a.check("website login: another browser's state (login CSRF)")
	return nil
}

// codeReplay opens the normal login's code, already exchanged, with a
// fresh state of the replaying browser's own.
func (a *auditor) codeReplay(ctx context.Context, cb string) error {
	b := newBrowser()
	st, err := a.startLogin(ctx, b, "", "")
	if err != nil {
		return err
	}
	if code := queryOf(cb, "code"); code != "" {
		replay := withQuery(withQuery(cb, "state", st.state), "code", code)
		if st.state == "" {
			replay = withQuery(cb, "state", "")
		}
		o, err := a.finish(ctx, b, replay)
		if err != nil {
			return err
		}
		if o.loggedIn {
			a.attack(audit.KindCodeReplay, "GET "+endpointOf(cb),
				"a code that was already exchanged logged another browser in again: the backend does not rely on WeChat's single-use codes",
				fmt.Sprintf("GET %s?code=<used>&state=<its own> → %d, logged in", urlPath(cb), o.status))
		}
	}
	a.check("website login: a replayed code")
	return nil
}

// openRedirect logs in with each return parameter set to each probe
// payload and watches where the browser is sent.
func (a *auditor) openRedirect(ctx context.Context) error {
	start := a.opts.Web.Start
	params := defaultReturnParams
	if a.opts.Web.ReturnParam != "" {
		params = []string{a.opts.Web.ReturnParam}
	}
	probes := 0
	for _, p := range params {
		n, err := a.redirectProbes(ctx, p)
		if err != nil {
			return err
		}
		probes += n
	}
	if probes == 0 {
		return fmt.Errorf("audit: no open-redirect probe completed a login through %s with %s: check the return parameter", start, strings.Join(params, ", "))
	}
	a.check("website login: open redirect through %s (%d logins)", strings.Join(params, ", "), probes)
	return nil
}

// redirectProbes tries the probe payloads on the return parameter p until
// one redirects off-site; it returns how many probes completed a login.
func (a *auditor) redirectProbes(ctx context.Context, p string) (int, error) {
	start := a.opts.Web.Start
	stop := func(err error) bool { return ctx.Err() != nil || errors.Is(err, ErrRateLimited) }
	probes := 0
	for _, payload := range []string{"https://" + evilHost + "/", "//" + evilHost + "/", `/\` + evilHost + "/"} {
		b := newBrowser()
		_, cb, err := a.login(ctx, b, p, payload)
		if err != nil {
			if stop(err) {
				return probes, err
			}
			continue // the parameter broke the login: not a redirect
		}
		o, err := a.finish(ctx, b, cb)
		if err != nil {
			if stop(err) {
				return probes, err
			}
			continue
		}
		probes++
		if dest := evilDestination(cb, o); dest != "" {
			a.attack(audit.KindOpenRedirect, "GET "+endpointOf(a.targetURL(start)),
				fmt.Sprintf("after login the backend sent the browser to %s, taken from ?%s=", dest, p),
				fmt.Sprintf("GET %s?%s=%s → … → %s", start, p, payload, dest))
			break
		}
	}
	return probes, nil
}

func (a *auditor) attack(k audit.Kind, file, msg, excerpt string) {
	a.findings = append(a.findings, audit.Finding{Kind: k, File: file, Message: msg, Excerpt: audit.RedactText(excerpt),
		Fingerprint: audit.Fingerprint(k, file, "")})
}

func urlPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}

func queryOf(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Query().Get(name)
}

// evilDestination returns where, if anywhere, the callback's redirects
// (or a page's script or refresh) send the browser off to the probe host.
func evilDestination(callback string, o outcome) string {
	base, err := url.Parse(callback)
	if err != nil {
		return ""
	}
	for _, loc := range o.chain {
		// Browsers read a backslash as a slash.
		u, err := base.Parse(strings.ReplaceAll(loc, `\`, "/"))
		if err == nil && strings.EqualFold(u.Hostname(), evilHost) {
			return u.Scheme + "://" + u.Host + "/"
		}
	}
	for _, b := range o.bodies {
		l := bytes.ToLower(b)
		if bytes.Contains(l, []byte(evilHost)) && (bytes.Contains(l, []byte("location")) || bytes.Contains(l, []byte("refresh"))) {
			return evilHost + " (in the page's script or refresh)"
		}
	}
	return ""
}

// ---- leaks ----

// searchLeaks searches every answer of the target for every secret the
// witness knows, in any field and encoding.
func (a *auditor) searchLeaks() {
	search := audit.NewAnswerSearch(a.w.secrets())
	if search.Len() == 0 {
		return
	}
	for _, ex := range a.exchanges {
		a.findings = append(a.findings, search.Search(ex.req, ex.header, ex.body)...)
	}
	a.check("leaks: searched %d answers of the target for %d secrets the emulator issued or holds", len(a.exchanges), search.Len())
}
