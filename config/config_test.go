package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/wechat"
)

func TestDefaults(t *testing.T) {
	cfg, err := config.Load("", lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Listen:    "127.0.0.1:8080",
		PublicURL: "http://127.0.0.1:8080",
		WeChat: config.WeChat{
			APIBase: "https://api.weixin.qq.com", OpenBase: "https://open.weixin.qq.com",
			TokenMode: config.TokenModeStable, Timeout: config.Duration(10 * time.Second),
		},
		Database: "sqlite:./wxgate.db",
		Cache:    "memory",
		KeysFile: "./wxgate.keys",
		Sessions: config.Sessions{IdleTimeout: config.Duration(24 * time.Hour), AbsoluteTimeout: config.Duration(720 * time.Hour)},
		Web:      config.Web{DefaultReturnTo: "/"},
		Log:      config.Log{Level: "info", Format: "text"},
	}
	got := *cfg
	got.Warnings = nil
	if !equalConfig(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "no apps are configured") {
		t.Errorf("warnings: %q", cfg.Warnings)
	}

	// Per-type app defaults.
	cfg = mustParse(t, doc("", webApp,
		"  - {name: mp, type: official_account, appid: wx00000000000000aa, secret_env: MP_SECRET}",
		"  - {name: shop, type: miniprogram, appid: wx00000000000000ab, secret_env: SHOP_SECRET}"), nil)
	web, _ := cfg.App("web")
	mp, _ := cfg.App("mp")
	shop, _ := cfg.App("shop")
	if web.Scope != "" || web.WatermarkMaxAge != 0 || web.ExposeOpenID || web.SignRequests {
		t.Errorf("website app got defaults meant for others: %+v", web)
	}
	if mp.Scope != wechat.ScopeUserInfo {
		t.Errorf("official account scope = %q, want snsapi_userinfo", mp.Scope)
	}
	if shop.WatermarkMaxAge.Duration() != 5*time.Minute {
		t.Errorf("miniprogram watermark_max_age = %v, want 5m", shop.WatermarkMaxAge)
	}
}

// equalConfig compares configurations field by field where == cannot.
func equalConfig(a, b config.Config) bool {
	return a.Listen == b.Listen && a.PublicURL == b.PublicURL && a.Dev == b.Dev && a.WeChat == b.WeChat &&
		len(a.Apps) == len(b.Apps) && a.Database == b.Database && a.Cache == b.Cache && a.KeysFile == b.KeysFile &&
		a.Sessions == b.Sessions && strings.Join(a.Web.AllowedOrigins, ",") == strings.Join(b.Web.AllowedOrigins, ",") &&
		a.Web.DefaultReturnTo == b.Web.DefaultReturnTo && a.Internal == b.Internal && a.Log == b.Log
}

func TestPublicURLDerivedFromListen(t *testing.T) {
	cfg := mustParse(t, doc("listen: localhost:9100", webApp), nil)
	if cfg.PublicURL != "http://localhost:9100" {
		t.Errorf("public_url = %q", cfg.PublicURL)
	}
}

// TestExampleFile loads the documented example with its secrets provided,
// the files through environment overrides.
func TestExampleFile(t *testing.T) {
	env := map[string]string{
		"WXGATE_APPS_WEB_SECRET_FILE":  writeFile(t, "web", "10000000000000000000000000000001\n", 0o600),
		"WXGATE_INTERNAL_API_KEY_FILE": writeFile(t, "key", strings.Repeat("k", 64)+"\n", 0o600),
	}
	for i, name := range []string{"PARTNER_PORTAL", "NEWS", "SERVICE", "SHOP", "SHOP_LITE", "IOS", "ANDROID"} {
		env["WXGATE_"+name+"_SECRET"] = strings.Repeat(string("abcdef0"[i]), 32)
	}
	cfg, err := config.Load("testdata/wxgate.example.yaml", lookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("the example has warnings: %q", cfg.Warnings)
	}
	count := map[wechat.AppType]int{}
	for _, a := range cfg.Apps {
		count[a.Type]++
		if a.AppSecret().IsZero() {
			t.Errorf("%s: secret not resolved", a.Name)
		}
	}
	for _, typ := range []wechat.AppType{wechat.AppTypeWebsite, wechat.AppTypeOfficialAccount, wechat.AppTypeMiniProgram, wechat.AppTypeMobile} {
		if count[typ] < 2 {
			t.Errorf("the example has %d %s apps, want several of each type", count[typ], typ)
		}
	}
	news, _ := cfg.App("news")
	service, _ := cfg.App("service")
	if news.Scope != wechat.ScopeBase || service.Scope != wechat.ScopeUserInfo {
		t.Errorf("scopes %q %q", news.Scope, service.Scope)
	}
	if shop, _ := cfg.App("shop-lite"); !shop.SignRequests || shop.WatermarkMaxAge.Duration() != 5*time.Minute {
		t.Errorf("shop-lite: %+v", shop)
	}
	if _, ok := cfg.App("nope"); ok {
		t.Error("App found an app that does not exist")
	}

	// Without the secrets, every missing one is reported at once.
	_, err = config.Load("testdata/wxgate.example.yaml", lookup(nil))
	if ps := problemsOf(t, err); len(ps) != 9 {
		t.Errorf("want 9 problems (8 app secrets, 1 internal key), got %d:\n%v", len(ps), err)
	}
}

func TestProblemsFormat(t *testing.T) {
	ps := config.Problems{
		{File: "wxgate.yaml", Line: 3, Path: "listen", Message: "bad"},
		{Env: "WXGATE_LOG_LEVEL", Path: "log.level", Message: "worse"},
		{Line: 9, Message: "invalid YAML"},
	}
	want := "config: 3 problems:\n\twxgate.yaml:3: listen: bad\n\tlog.level (from WXGATE_LOG_LEVEL): worse\n\tline 9: invalid YAML"
	if got := ps.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := ps[:1].Error(); got != "config: wxgate.yaml:3: listen: bad" {
		t.Errorf("one problem: %s", got)
	}
	var err error = ps
	var as config.Problems
	if !errors.As(err, &as) || len(as) != 3 {
		t.Error("errors.As")
	}
}

// TestAllMessagesSayWhatToDo checks every problem of a thoroughly broken
// configuration names a remedy, and that the text starts as promised.
func TestAllMessagesSayWhatToDo(t *testing.T) {
	y := `
listen: nope
public_url: ftp://x
dev: maybe
wechat: {api_base: 'http://a', token_mode: x, timeout: 0}
apps:
  - {name: A, type: x, appid: y, secret: z}
  - {}
database: x
cache: y
sessions: {idle_timeout: 2h, absolute_timeout: 1h}
web: {allowed_origins: ['*'], default_return_to: 'x'}
internal: {api_key_env: A, api_key_file: B}
log: {level: x, format: y}
`
	_, err := config.Parse([]byte(y), lookup(nil))
	ps := problemsOf(t, err)
	if len(ps) < 15 {
		t.Errorf("only %d problems:\n%v", len(ps), err)
	}
	remedies := []string{"write", "use", "set", "remove", "give", "copy", "add", "list", "raise", "put", "fix", "check", "correct", "restrict", "create", "point", "keep", "rename", "let", "generate", "name"}
	for _, p := range ps {
		ok := false
		for _, r := range remedies {
			if strings.Contains(p.Message, r) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no remedy in: %v", p)
		}
	}
	if !strings.HasPrefix(err.Error(), "config: ") {
		t.Error("error text must start with config: ")
	}
}

func TestMain(m *testing.M) {
	// The typo check lists the process environment; a developer's own
	// WXGATE_ variables must not make the tests fail.
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "WXGATE_") && !strings.HasPrefix(name, "WXGATE_TEST_") {
			os.Unsetenv(name)
		}
	}
	os.Exit(m.Run())
}
