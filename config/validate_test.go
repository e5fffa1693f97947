package config_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
)

// TestValidation runs every validation rule against a good and a bad value.
// In yaml, {DIR} is a directory holding secret files: good (0600, a
// well-formed AppSecret), open (0644), empty, odd (not hex), big (over
// 64 KiB), and a subdirectory sub.
func TestValidation(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		content string
		perm    os.FileMode
	}{
		"good":  {appSecret + "\n", 0o600},
		"good2": {"fedcba9876543210fedcba9876543210\r\n", 0o600},
		"open":  {appSecret, 0o644},
		"empty": {"\n", 0o600},
		"odd":   {"not-an-app-secret", 0o600},
		"big":   {strings.Repeat("a", 65<<10), 0o600},
		"key":   {strings.Repeat("k", 40), 0o600},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c.content), c.perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), c.perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}

	app := func(lines ...string) string {
		return "  - " + strings.Join(lines, "\n    ") + "\n"
	}
	withSecret := func(secret ...string) string {
		return app(append([]string{"name: web", "type: website", "appid: wx0123456789abcdef"}, secret...)...)
	}
	ofType := func(typ string, extra ...string) string {
		return app(append([]string{"name: x", "type: " + typ, "appid: wx00000000000000aa", "secret_env: APP_SECRET"}, extra...)...)
	}

	tests := []struct {
		name string
		yaml string
		env  map[string]string
		path string // where the problem is; "" means the configuration is valid
		msg  string // part of the problem's message
		warn string // part of a warning the valid configuration must have
	}{
		// listen and public_url
		{name: "listen ok", yaml: doc("listen: 127.0.0.1:9000", webApp)},
		{name: "listen every interface with public_url", yaml: doc("listen: ':9000'\npublic_url: https://login.example.com", webApp)},
		{name: "listen not host:port", yaml: doc("listen: 8080", webApp), path: "listen", msg: "is not host:port"},
		{name: "listen bad port", yaml: doc("listen: localhost:99999", webApp), path: "listen", msg: "no valid port"},
		{name: "public_url not derivable", yaml: doc("listen: 0.0.0.0:8080", webApp), path: "public_url", msg: "set public_url"},
		{name: "public_url https", yaml: doc("public_url: https://login.example.com/gw", webApp)},
		{name: "public_url http loopback", yaml: doc("public_url: http://localhost:8080", webApp)},
		{name: "public_url http ::1", yaml: doc("public_url: http://[::1]:8080", webApp)},
		{name: "public_url http in dev", yaml: doc("dev: true\npublic_url: http://login.test", webApp), warn: "dev mode is on"},
		{name: "public_url http refused", yaml: doc("public_url: http://login.example.com", webApp), path: "public_url", msg: "use https"},
		{name: "public_url relative", yaml: doc("public_url: /login", webApp), path: "public_url", msg: "not an absolute http(s) URL"},
		{name: "public_url ftp", yaml: doc("public_url: ftp://login.example.com", webApp), path: "public_url", msg: "not an absolute http(s) URL"},
		{name: "public_url query", yaml: doc("public_url: https://login.example.com/?a=b", webApp), path: "public_url", msg: "query or fragment"},
		{name: "public_url fragment", yaml: doc("public_url: 'https://login.example.com/#x'", webApp), path: "public_url", msg: "query or fragment"},
		{name: "public_url user", yaml: doc("public_url: https://u:p@login.example.com", webApp), path: "public_url", msg: "user name or password"},

		// wechat
		{name: "api_base emulator on loopback", yaml: doc("wechat: {api_base: 'http://127.0.0.1:9000', open_base: 'http://127.0.0.1:9000'}", webApp)},
		{name: "api_base http refused", yaml: doc("wechat: {api_base: 'http://emulator:9000'}", webApp), path: "wechat.api_base", msg: "AppSecret travels"},
		{name: "api_base http in dev", yaml: doc("dev: true\nwechat: {api_base: 'http://emulator:9000'}", webApp)},
		{name: "open_base not a URL", yaml: doc("wechat: {open_base: 'open.weixin.qq.com'}", webApp), path: "wechat.open_base", msg: "not an absolute"},
		{name: "token_mode classic", yaml: doc("wechat: {token_mode: classic}", webApp)},
		{name: "token_mode unknown", yaml: doc("wechat: {token_mode: fast}", webApp), path: "wechat.token_mode", msg: "use stable"},
		{name: "timeout seconds", yaml: doc("wechat: {timeout: 30}", webApp)},
		{name: "timeout zero", yaml: doc("wechat: {timeout: 0s}", webApp), path: "wechat.timeout", msg: "must be positive"},
		{name: "timeout negative", yaml: doc("wechat: {timeout: -5s}", webApp), path: "wechat.timeout", msg: "must be positive"},
		{name: "timeout garbage", yaml: doc("wechat: {timeout: soon}", webApp), path: "wechat.timeout", msg: "not a duration"},
		{name: "timeout days", yaml: doc("wechat: {timeout: 1d}", webApp), path: "wechat.timeout", msg: "720h for 30 days"},

		// app name, type, appid
		{name: "no apps", yaml: doc("log: {level: info}"), warn: "no apps are configured"},
		{name: "name missing", yaml: doc("", app("type: website", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0].name", msg: "missing"},
		{name: "name invalid", yaml: doc("", app("name: my app", "type: website", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0].name", msg: "not a valid name"},
		{name: "name upper case", yaml: doc("", app("name: Web", "type: website", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0].name", msg: "names are lower case: web"},
		{name: "name too long", yaml: doc("", app("name: "+strings.Repeat("a", 33), "type: website", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0].name", msg: "1 to 32"},
		{name: "name 32 long", yaml: doc("", app("name: "+strings.Repeat("a", 32), "type: website", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET"))},
		{name: "name duplicate", yaml: doc("", webApp, app("name: web", "type: mobile", "appid: wx00000000000000aa", "secret_env: APP_SECRET")), path: "apps[1] (web).name", msg: "also the name of apps[0]"},
		{name: "type missing", yaml: doc("", app("name: web", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0] (web).type", msg: "missing"},
		{name: "type invalid", yaml: doc("", app("name: web", "type: webapp", "appid: wx0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0] (web).type", msg: "not an app type"},
		{name: "appid missing", yaml: doc("", app("name: web", "type: website", "secret_env: WEB_SECRET")), path: "apps[0] (web).appid", msg: "missing"},
		{name: "appid short", yaml: doc("", app("name: web", "type: website", "appid: wx0123", "secret_env: WEB_SECRET")), path: "apps[0] (web).appid", msg: "16 hex digits"},
		{name: "appid upper case", yaml: doc("", app("name: web", "type: website", "appid: WX0123456789ABCDEF", "secret_env: WEB_SECRET")), path: "apps[0] (web).appid", msg: "lower case"},
		{name: "appid not wx", yaml: doc("", app("name: web", "type: website", "appid: tt0123456789abcdef", "secret_env: WEB_SECRET")), path: "apps[0] (web).appid", msg: "is not an AppID"},
		{name: "appid duplicate", yaml: doc("", webApp, app("name: web2", "type: website", "appid: wx0123456789abcdef", "secret_env: APP_SECRET")), path: "apps[1] (web2).appid", msg: "apps[0] has the same AppID"},

		// secrets
		{name: "secret_env", yaml: doc("", withSecret("secret_env: WEB_SECRET"))},
		{name: "secret_file", yaml: doc("", withSecret("secret_file: {DIR}/good"))},
		{name: "no secret", yaml: doc("", withSecret()), path: "apps[0] (web)", msg: "no AppSecret; set secret_env"},
		{name: "two secrets", yaml: doc("", withSecret("secret_env: WEB_SECRET", "secret_file: {DIR}/good")), path: "apps[0] (web)", msg: "set only one of secret_env, secret_file and secret"},
		{name: "literal secret refused", yaml: doc("", withSecret("secret: "+appSecret)), path: "apps[0] (web).secret",
			msg: "a literal secret is refused outside dev mode; put it in an environment variable and set secret_env, or in a file and set secret_file"},
		{name: "literal secret in dev", yaml: doc("dev: true", withSecret("secret: "+appSecret)), warn: "literal secret is accepted because dev is true"},
		{name: "literal secret from env refused", yaml: doc("", withSecret()), env: map[string]string{"WXGATE_APPS_WEB_SECRET": appSecret},
			path: "apps[0] (web).secret", msg: "secret_env: WXGATE_APPS_WEB_SECRET"},
		{name: "secret_env unset", yaml: doc("", withSecret("secret_env: NOPE_SECRET")), path: "apps[0] (web).secret_env", msg: "NOPE_SECRET is not set"},
		{name: "secret_env empty", yaml: doc("", withSecret("secret_env: EMPTY")), env: map[string]string{"EMPTY": "\n"}, path: "apps[0] (web).secret_env", msg: "EMPTY is empty"},
		{name: "secret_env holds the secret", yaml: doc("", withSecret("secret_env: "+appSecret)), path: "apps[0] (web).secret_env", msg: "looks like a secret (not shown), not the name"},
		{name: "secret_env not a name", yaml: doc("", withSecret("secret_env: 'my secret'")), path: "apps[0] (web).secret_env", msg: "not the name of an environment variable"},
		{name: "secret_env shared", yaml: doc("", webApp, app("name: web2", "type: website", "appid: wx00000000000000aa", "secret_env: WEB_SECRET")), path: "apps[1] (web2).secret_env", msg: "apps[0] reads its AppSecret from the same place"},
		{name: "secret_file missing", yaml: doc("", withSecret("secret_file: {DIR}/nope")), path: "apps[0] (web).secret_file", msg: "does not exist"},
		{name: "secret_file with ~", yaml: doc("", withSecret("secret_file: ~/web-secret")), path: "apps[0] (web).secret_file", msg: "~ is not expanded"},
		{name: "secret_file holds the secret", yaml: doc("", withSecret("secret_file: "+appSecret)), path: "apps[0] (web).secret_file", msg: "looks like a secret (not shown), not a file's path"},
		{name: "secret_file empty", yaml: doc("", withSecret("secret_file: {DIR}/empty")), path: "apps[0] (web).secret_file", msg: "is empty"},
		{name: "secret_file directory", yaml: doc("", withSecret("secret_file: {DIR}/sub")), path: "apps[0] (web).secret_file", msg: "is a directory"},
		{name: "secret_file too big", yaml: doc("", withSecret("secret_file: {DIR}/big")), path: "apps[0] (web).secret_file", msg: "larger than 64 KiB"},
		{name: "secret_file CRLF", yaml: doc("", withSecret("secret_file: {DIR}/good2"))},
		{name: "secret not hex", yaml: doc("", withSecret("secret_file: {DIR}/odd")), warn: "not 32 lower-case hex digits"},
		{name: "secret_env not hex", yaml: doc("", withSecret("secret_env: ODD")), env: map[string]string{"ODD": "short"}, warn: "not 32 lower-case hex digits"},

		// type-specific keys
		{name: "watermark on miniprogram", yaml: doc("", ofType("miniprogram", "watermark_max_age: 2m"))},
		{name: "watermark on website", yaml: doc("", ofType("website", "watermark_max_age: 2m")), path: "apps[0] (x).watermark_max_age", msg: "miniprogram apps only"},
		{name: "watermark zero", yaml: doc("", ofType("miniprogram", "watermark_max_age: 0")), path: "apps[0] (x).watermark_max_age", msg: "must be positive"},
		{name: "scope base on official account", yaml: doc("", ofType("official_account", "scope: snsapi_base"))},
		{name: "scope userinfo on official account", yaml: doc("", ofType("official_account", "scope: snsapi_userinfo"))},
		{name: "scope on mobile", yaml: doc("", ofType("mobile", "scope: snsapi_userinfo")), path: "apps[0] (x).scope", msg: "official_account apps only"},
		{name: "scope login on official account", yaml: doc("", ofType("official_account", "scope: snsapi_login")), path: "apps[0] (x).scope", msg: "website QR login's scope"},
		{name: "scope unknown", yaml: doc("", ofType("official_account", "scope: snsapi_all")), path: "apps[0] (x).scope", msg: "not an official-account scope"},
		{name: "expose_openid and sign_requests", yaml: doc("", ofType("mobile", "expose_openid: true", "sign_requests: true"))},
		{name: "bool garbage", yaml: doc("", ofType("mobile", "expose_openid: maybe")), path: "apps[0] (x).expose_openid", msg: "write true or false"},

		// stores
		{name: "database sqlite", yaml: doc("database: sqlite:/var/lib/wxgate/db.sqlite", webApp)},
		{name: "database postgres", yaml: doc("database: postgres://wxgate@db:5432/wxgate?sslmode=verify-full\ncache: rediss://cache:6380/0", webApp)},
		{name: "database postgres without verify-full", yaml: doc("database: postgres://wxgate@db:5432/wxgate\ncache: rediss://cache:6380/0", webApp), warn: "without sslmode=verify-full"},
		{name: "database postgres loopback", yaml: doc("database: postgres://wxgate@127.0.0.1:5432/wxgate\ncache: redis://127.0.0.1:6379/0", webApp)},
		{name: "memory cache beside a shared database", yaml: doc("database: postgres://wxgate@db/wxgate?sslmode=verify-full", webApp), warn: "memory keeps login states"},
		{name: "redis cluster plain", yaml: doc("cache: redis+cluster://10.0.0.1:6379,10.0.0.2:6379", webApp), warn: "plain redis://"},
		{name: "database postgresql", yaml: doc("database: postgresql://wxgate@db/wxgate?sslmode=require", webApp), warn: "without sslmode=verify-full"},
		{name: "database memory", yaml: doc("database: memory", webApp), warn: "lost on restart"},
		{name: "database memory in dev", yaml: doc("dev: true\ndatabase: memory", webApp)},
		{name: "database password in file", yaml: doc("database: postgres://wxgate:hunter2@db/wxgate", webApp), warn: "set WXGATE_DATABASE in the environment"},
		{name: "database password from env", yaml: doc("cache: rediss://cache:6380/0", webApp), env: map[string]string{"WXGATE_DATABASE": "postgres://wxgate:hunter2@db/wxgate?sslmode=verify-full"}},
		{name: "database mysql", yaml: doc("database: mysql://db/wxgate", webApp), path: "database", msg: `"mysql" is not recognised`},
		{name: "database sqlite without path", yaml: doc("database: 'sqlite:'", webApp), path: "database", msg: "needs a file path"},
		{name: "database bad URL", yaml: doc("database: 'postgres://wxgate:p%zz@db/x'", webApp), path: "database", msg: "not a valid URL"},
		{name: "cache redis", yaml: doc("cache: redis://cache:6379/0", webApp), warn: "plain redis://"},
		{name: "cache rediss", yaml: doc("cache: rediss://cache:6380/0", webApp)},
		{name: "cache rediss", yaml: doc("cache: rediss://cache:6380/0", webApp)},
		{name: "cache memcached", yaml: doc("cache: memcached://cache", webApp), path: "cache", msg: "use memory, redis://"},
		{name: "cache sqlite", yaml: doc("cache: sqlite:./x.db", webApp), path: "cache", msg: `"sqlite" is not recognised`},

		// sessions
		{name: "sessions equal", yaml: doc("sessions: {idle_timeout: 1h, absolute_timeout: 3600}", webApp)},
		{name: "sessions absolute below idle", yaml: doc("sessions: {idle_timeout: 2h, absolute_timeout: 1h}", webApp), path: "sessions.absolute_timeout", msg: "shorter than idle_timeout (2h)"},
		{name: "sessions idle above default absolute", yaml: doc("sessions: {idle_timeout: 1000h}", webApp), path: "sessions.absolute_timeout", msg: "720h (the default) is shorter"},
		{name: "sessions zero", yaml: doc("sessions: {idle_timeout: 0}", webApp), path: "sessions.idle_timeout", msg: "must be positive"},

		// web
		{name: "origins ok", yaml: doc("web: {allowed_origins: ['https://www.example.com', 'https://a.example.com:8443', 'http://localhost:3000']}", webApp)},
		{name: "origin with path", yaml: doc("web: {allowed_origins: ['https://www.example.com/']}", webApp), path: "web.allowed_origins[0]", msg: "write https://www.example.com"},
		{name: "origin wildcard", yaml: doc("web: {allowed_origins: ['https://*.example.com']}", webApp), path: "web.allowed_origins[0]", msg: "wildcards"},
		{name: "origin not a URL", yaml: doc("web: {allowed_origins: [www.example.com]}", webApp), path: "web.allowed_origins[0]", msg: "not an origin"},
		{name: "origin upper case", yaml: doc("web: {allowed_origins: ['https://WWW.example.com']}", webApp), path: "web.allowed_origins[0]", msg: "lower case"},
		{name: "origin http", yaml: doc("web: {allowed_origins: ['http://www.example.com']}", webApp), warn: "plain http"},
		{name: "origins not a list", yaml: doc("web: {allowed_origins: https://www.example.com}", webApp), path: "web.allowed_origins", msg: "want a list"},
		{name: "return_to path", yaml: doc("web: {default_return_to: /account}", webApp)},
		{name: "return_to allowed origin", yaml: doc("web: {allowed_origins: ['https://www.example.com'], default_return_to: 'https://www.example.com/me'}", webApp)},
		{name: "return_to public_url", yaml: doc("public_url: https://login.example.com\nweb: {default_return_to: 'https://login.example.com/me'}", webApp)},
		{name: "return_to other origin", yaml: doc("web: {default_return_to: 'https://evil.example/'}", webApp), path: "web.default_return_to", msg: "add https://evil.example to web.allowed_origins"},
		{name: "return_to scheme-relative", yaml: doc("web: {default_return_to: //evil.example}", webApp), path: "web.default_return_to", msg: "would leave the site"},
		{name: "return_to relative", yaml: doc("web: {default_return_to: account}", webApp), path: "web.default_return_to", msg: "neither a path nor"},

		// internal
		{name: "internal env", yaml: doc("internal: {api_key_env: INTERNAL_KEY}", webApp), env: map[string]string{"INTERNAL_KEY": strings.Repeat("k", 32)}},
		{name: "internal file", yaml: doc("internal: {api_key_file: '{DIR}/key'}", webApp)},
		{name: "internal short", yaml: doc("internal: {api_key_env: INTERNAL_KEY}", webApp), env: map[string]string{"INTERNAL_KEY": "letmein"}, path: "internal.api_key_env", msg: "openssl rand -hex 32"},
		{name: "internal short in dev", yaml: doc("dev: true\ninternal: {api_key_env: INTERNAL_KEY}", webApp), env: map[string]string{"INTERNAL_KEY": "letmein"}, warn: "shorter than 32"},
		{name: "internal both", yaml: doc("internal: {api_key_env: INTERNAL_KEY, api_key_file: '{DIR}/key'}", webApp), path: "internal", msg: "only one of api_key_env and api_key_file"},
		{name: "internal env unset", yaml: doc("internal: {api_key_env: INTERNAL_KEY}", webApp), path: "internal.api_key_env", msg: "INTERNAL_KEY is not set"},
		{name: "internal file missing", yaml: doc("internal: {api_key_file: '{DIR}/nokey'}", webApp), path: "internal.api_key_file", msg: "does not exist"},

		// log
		{name: "log json debug", yaml: doc("log: {level: debug, format: json}", webApp)},
		{name: "log level", yaml: doc("log: {level: verbose}", webApp), path: "log.level", msg: "use debug, info, warn or error"},
		{name: "log format", yaml: doc("log: {format: logfmt}", webApp), path: "log.format", msg: "use text or json"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			name string
			yaml string
			env  map[string]string
			path string
			msg  string
			warn string
		}{name: "secret_file readable by others", yaml: doc("", withSecret("secret_file: {DIR}/open")), warn: "readable by other users (mode 0644); restrict it: chmod 600"})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := strings.ReplaceAll(tt.yaml, "{DIR}", dir)
			cfg, err := config.Parse([]byte(y), lookup(tt.env))
			if tt.path == "" {
				if err != nil {
					t.Fatalf("want a valid configuration, got %v\n%s", err, y)
				}
				if tt.warn != "" && !strings.Contains(strings.Join(cfg.Warnings, "\n"), tt.warn) {
					t.Errorf("warnings %q lack %q", cfg.Warnings, tt.warn)
				}
				if tt.warn == "" && len(cfg.Warnings) > 0 && !strings.Contains(y, "dev: true") {
					t.Errorf("unexpected warnings %q", cfg.Warnings)
				}
				return
			}
			if err == nil {
				t.Fatalf("want a problem at %s (%q), got none\n%s", tt.path, tt.msg, y)
			}
			ps := problemsOf(t, err)
			if _, ok := findProblem(ps, tt.path, tt.msg); !ok {
				t.Fatalf("want a problem at %s holding %q, got:\n%v", tt.path, tt.msg, err)
			}
			if cfg != nil {
				t.Error("a configuration with problems was returned")
			}
		})
	}
}

// TestEveryProblemAtOnce checks that one pass reports problems from the
// file, the environment and validation together, each with its place.
func TestEveryProblemAtOnce(t *testing.T) {
	y := `listen: 127.0.0.1:8080
lisen: x
apps:
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret: ` + appSecret + `
  - name: shop
    type: miniprogram
    appid: wx0123456789abcdef
    secret_env: SHOP_SECRET
log:
  level: loud
`
	_, err := config.Parse([]byte(y), lookup(map[string]string{"WXGATE_WECHAT_TIMEOUT": "soon"}))
	ps := problemsOf(t, err)
	want := []config.Problem{
		{Line: 2, Path: "lisen", Message: "unknown key; did you mean listen?"},
		{Env: "WXGATE_WECHAT_TIMEOUT", Path: "wechat.timeout", Message: `"soon" is not a duration`},
		{Line: 7, Path: "apps[0] (web).secret", Message: "a literal secret is refused outside dev mode"},
		{Line: 10, Path: "apps[1] (shop).appid", Message: "apps[0] has the same AppID"},
		{Line: 13, Path: "log.level", Message: `"loud" is not a log level`},
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	for _, w := range want {
		p, ok := findProblem(ps, w.Path, w.Message)
		if !ok {
			t.Errorf("missing problem at %s: %q\n%v", w.Path, w.Message, err)
			continue
		}
		if p.Line != w.Line || p.Env != w.Env {
			t.Errorf("%s: at line %d env %q, want line %d env %q", w.Path, p.Line, p.Env, w.Line, w.Env)
		}
	}
	s := err.Error()
	if !strings.HasPrefix(s, "config: 5 problems:\n\tline 2: lisen: unknown key") {
		t.Errorf("error text:\n%s", s)
	}
	if !strings.Contains(s, "\n\twechat.timeout (from WXGATE_WECHAT_TIMEOUT): ") {
		t.Errorf("error text does not name the variable:\n%s", s)
	}
}

func TestStoreURLForms(t *testing.T) {
	for _, c := range []struct{ db, cache string }{
		{"postgres://wx@db1:5432,db2:5432/wxgate?target_session_attrs=read-write", "redis+cluster://r1:6379,r2:6379"},
		{"postgresql://wx@db/wxgate?schema=gw", "rediss+cluster://r1:6380"},
		{"postgres://wx@db/wxgate", "redis://r:6379/0?prefix=wx:"},
	} {
		y := "dev: true\ndatabase: \"" + c.db + "\"\ncache: \"" + c.cache + "\"\n"
		if _, err := config.Parse([]byte(y), func(string) (string, bool) { return "", false }); err != nil {
			t.Errorf("%s + %s refused: %v", c.db, c.cache, err)
		}
	}
	if _, err := config.Parse([]byte("dev: true\ncache: \"mongodb://x\"\n"), func(string) (string, bool) { return "", false }); err == nil {
		t.Error("an unknown cache scheme was accepted")
	}
}
