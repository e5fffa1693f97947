package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/wechat"
)

func TestSecretFromEnvAndFile(t *testing.T) {
	file := writeFile(t, "mp", "fedcba9876543210fedcba9876543210\n", 0o600)
	y := doc("", webApp, "  - {name: mp, type: official_account, appid: wx00000000000000aa, secret_file: '"+file+"'}")
	cfg := mustParse(t, y, nil)
	web, _ := cfg.App("web")
	mp, _ := cfg.App("mp")
	if !web.AppSecret().Equal(wechat.NewSecret(appSecret)) {
		t.Error("web: secret from the environment not resolved")
	}
	if !mp.AppSecret().Equal(wechat.NewSecret("fedcba9876543210fedcba9876543210")) {
		t.Error("mp: secret from the file not resolved (or its newline kept)")
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
}

// TestSecretRotation re-reads secrets after their file and variable change,
// as the gateway does on SIGHUP.
func TestSecretRotation(t *testing.T) {
	file := writeFile(t, "web", "11111111111111111111111111111111\n", 0o600)
	env := map[string]string{"MP_SECRET": "22222222222222222222222222222222"}
	y := doc("", "  - {name: web, type: website, appid: wx0123456789abcdef, secret_file: '"+file+"'}",
		"  - {name: mp, type: official_account, appid: wx00000000000000aa, secret_env: MP_SECRET}")
	cfg, err := config.Parse([]byte(y), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	web, _ := cfg.App("web")
	mp, _ := cfg.App("mp")

	if err := os.WriteFile(file, []byte("33333333333333333333333333333333\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["MP_SECRET"] = "44444444444444444444444444444444"
	lookupNow := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	for _, c := range []struct {
		app  *config.App
		want string
	}{{web, "33333333333333333333333333333333"}, {mp, "44444444444444444444444444444444"}} {
		s, err := c.app.LoadSecret(lookupNow)
		if err != nil {
			t.Fatalf("%s: %v", c.app.Name, err)
		}
		if s.Reveal() != c.want {
			t.Errorf("%s: LoadSecret did not read the new secret", c.app.Name)
		}
	}
	if web.AppSecret().Reveal() != "11111111111111111111111111111111" {
		t.Error("AppSecret changed: it is the value resolved at load")
	}

	// A secret that disappears is an error, and the error is clean.
	os.Remove(file)
	delete(env, "MP_SECRET")
	if _, err := web.LoadSecret(lookupNow); err == nil || !strings.HasPrefix(err.Error(), "config: app web: secret_file: ") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("web after removal: %v", err)
	}
	if _, err := mp.LoadSecret(lookupNow); err == nil || err.Error() != "config: app mp: secret_env: the environment variable MP_SECRET is not set; set it to the AppSecret (or correct the name)" {
		t.Errorf("mp after removal: %v", err)
	}
}

func TestInternalAPIKey(t *testing.T) {
	key := strings.Repeat("0123456789abcdef", 4)
	cfg := mustParse(t, doc("internal: {api_key_env: INTERNAL_KEY}", webApp), map[string]string{"INTERNAL_KEY": key + "\n"})
	got, ok, err := cfg.InternalAPIKey(lookup(map[string]string{"INTERNAL_KEY": key}))
	if err != nil || !ok || got != key {
		t.Errorf("InternalAPIKey = %v, %v", ok, err)
	}
	if _, ok, err := cfg.InternalAPIKey(lookup(nil)); !ok || err == nil || !strings.Contains(err.Error(), "config: internal.api_key_env: the environment variable INTERNAL_KEY is not set") {
		t.Errorf("unset: %v %v", ok, err)
	}
	t.Setenv("INTERNAL_KEY", key)
	if got, ok, err := cfg.InternalAPIKey(); got != key || !ok || err != nil { // default: os.LookupEnv
		t.Errorf("InternalAPIKey() from the process: %v %v", ok, err)
	}

	file := writeFile(t, "key", key, 0o600)
	cfg = mustParse(t, doc("internal: {api_key_file: '"+file+"'}", webApp), nil)
	if got, ok, err := cfg.InternalAPIKey(lookup(nil)); got != key || !ok || err != nil {
		t.Errorf("from a file: %v %v", ok, err)
	}

	cfg = mustParse(t, doc("", webApp), nil)
	if got, ok, err := cfg.InternalAPIKey(lookup(nil)); got != "" || ok || err != nil {
		t.Errorf("not configured: %q %v %v", got, ok, err)
	}
}

// TestSecretsNeverPrint resolves known secrets from a variable and a file
// (and a literal in dev), formats the configuration, its problems and its
// warnings every way a log line might, and searches for the secrets.
func TestSecretsNeverPrint(t *testing.T) {
	const (
		envSecret  = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
		fileSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
		literal    = "9e8d7c6b5a4f30211203f4a5b6c7d8e9"
		apiKey     = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"
	)
	secrets := []string{envSecret, fileSecret, literal, apiKey}
	file := writeFile(t, "secret", fileSecret+"\n", 0o644) // group-readable: a warning
	env := map[string]string{"WEB_SECRET": envSecret, "API_KEY": apiKey, "ODD": "x" + envSecret}
	apps := []string{
		"  - {name: web, type: website, appid: wx0123456789abcdef, secret_env: WEB_SECRET}",
		"  - {name: mp, type: official_account, appid: wx00000000000000aa, secret_file: '" + file + "'}",
		"  - {name: dev, type: mobile, appid: wx00000000000000ab, secret: " + literal + "}",
		"  - {name: odd, type: mobile, appid: wx00000000000000ac, secret_env: ODD}", // shape warning
	}
	good := doc("dev: true\ninternal: {api_key_env: API_KEY}", apps...)
	cfg := mustParse(t, good, env)
	if len(cfg.Warnings) < 3 {
		t.Fatalf("want warnings to search, got %q", cfg.Warnings)
	}

	// The same with problems: no dev, and secrets pasted where names belong.
	bad := doc("internal: {api_key_env: API_KEY}\nlog: {level: "+envSecret+"}", append(apps,
		"  - {name: pasted, type: mobile, appid: "+fileSecret+", secret_env: "+envSecret+"}",
		"  - {name: pasted2, type: mobile, appid: wx00000000000000ad, secret_file: "+literal+"}")...)
	_, err := config.Parse([]byte(bad), lookup(env))
	if err == nil {
		t.Fatal("want problems")
	}
	web, _ := cfg.App("web")
	_, loadErr := (&config.App{Name: "x", SecretEnv: envSecret}).LoadSecret(lookup(env))
	if loadErr == nil {
		t.Fatal("want a LoadSecret error")
	}

	var out bytes.Buffer
	values := []any{cfg, *cfg, cfg.Apps, web, *web, cfg.Warnings, err, problemsOf(t, err), loadErr}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		b, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatalf("json.Marshal(%T): %v", v, jerr)
		}
		out.Write(b)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("config", "cfg", cfg, "err", err)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "cfg", cfg, "err", err)
	for _, s := range secrets {
		for _, form := range []string{s, fmt.Sprintf("%x", s)} {
			if strings.Contains(out.String(), form) {
				t.Fatalf("secret %.6s... leaked into formatted output", s)
			}
		}
	}
	// The values were really resolved and are reachable where meant to be.
	if web.AppSecret().Reveal() != envSecret {
		t.Error("web's secret not resolved")
	}
	if k, _, _ := cfg.InternalAPIKey(lookup(env)); k != apiKey {
		t.Error("internal key not read")
	}
}
