package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/wechat"
)

func TestEnvOverrides(t *testing.T) {
	y := doc(`
listen: 127.0.0.1:8080
web:
  allowed_origins: [https://old.example.com]
`, webApp, `
  - name: shop-lite
    type: miniprogram
    appid: wx00000000000000aa
    secret_env: SHOP_SECRET
`)
	cfg := mustParse(t, y, map[string]string{
		"WXGATE_LISTEN":                           "127.0.0.1:9999",
		"WXGATE_PUBLIC_URL":                       "https://login.example.com",
		"WXGATE_WECHAT_API_BASE":                  "http://127.0.0.1:9000",
		"WXGATE_WECHAT_TIMEOUT":                   "3",
		"WXGATE_SESSIONS_IDLE_TIMEOUT":            "2h",
		"WXGATE_WEB_ALLOWED_ORIGINS":              " https://a.example.com, https://b.example.com,, ",
		"WXGATE_APPS_WEB_APPID":                   "wx1111111111111111",
		"WXGATE_APPS_WEB_EXPOSE_OPENID":           "true",
		"WXGATE_APPS_SHOP_LITE_WATERMARK_MAX_AGE": "30s",
		"WXGATE_LOG_FORMAT":                       "json",
	})
	web, _ := cfg.App("web")
	shop, _ := cfg.App("shop-lite")
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, "127.0.0.1:9999"},
		{"public_url", cfg.PublicURL, "https://login.example.com"},
		{"api_base", cfg.WeChat.APIBase, "http://127.0.0.1:9000"},
		{"timeout", cfg.WeChat.Timeout.Duration(), 3 * time.Second},
		{"idle_timeout", cfg.Sessions.IdleTimeout.Duration(), 2 * time.Hour},
		{"allowed_origins", strings.Join(cfg.Web.AllowedOrigins, " "), "https://a.example.com https://b.example.com"},
		{"web appid", web.AppID, "wx1111111111111111"},
		{"web expose_openid", web.ExposeOpenID, true},
		{"shop-lite watermark", shop.WatermarkMaxAge.Duration(), 30 * time.Second},
		{"log format", cfg.Log.Format, "json"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEnvEmptyValueRestoresDefault(t *testing.T) {
	cfg := mustParse(t, doc("listen: 127.0.0.1:7000\nweb: {allowed_origins: ['https://a.example.com']}", webApp),
		map[string]string{"WXGATE_LISTEN": "", "WXGATE_WEB_ALLOWED_ORIGINS": ""})
	if cfg.Listen != "127.0.0.1:8080" || len(cfg.Web.AllowedOrigins) != 0 {
		t.Errorf("listen %q origins %q", cfg.Listen, cfg.Web.AllowedOrigins)
	}
}

// TestEnvSwitchesSecretSource moves an app from a file secret to a
// variable with the environment alone, as a container deployment does.
func TestEnvSwitchesSecretSource(t *testing.T) {
	y := doc("", "  - {name: web, type: website, appid: wx0123456789abcdef, secret_file: /run/secrets/web}")
	_, err := config.Parse([]byte(y), lookup(map[string]string{"WXGATE_APPS_WEB_SECRET_ENV": "WEB_SECRET"}))
	if _, ok := findProblem(problemsOf(t, err), "apps[0] (web)", "WXGATE_APPS_WEB_SECRET_FILE="); !ok {
		t.Fatalf("want the hint to clear secret_file, got %v", err)
	}
	cfg := mustParse(t, y, map[string]string{"WXGATE_APPS_WEB_SECRET_ENV": "WEB_SECRET", "WXGATE_APPS_WEB_SECRET_FILE": ""})
	if web, _ := cfg.App("web"); !web.AppSecret().Equal(wechat.NewSecret(appSecret)) {
		t.Error("the secret was not read from WEB_SECRET")
	}
}

func TestEnvValuesAreValidated(t *testing.T) {
	_, err := config.Parse([]byte(doc("", webApp)), lookup(map[string]string{
		"WXGATE_DEV":                   "sometimes",
		"WXGATE_SESSIONS_IDLE_TIMEOUT": "-1h",
		"WXGATE_APPS_WEB_TYPE":         "wechat",
		"WXGATE_PUBLIC_URL":            "http://login.example.com",
	}))
	ps := problemsOf(t, err)
	for _, w := range []struct{ path, env, msg string }{
		{"dev", "WXGATE_DEV", "write true or false"},
		{"sessions.idle_timeout", "WXGATE_SESSIONS_IDLE_TIMEOUT", "must be positive"},
		{"apps[0] (web).type", "WXGATE_APPS_WEB_TYPE", "not an app type"},
		{"public_url", "WXGATE_PUBLIC_URL", "use https"},
	} {
		p, ok := findProblem(ps, w.path, w.msg)
		if !ok || p.Env != w.env || p.Line != 0 {
			t.Errorf("want %s from %s: %q; got %+v in\n%v", w.path, w.env, w.msg, p, err)
		}
	}
}

// TestUnknownEnv sets process variables, as the typo check lists the
// process environment.
func TestUnknownEnv(t *testing.T) {
	t.Setenv("WXGATE_LISTN", "127.0.0.1:1")
	t.Setenv("WXGATE_SESSIONS_IDLE", "1h")
	t.Setenv("WXGATE_SESSIONS", "1h")
	t.Setenv("WXGATE_APPS_WBE_APPID", "wx0123456789abcdef")
	t.Setenv("WXGATE_WEB_SECRET", appSecret)      // named by secret_env: a secret, not a typo
	t.Setenv("WXGATE_TEST_POSTGRES_URL", "x")     // allow-listed
	t.Setenv("WXGATE_CONFIG", "/etc/wxgate.yaml") // the CLI's
	y := doc("", "  - {name: web, type: website, appid: wx0123456789abcdef, secret_env: WXGATE_WEB_SECRET}")
	_, err := config.Parse([]byte(y), nil) // nil: the process environment
	ps := problemsOf(t, err)
	for _, w := range []struct{ path, msg string }{
		{"WXGATE_LISTN", "no such setting; did you mean WXGATE_LISTEN?"},
		{"WXGATE_SESSIONS_IDLE", "did you mean WXGATE_SESSIONS_IDLE_TIMEOUT?"},
		{"WXGATE_SESSIONS", "the settings under it are WXGATE_SESSIONS_IDLE_TIMEOUT, WXGATE_SESSIONS_ABSOLUTE_TIMEOUT"},
		{"WXGATE_APPS_WBE_APPID", `no app is named "wbe" in the file`},
	} {
		if _, ok := findProblem(ps, w.path, w.msg); !ok {
			t.Errorf("want %s: %q in\n%v", w.path, w.msg, err)
		}
	}
	if len(ps) != 4 {
		t.Errorf("want 4 problems, got\n%v", err)
	}

	// A lookup that does not see the process's variables ignores them.
	if _, err := config.Parse([]byte(doc("", webApp)), lookup(nil)); err != nil {
		t.Errorf("variables the lookup does not report were checked: %v", err)
	}
}

// TestEnvNamedSecretIsNotAnOverride checks that a variable named by
// secret_env that is also an override's name is read as the secret only.
func TestEnvNamedSecretIsNotAnOverride(t *testing.T) {
	y := doc("", "  - {name: web, type: website, appid: wx0123456789abcdef, secret_env: WXGATE_APPS_WEB_SECRET}")
	cfg := mustParse(t, y, map[string]string{"WXGATE_APPS_WEB_SECRET": appSecret})
	web, _ := cfg.App("web")
	if !web.Secret.IsZero() || !web.AppSecret().Equal(wechat.NewSecret(appSecret)) {
		t.Errorf("the variable was applied as a literal secret")
	}
	// The same holds when secret_env itself comes from the environment.
	y = doc("", "  - {name: web, type: website, appid: wx0123456789abcdef}")
	mustParse(t, y, map[string]string{"WXGATE_APPS_WEB_SECRET_ENV": "WXGATE_APPS_WEB_SECRET", "WXGATE_APPS_WEB_SECRET": appSecret})
}

func TestEnvAmbiguousAppNames(t *testing.T) {
	y := doc("", "  - {name: my-app, type: mobile, appid: wx00000000000000a1, secret_env: APP_SECRET}",
		"  - {name: my_app, type: mobile, appid: wx00000000000000a2, secret_env: SHOP_SECRET}")
	mustParse(t, y, nil) // fine until a variable addresses them
	_, err := config.Parse([]byte(y), lookup(map[string]string{"WXGATE_APPS_MY_APP_EXPOSE_OPENID": "true"}))
	if _, ok := findProblem(problemsOf(t, err), "WXGATE_APPS_MY_APP_EXPOSE_OPENID", "apps[0] (my-app) and apps[1] (my_app)"); !ok {
		t.Errorf("want an ambiguity problem, got %v", err)
	}
}

// TestEnvNames checks the variable of every key: distinct, and the
// documented examples among them.
func TestEnvNames(t *testing.T) {
	names := config.EnvNames()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("two keys share the variable %s", n)
		}
		seen[n] = true
	}
	for _, want := range []string{"WXGATE_LISTEN", "WXGATE_WECHAT_API_BASE", "WXGATE_SESSIONS_IDLE_TIMEOUT",
		"WXGATE_WEB_ALLOWED_ORIGINS", "WXGATE_APPS_<NAME>_APPID", "WXGATE_APPS_<NAME>_SECRET_ENV", "WXGATE_INTERNAL_API_KEY_FILE"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames lacks %s: %v", want, names)
		}
	}
}
