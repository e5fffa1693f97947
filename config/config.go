package config

import (
	"fmt"
	"io"
	"os"

	"github.com/wxgate/wxgate/wechat"
)

// MaxFileSize bounds a configuration file; a larger one is refused.
const MaxFileSize = 1 << 20

// How central control fetches app access tokens (wechat.token_mode).
const (
	// TokenModeStable uses /cgi-bin/stable_token: several callers may
	// fetch without invalidating each other's tokens. The default.
	TokenModeStable = "stable"
	// TokenModeClassic uses /cgi-bin/token: every fetch invalidates the
	// previous token, so only one fetcher may run for an app.
	TokenModeClassic = "classic"
)

// Config is the gateway's configuration. Load and Parse return it with
// defaults filled in and every check passed; docs/configuration.md
// documents each key.
type Config struct {
	// Listen is the address the gateway listens on (host:port).
	// Default "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// PublicURL is the URL browsers reach the gateway at: an absolute
	// http(s) URL without query or fragment, https unless dev or a loopback
	// host. Default "http://" + Listen.
	PublicURL string `yaml:"public_url"`
	// Dev relaxes the production rules: literal secrets and plain-http URLs
	// are accepted. Never set it in production.
	Dev bool `yaml:"dev"`
	// WeChat says where WeChat's APIs are and how to call them.
	WeChat WeChat `yaml:"wechat"`
	// Apps are the WeChat apps users log in through.
	Apps []App `yaml:"apps"`
	// Database is the durable store: "sqlite:PATH", "postgres://..." or
	// "postgresql://...", or "memory". Default "sqlite:./wxgate.db".
	Database string `yaml:"database"`
	// Cache is the ephemeral store: "memory", "redis://..." or
	// "rediss://...". Default "memory".
	Cache string `yaml:"cache"`
	// KeysFile is the at-rest encryption keyring. Default "./wxgate.keys".
	KeysFile string `yaml:"keys_file"`
	// Sessions are the login sessions' timeouts.
	Sessions Sessions `yaml:"sessions"`
	// Web is where browser logins may return to.
	Web Web `yaml:"web"`
	// Internal guards the /internal/ API.
	Internal Internal `yaml:"internal"`
	// Security holds rate limits, trusted proxies and the replay window.
	Security Security `yaml:"security"`
	// Log is the process log's level and format.
	Log Log `yaml:"log"`
	// OIDC is the OpenID Connect provider (docs/oidc.md).
	OIDC OIDC `yaml:"oidc"`
	// Accounts says how logins become users (see accounts.go).
	Accounts Accounts `yaml:"accounts"`
	// Admin configures the administration API (see accounts.go).
	Admin Admin `yaml:"admin"`

	// Warnings are things that work but deserve the operator's attention
	// (a group-readable secret file, dev mode, ...), one line each, ready
	// to log. They never hold a secret.
	Warnings []string `yaml:"-"`
}

// WeChat says where WeChat's APIs are and how to call them.
type WeChat struct {
	// APIBase is the base URL of api.weixin.qq.com (the emulator's base URL
	// in development and tests). Default https://api.weixin.qq.com.
	APIBase string `yaml:"api_base"`
	// OpenBase is the base URL of open.weixin.qq.com.
	// Default https://open.weixin.qq.com.
	OpenBase string `yaml:"open_base"`
	// TokenMode is how central control fetches app access tokens:
	// TokenModeStable (the default) or TokenModeClassic.
	TokenMode string `yaml:"token_mode"`
	// Timeout bounds each call to WeChat. Default 10s.
	Timeout Duration `yaml:"timeout"`
}

// App is one WeChat app users log in through.
type App struct {
	// Name is how requests and environment variables address the app:
	// [a-z0-9][a-z0-9_-]{0,31}, unique.
	Name string `yaml:"name"`
	// Type is website, official_account, miniprogram or mobile.
	Type wechat.AppType `yaml:"type"`
	// AppID is the app's AppID: wx and 16 hex digits, unique.
	AppID string `yaml:"appid"`
	// SecretEnv names the environment variable that holds the AppSecret.
	SecretEnv string `yaml:"secret_env"`
	// SecretFile is a file that holds the AppSecret.
	SecretFile string `yaml:"secret_file"`
	// Secret is a literal AppSecret, refused unless dev is true. It is a
	// wechat.Secret, not a string, so even a dev secret never prints.
	Secret wechat.Secret `yaml:"secret"`
	// ExposeOpenID is the operator's opt-in to return openid and unionid
	// in API responses. Default false.
	ExposeOpenID bool `yaml:"expose_openid"`
	// WatermarkMaxAge is how old decrypted mini-program data may be
	// (miniprogram only). Default 5m.
	WatermarkMaxAge Duration `yaml:"watermark_max_age"`
	// SignRequests turns on the replay-protected API mode. Default false.
	SignRequests bool `yaml:"sign_requests"`
	// ForwardAuthUnsigned lets sessions of an app with sign_requests pass
	// /auth/verify without a signature: set it only when the service behind
	// the proxy checks the signatures itself. Default false.
	ForwardAuthUnsigned bool `yaml:"forward_auth_unsigned"`
	// Scope is the default scope of /auth/wechat/authorize
	// (official_account only): snsapi_base or snsapi_userinfo, the default.
	Scope wechat.Scope `yaml:"scope"`
	// ScanPage (miniprogram only) is the mini-program page a website-login
	// code opens; setting it turns on website login by mini-program code.
	ScanPage string `yaml:"scan_page"`
	// ScanEnvVersion (miniprogram only) is the version the code opens:
	// release (default), trial or develop.
	ScanEnvVersion string `yaml:"scan_env_version"`
	// FollowLogin (official_account only) turns on website login by
	// scanning the account's parametric QR code (follow-the-account).
	FollowLogin bool `yaml:"follow_login"`
	// EventTokenEnv (official_account only) names the environment variable
	// holding the Token of the account's server configuration (event
	// pushes are signed with it).
	EventTokenEnv string `yaml:"event_token_env"`
	// EventAESKeyEnv (official_account only) names the environment variable
	// holding the EncodingAESKey (safe mode); unset means plaintext mode.
	EventAESKeyEnv string `yaml:"event_aes_key_env"`
	// SDKQRLogin (mobile only) turns on /auth/mobile/qr-signature, the
	// OpenSDK's QR login for TV, desktop and kiosk apps.
	SDKQRLogin bool `yaml:"sdk_qr_login"`

	// secret is the AppSecret Load resolved.
	secret wechat.Secret
}

// Sessions are the login sessions' timeouts.
type Sessions struct {
	// IdleTimeout ends a session unused this long. Default 24h.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// AbsoluteTimeout ends every session this long after login, used or
	// not. Default 720h (30 days); at least IdleTimeout.
	AbsoluteTimeout Duration `yaml:"absolute_timeout"`
}

// Web is where browser logins may return to.
type Web struct {
	// AllowedOrigins are extra origins (scheme://host[:port], no path) that
	// return_to may point to, besides public_url's own.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// DefaultReturnTo is where a login returns when it names no return_to:
	// a path on the gateway's site or a URL on an allowed origin.
	// Default "/".
	DefaultReturnTo string `yaml:"default_return_to"`
}

// Internal guards the /internal/ API (access tokens for the company's
// other services). With neither key set, that API is off.
type Internal struct {
	// APIKeyEnv names the environment variable that holds the key.
	APIKeyEnv string `yaml:"api_key_env"`
	// APIKeyFile is a file that holds the key.
	APIKeyFile string `yaml:"api_key_file"`
	// Listen, if set, is the address (host:port) of a listener of its own
	// for /internal/ and /metrics (and /healthz, /readyz), which the
	// public listener then no longer serves. Use a loopback or private
	// address.
	Listen string `yaml:"listen"`
}

// Security holds the request protections: whose X-Forwarded-For to
// believe, rate limits, and the replay window of signed requests.
type Security struct {
	// TrustedProxies lists the proxies (addresses or CIDR prefixes) whose
	// X-Forwarded-For header names the client. Requests from anywhere else
	// are attributed to their peer address, so clients cannot spoof it.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ReplayWindow is how far from now the timestamp of a signed request
	// (apps with sign_requests) may be; default 5m.
	ReplayWindow Duration `yaml:"replay_window"`
	// RateLimits override the default limits rule by rule.
	RateLimits RateLimits `yaml:"rate_limits"`
}

// RateLimits are the per-IP and per-user limits of the endpoints that
// attackers hammer. Unset rules keep their defaults: login 10 a minute per
// IP (seed 002) and per user, decrypt 30 per IP and 10 per user, phone 10
// per IP and 5 per user.
type RateLimits struct {
	LoginIP Rate `yaml:"login_ip"`
	// LoginFailedIP limits failed login attempts and bad signatures per
	// client address.
	LoginFailedIP Rate `yaml:"login_failed_ip"`
	LoginUser     Rate `yaml:"login_user"`
	DecryptIP     Rate `yaml:"decrypt_ip"`
	DecryptUser   Rate `yaml:"decrypt_user"`
	PhoneIP       Rate `yaml:"phone_ip"`
	PhoneUser     Rate `yaml:"phone_user"`
}

// Rate is one rate-limit rule: Limit requests per Window.
type Rate struct {
	// Limit is the number of requests allowed per window; 0 keeps the
	// default, -1 turns the rule off.
	Limit int `yaml:"limit"`
	// Window is the rule's window; unset keeps the default (1m).
	Window Duration `yaml:"window"`
}

// Log is the process log's level and format.
type Log struct {
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
	// Format is text (the default) or json.
	Format string `yaml:"format"`
}

// Load reads the configuration file at path ("" means no file: defaults
// and environment only), then does what Parse does. lookupEnv reads
// environment variables; nil means os.LookupEnv. A file that cannot be read
// is a plain error wrapping the os error; everything wrong with the
// configuration comes back together as Problems.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	var data []byte
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("config: reading %s: %w", path, err)
		}
	}
	return parse(data, path, lookupEnv)
}

// Parse reads a configuration from YAML, applies the WXGATE_* environment
// overrides, fills in defaults, checks everything and resolves the secrets.
// It returns Problems listing every problem found, or the configuration
// with its Warnings. lookupEnv reads environment variables; nil means
// os.LookupEnv.
//
// Overrides are found by looking up the name of every key. Misspelt
// WXGATE_ variables are found by listing the process environment
// (os.Environ): each WXGATE_ variable there that lookupEnv also reports,
// and that is neither a key nor named by a *_env key nor WXGATE_CONFIG
// nor WXGATE_TEST_*, is a problem.
//
// Relative file paths (secret_file, api_key_file, keys_file, sqlite:)
// are relative to the working directory.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse(data, "", lookupEnv)
}

func parse(data []byte, file string, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	cfg := &Config{}
	r := newReport()
	if len(data) > MaxFileSize {
		r.add("", fmt.Sprintf("the file is larger than %d bytes; a gateway configuration is a few kilobytes: check that this is the right file", MaxFileSize))
	} else {
		decodeYAML(data, cfg, r)
	}
	if !r.aborted {
		applyEnv(cfg, lookupEnv, os.Environ(), r)
		derived := cfg.setDefaults()
		cfg.check(lookupEnv, derived, r)
	}
	problems, warnings := r.finish(cfg, file)
	if len(problems) > 0 {
		return nil, problems
	}
	for _, w := range warnings {
		cfg.Warnings = append(cfg.Warnings, w.String())
	}
	return cfg, nil
}

// App returns the app named name.
func (c *Config) App(name string) (*App, bool) {
	for i := range c.Apps {
		if c.Apps[i].Name == name {
			return &c.Apps[i], true
		}
	}
	return nil, false
}

// AppSecret returns the AppSecret that Load or Parse resolved. LoadSecret
// reads it again.
func (a *App) AppSecret() wechat.Secret { return a.secret }

// LoadSecret reads the app's AppSecret now, from the environment variable
// secret_env names or the file secret_file names (or the literal secret).
// The gateway calls it at start and again on SIGHUP, so a rotated secret
// takes effect without a restart. lookupEnv nil means os.LookupEnv. The
// error never holds the secret.
func (a *App) LoadSecret(lookupEnv func(string) (string, bool)) (wechat.Secret, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	src := a.secretSource()
	v, f := src.read(lookupEnv)
	if f != nil {
		return wechat.Secret{}, fmt.Errorf("config: app %s: %s: %s", a.Name, f.key, f.msg)
	}
	return wechat.NewSecret(v), nil
}

// InternalAPIKey reads the key that guards /internal/ now, from the
// environment variable internal.api_key_env names or the file
// internal.api_key_file names. ok is false when neither is set: the
// internal API is then off. lookupEnv is optional; it defaults to
// os.LookupEnv. Compare the key in constant time (crypto/subtle). The
// error never holds the key.
func (c *Config) InternalAPIKey(lookupEnv ...func(string) (string, bool)) (key string, ok bool, err error) {
	lookup := os.LookupEnv
	if len(lookupEnv) > 0 && lookupEnv[0] != nil {
		lookup = lookupEnv[0]
	}
	src := c.Internal.secretSource()
	if src.count() == 0 {
		return "", false, nil
	}
	v, f := src.read(lookup)
	if f != nil {
		return "", true, fmt.Errorf("config: internal.%s: %s", f.key, f.msg)
	}
	return v, true, nil
}
