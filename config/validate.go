package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// Defaults of the keys that have one.
const (
	defaultListen          = "127.0.0.1:8080"
	defaultDatabase        = "sqlite:./wxgate.db"
	defaultCache           = "memory"
	defaultKeysFile        = "./wxgate.keys"
	defaultTimeout         = Duration(10 * time.Second)
	defaultIdleTimeout     = Duration(24 * time.Hour)
	defaultAbsoluteTimeout = Duration(720 * time.Hour)
	defaultWatermarkMaxAge = Duration(5 * time.Minute)
	defaultReturnTo        = "/"
	defaultLogLevel        = "info"
	defaultLogFormat       = "text"
	defaultScope           = wechat.ScopeUserInfo
)

// minInternalKeyLen is the shortest internal API key accepted outside dev.
const minInternalKeyLen = 32

var (
	validName  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	validAppID = regexp.MustCompile(`^wx[0-9a-f]{16}$`)
	secretHex  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// setDefaults fills in every key left unset. derived reports whether
// public_url was derived from listen.
func (c *Config) setDefaults() (derived bool) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defDur := func(d *Duration, v Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Listen, defaultListen)
	if c.PublicURL == "" {
		derived = true
		c.PublicURL = "http://" + c.Listen
	}
	c.PublicURL = normalizeURL(c.PublicURL)
	def(&c.WeChat.APIBase, wechat.DefaultAPIBase)
	def(&c.WeChat.OpenBase, wechat.DefaultOpenBase)
	def(&c.WeChat.TokenMode, TokenModeStable)
	defDur(&c.WeChat.Timeout, defaultTimeout)
	def(&c.Database, defaultDatabase)
	def(&c.Cache, defaultCache)
	def(&c.KeysFile, defaultKeysFile)
	defDur(&c.Sessions.IdleTimeout, defaultIdleTimeout)
	defDur(&c.Sessions.AbsoluteTimeout, defaultAbsoluteTimeout)
	def(&c.Web.DefaultReturnTo, defaultReturnTo)
	defDur(&c.Security.ReplayWindow, Duration(5*time.Minute))
	def(&c.Log.Level, defaultLogLevel)
	def(&c.Log.Format, defaultLogFormat)
	c.setOIDCDefaults()
	c.defaultAccounts()
	for i := range c.Apps {
		a := &c.Apps[i]
		switch a.Type {
		case wechat.AppTypeMiniProgram:
			defDur(&a.WatermarkMaxAge, defaultWatermarkMaxAge)
			if a.ScanPage != "" {
				def(&a.ScanEnvVersion, string(wechat.EnvRelease))
			}
		case wechat.AppTypeOfficialAccount:
			if a.Scope == "" {
				a.Scope = defaultScope
			}
		}
	}
	return derived
}

// check validates c, recording every problem and warning in r, and
// resolves the secrets.
func (c *Config) check(lookupEnv func(string) (string, bool), derived bool, r *report) {
	if c.Dev {
		r.warn("dev", "dev mode is on: literal secrets and plain-http URLs are accepted; never run this way in production")
	}
	c.checkListen(derived, r)
	c.checkURL("wechat.api_base", c.WeChat.APIBase, "the AppSecret travels in requests to it", r)
	c.checkURL("wechat.open_base", c.WeChat.OpenBase, "users' browsers are sent to it", r)
	switch c.WeChat.TokenMode {
	case TokenModeStable, TokenModeClassic:
	default:
		r.add("wechat.token_mode", shown(c.WeChat.TokenMode)+" is not a token mode; use stable (several instances share tokens safely) or classic")
	}
	c.checkApps(lookupEnv, r)
	c.checkStores(r)
	c.checkDeployment(r)
	if c.KeysFile == "" {
		r.add("keys_file", "empty; set the path of the at-rest keyring (`wxgate keys init` creates it)")
	}
	if c.Sessions.AbsoluteTimeout < c.Sessions.IdleTimeout {
		r.add("sessions.absolute_timeout", fmt.Sprintf("%s%s is shorter than idle_timeout (%s); raise absolute_timeout or lower idle_timeout",
			c.Sessions.AbsoluteTimeout, defaultNote(r, "sessions.absolute_timeout"), c.Sessions.IdleTimeout))
	}
	c.checkWeb(r)
	c.checkInternal(lookupEnv, r)
	c.checkSecurity(r)
	c.checkOIDC(lookupEnv, r)
	c.checkAccounts(lookupEnv, r)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		r.add("log.level", shown(c.Log.Level)+" is not a log level; use debug, info, warn or error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		r.add("log.format", shown(c.Log.Format)+" is not a log format; use text or json")
	}
}

// defaultNote marks a value the user did not set.
func defaultNote(r *report, path string) string {
	if _, set := r.origins[path]; set {
		return ""
	}
	return " (the default)"
}

func (c *Config) checkListen(derived bool, r *report) {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		r.add("listen", shown(c.Listen)+" is not host:port; write e.g. 127.0.0.1:8080, or :8080 for every interface")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.add("listen", shown(c.Listen)+" has no valid port; write e.g. 127.0.0.1:8080")
	}
	if derived {
		if err != nil {
			return // reported above
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			r.add("public_url", "not set, and listen "+shown(c.Listen)+" (every interface) does not say how browsers reach the gateway; set public_url, e.g. https://login.example.com")
			return
		}
	}
	c.checkURL("public_url", c.PublicURL, "login cookies and WeChat's redirects depend on it", r)
}

// checkURL checks a base URL: absolute http(s), no user, query or
// fragment, and https unless dev or a loopback host.
func (c *Config) checkURL(path, s, why string, r *report) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		r.add(path, shown(s)+" is not an absolute http(s) URL; write it like https://host[:port][/path]")
		return
	}
	if u.User != nil {
		r.add(path, "the URL holds a user name or password; remove it")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		r.add(path, shown(s)+" has a query or fragment; remove everything from ? or #")
	}
	if u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()) {
		r.add(path, shown(s)+" is plain http and "+why+"; use https (http is only for a loopback host, or with dev: true)")
	}
}

// normalizeURL lower-cases the scheme and host of an absolute URL and
// drops the scheme's default port, so that "HTTPS://Login.Example.com:443/"
// gives the Secure and __Host- cookies of https and the origin browsers
// send (https://login.example.com). Anything that does not parse is left
// for checkURL to report.
func normalizeURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return s
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	return u.String()
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) checkApps(lookupEnv func(string) (string, bool), r *report) {
	if len(c.Apps) == 0 {
		r.warn("apps", "no apps are configured, so nobody can log in; add one under apps:")
	}
	names := map[string]int{}
	appIDs := map[string]int{}
	sources := map[string]int{}
	for i := range c.Apps {
		a := &c.Apps[i]
		p := indexPath("apps", i)
		at := func(key string) string { return joinPath(p, key) }
		switch {
		case a.Name == "":
			r.add(at("name"), "missing; give the app a name such as web or shop (lower case letters, digits, - and _)")
		case !validName.MatchString(a.Name):
			hint := ""
			if l := strings.ToLower(a.Name); l != a.Name && validName.MatchString(l) {
				hint = " (names are lower case: " + l + ")"
			}
			r.add(at("name"), shown(a.Name)+" is not a valid name"+hint+"; use 1 to 32 lower-case letters, digits, - and _, starting with a letter or digit")
		default:
			if j, dup := names[a.Name]; dup {
				r.add(at("name"), fmt.Sprintf("%q is also the name of apps[%d]; give each app its own name", a.Name, j))
			} else {
				names[a.Name] = i
			}
		}
		switch {
		case a.Type == "":
			r.add(at("type"), "missing; set it to website, official_account, miniprogram or mobile")
		case !a.Type.Valid():
			r.add(at("type"), shown(string(a.Type))+" is not an app type; use website, official_account, miniprogram or mobile")
		}
		switch {
		case a.AppID == "":
			r.add(at("appid"), "missing; copy the AppID (wx followed by 16 hex digits) from the WeChat platform")
		case !validAppID.MatchString(a.AppID):
			hint := ""
			if validAppID.MatchString(strings.ToLower(strings.TrimSpace(a.AppID))) {
				hint = " (write it in lower case without spaces)"
			}
			r.add(at("appid"), shown(a.AppID)+" is not an AppID"+hint+"; copy the AppID (wx and 16 hex digits) from the WeChat platform")
		default:
			if j, dup := appIDs[a.AppID]; dup {
				r.add(at("appid"), fmt.Sprintf("apps[%d] has the same AppID; configure each WeChat app once", j))
			} else {
				appIDs[a.AppID] = i
			}
		}
		if a.Type.Valid() {
			if a.WatermarkMaxAge != 0 && a.Type != wechat.AppTypeMiniProgram {
				r.add(at("watermark_max_age"), "applies to miniprogram apps only; remove it from this "+string(a.Type)+" app")
			}
			switch {
			case a.Scope != "" && a.Type != wechat.AppTypeOfficialAccount:
				r.add(at("scope"), "applies to official_account apps only; remove it from this "+string(a.Type)+" app")
			case a.Type != wechat.AppTypeOfficialAccount:
			case a.Scope == wechat.ScopeLogin:
				r.add(at("scope"), "snsapi_login is website QR login's scope; an official account uses snsapi_base (openid only) or snsapi_userinfo (profile too)")
			case a.Scope != wechat.ScopeBase && a.Scope != wechat.ScopeUserInfo:
				r.add(at("scope"), shown(string(a.Scope))+" is not an official-account scope; use snsapi_base (openid only) or snsapi_userinfo (profile too)")
			}
		}
		c.checkAppSecret(a, p, lookupEnv, sources, r)
		checkScanLogin(a, at, lookupEnv, r)
	}
}

// checkAppSecret checks an app's secret source and resolves the secret.
func (c *Config) checkAppSecret(a *App, p string, lookupEnv func(string) (string, bool), sources map[string]int, r *report) {
	src := a.secretSource()
	switch src.count() {
	case 0:
		r.add(p, "no AppSecret; set secret_env to the name of an environment variable that holds it, or secret_file to a file that holds it")
		return
	case 1:
	default:
		name := "<NAME>"
		if validName.MatchString(a.Name) {
			name = envWord(a.Name)
		}
		r.add(p, "set only one of secret_env, secret_file and secret (to switch sources with the environment, clear the other with an empty variable, e.g. "+envPrefix+"_APPS_"+name+"_SECRET_FILE=)")
		return
	}
	if !a.Secret.IsZero() {
		if !c.Dev {
			o := r.lookup(joinPath(p, "secret"))
			if o.env != "" {
				r.add(joinPath(p, "secret"), "a literal secret is refused outside dev mode; to read the AppSecret from this variable, name it as the source instead: secret_env: "+o.env)
			} else {
				r.add(joinPath(p, "secret"), "a literal secret is refused outside dev mode; put it in an environment variable and set secret_env, or in a file and set secret_file")
			}
			return
		}
		r.warn(joinPath(p, "secret"), "a literal secret is accepted because dev is true; outside dev use secret_env or secret_file")
	}
	if key, val := src.ref(); key != "" {
		ref := key + "=" + val
		if j, dup := sources[ref]; dup {
			r.add(joinPath(p, key), fmt.Sprintf("apps[%d] reads its AppSecret from the same place; every app has its own AppSecret, so give each its own", j))
		}
		sources[ref] = appIndexOf(p)
	}
	v, f := src.read(lookupEnv)
	if f != nil {
		r.add(joinPath(p, f.key), f.msg)
		return
	}
	for _, w := range src.warnings {
		r.warn(joinPath(p, w.key), w.msg)
	}
	if !secretHex.MatchString(v) {
		r.warn(joinPath(p, src.setKey()), "the AppSecret is not 32 lower-case hex digits, as WeChat's are; check that it is the app's AppSecret and holds nothing else")
	}
	a.secret = wechat.NewSecret(v)
}

// appIndexOf returns i of "apps[i]".
func appIndexOf(p string) int {
	i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, "apps["), "]"))
	return i
}

func (c *Config) checkStores(r *report) {
	db := c.Database
	switch {
	case db == "memory":
		if !c.Dev {
			r.warn("database", "memory keeps users and sessions in this process only: they are lost on restart; use sqlite:PATH or postgres://...")
		}
	case strings.HasPrefix(db, "sqlite:"):
		if strings.TrimPrefix(db, "sqlite:") == "" {
			r.add("database", "sqlite: needs a file path, e.g. sqlite:./wxgate.db")
		}
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		if multiHost(db) {
			// host1:5432,host2:5432: Go's URL parser refuses it; the
			// PostgreSQL backend parses it at start with clear errors.
			break
		}
		checkStoreURL("database", db, "WXGATE_DATABASE", r)
	default:
		r.add("database", unknownStore(db)+"; use sqlite:PATH, postgres://user@host/db or memory")
	}
	switch cache := c.Cache; {
	case cache == "memory":
	case strings.HasPrefix(cache, "redis://"), strings.HasPrefix(cache, "rediss://"),
		strings.HasPrefix(cache, "redis+cluster://"), strings.HasPrefix(cache, "rediss+cluster://"):
		checkStoreURL("cache", cache, "WXGATE_CACHE", r)
	default:
		r.add("cache", unknownStore(cache)+"; use memory, redis://host:6379/0, rediss://host:6380/0 or redis+cluster://host1:6379,host2:6379")
	}
}

// unknownStore names an unrecognised store URL by its scheme only: the
// rest may hold a password.
func unknownStore(s string) string {
	scheme, _, found := strings.Cut(s, ":")
	if !found || scheme == "" || len(scheme) > 20 || strings.ContainsAny(scheme, "@/ ") {
		return "not a recognised store URL"
	}
	return "the scheme " + strconv.Quote(scheme) + " is not recognised"
}

// checkStoreURL checks a store URL without ever quoting it: it may hold a
// password.
// multiHost reports whether a store URL names several hosts
// (postgres://h1:5432,h2:5432/db).
func multiHost(s string) bool {
	rest := s[strings.Index(s, "://")+3:]
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(rest, ",")
}

func checkStoreURL(path, s, envName string, r *report) {
	if multiHost(s) {
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		r.add(path, "not a valid URL (the value is not shown: it may hold a password); check its syntax, percent-encoding special characters in the password")
		return
	}
	if _, hasPassword := u.User.Password(); hasPassword && r.lookup(path).line > 0 {
		r.warn(path, "the URL in the file holds a password; keep it out of the file: set "+envName+" in the environment instead")
	}
}

func (c *Config) checkWeb(r *report) {
	for i, o := range c.Web.AllowedOrigins {
		p := indexPath("web.allowed_origins", i)
		u, err := url.Parse(o)
		switch {
		case o == "*" || strings.Contains(o, "*"):
			r.add(p, "wildcards are not accepted; list each origin, e.g. https://www.example.com")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
			r.add(p, shown(o)+" is not an origin; write scheme://host[:port], e.g. https://www.example.com")
		case u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o, "#"):
			r.add(p, shown(o)+" is not an origin: it has more than scheme://host[:port]; write "+u.Scheme+"://"+u.Host)
		case o != strings.ToLower(o):
			r.add(p, shown(o)+" is not in lower case; write "+strings.ToLower(o))
		case u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()):
			r.warn(p, shown(o)+" is plain http: users return to it unencrypted; use https")
		}
	}
	c.checkReturnTo(r)
}

// checkReturnTo checks default_return_to: a path on the gateway's site, or
// a URL on public_url's origin or an allowed origin.
func (c *Config) checkReturnTo(r *report) {
	const path = "web.default_return_to"
	s := c.Web.DefaultReturnTo
	if strings.HasPrefix(s, "/") {
		if strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n\t") {
			r.add(path, shown(s)+" would leave the site; write a path such as /account")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		r.add(path, shown(s)+" is neither a path nor an absolute URL; write a path such as / or /account")
		return
	}
	origin := u.Scheme + "://" + u.Host
	if pu, err := url.Parse(c.PublicURL); err == nil && pu.Scheme+"://"+pu.Host == origin {
		return
	}
	for _, o := range c.Web.AllowedOrigins {
		if o == origin {
			return
		}
	}
	r.add(path, shown(s)+" is not on public_url's origin or an allowed origin; add "+origin+" to web.allowed_origins, or write a path")
}

func (c *Config) checkInternal(lookupEnv func(string) (string, bool), r *report) {
	src := c.Internal.secretSource()
	switch src.count() {
	case 0:
		return
	case 1:
	default:
		r.add("internal", "set only one of api_key_env and api_key_file")
		return
	}
	v, f := src.read(lookupEnv)
	if f != nil {
		r.add(joinPath("internal", f.key), f.msg)
		return
	}
	for _, w := range src.warnings {
		r.warn(joinPath("internal", w.key), w.msg)
	}
	if len(v) < minInternalKeyLen {
		msg := fmt.Sprintf("the internal API key is shorter than %d characters, and it guards every app's access token; generate one with: openssl rand -hex 32", minInternalKeyLen)
		if c.Dev {
			r.warn(joinPath("internal", src.setKey()), msg)
		} else {
			r.add(joinPath("internal", src.setKey()), msg)
		}
	}
}

func (c *Config) checkSecurity(r *report) {
	for i, p := range c.Security.TrustedProxies {
		path := fmt.Sprintf("security.trusted_proxies[%d]", i)
		if pr, err := netip.ParsePrefix(strings.TrimSpace(p)); err == nil {
			if pr != pr.Masked() {
				r.add(path, shown(p)+" has host bits set; write the network, e.g. "+pr.Masked().String())
			}
			continue
		}
		if _, err := netip.ParseAddr(strings.TrimSpace(p)); err != nil {
			r.add(path, shown(p)+" is neither an IP address nor a CIDR prefix (such as 10.0.0.0/8)")
		}
	}
	rl := c.Security.RateLimits
	for name, rate := range map[string]Rate{"login_ip": rl.LoginIP, "login_failed_ip": rl.LoginFailedIP, "login_user": rl.LoginUser,
		"decrypt_ip": rl.DecryptIP, "decrypt_user": rl.DecryptUser, "phone_ip": rl.PhoneIP, "phone_user": rl.PhoneUser} {
		if rate.Limit < -1 {
			r.add("security.rate_limits."+name+".limit", fmt.Sprintf("%d is not a limit; use a positive number, or -1 to turn the rule off", rate.Limit))
		}
	}
	if c.Security.ReplayWindow > Duration(time.Hour) {
		r.add("security.replay_window", fmt.Sprintf("%s is longer than an hour; a replayed request would stay acceptable that long (the default is 5m)", c.Security.ReplayWindow))
	}
}
