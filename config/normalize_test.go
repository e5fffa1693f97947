package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
)

// An upper-case scheme or host in public_url is normalised when loading:
// "HTTPS://" must still mean Secure and __Host- cookies, and the host must
// compare equal to the Origin browsers send.
func TestPublicURLIsNormalised(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "WEB_SECRET" {
			return "0123456789abcdef0123456789abcdef", true
		}
		return "", false
	}
	for in, want := range map[string]string{
		"HTTPS://Login.Example.COM":        "https://login.example.com",
		"https://LOGIN.example.com:443/Gw": "https://login.example.com/Gw",
		"Http://LocalHost:8080":            "http://localhost:8080",
		"http://127.0.0.1:80":              "http://127.0.0.1",
		"HTTP://[::1]:8080":                "http://[::1]:8080",
		"https://login.example.com:8443":   "https://login.example.com:8443",
	} {
		cfg, err := config.Parse([]byte(doc("public_url: "+in, webApp)), env)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if cfg.PublicURL != want {
			t.Errorf("public_url %s loaded as %s, want %s", in, cfg.PublicURL, want)
		}
	}
}

// A keyring other users can read is refused outside dev mode and warned
// about in dev mode.
func TestKeyringPermissions(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if k == "WEB_SECRET" {
			return "0123456789abcdef0123456789abcdef", true
		}
		return "", false
	}
	if _, err := config.Parse([]byte(doc("keys_file: "+keys, webApp)), env); err != nil {
		t.Fatalf("a 0600 keyring: %v", err)
	}
	if err := os.Chmod(keys, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := config.Parse([]byte(doc("keys_file: "+keys, webApp)), env)
	if _, ok := findProblem(problemsOf(t, err), "keys_file", "chmod 600"); !ok {
		t.Fatalf("a 0644 keyring: %v", err)
	}
	cfg, err := config.Parse([]byte(doc("dev: true\nkeys_file: "+keys, webApp)), env)
	if err != nil || !strings.Contains(strings.Join(cfg.Warnings, "\n"), "chmod 600") {
		t.Fatalf("a 0644 keyring in dev mode: %v %q", err, cfg.Warnings)
	}
}

func TestInternalListen(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "WEB_SECRET" {
			return "0123456789abcdef0123456789abcdef", true
		}
		return "", false
	}
	cfg, err := config.Parse([]byte(doc("internal:\n  listen: 127.0.0.1:9090", webApp)), env)
	if err != nil || cfg.Internal.Listen != "127.0.0.1:9090" || len(cfg.Warnings) != 0 {
		t.Fatalf("loopback internal.listen: %v %q", err, cfg.Warnings)
	}
	cfg, err = config.Parse([]byte(doc("internal:\n  listen: 0.0.0.0:9090", webApp)), env)
	if err != nil || !strings.Contains(strings.Join(cfg.Warnings, "\n"), "may be reachable from outside") {
		t.Fatalf("internal.listen on every interface: %v %q", err, cfg.Warnings)
	}
	for y, msg := range map[string]string{
		"internal:\n  listen: nope":                                   "not host:port",
		"listen: 127.0.0.1:8080\ninternal:\n  listen: 127.0.0.1:8080": "same address as listen",
	} {
		_, err := config.Parse([]byte(doc(y, webApp)), env)
		if _, ok := findProblem(problemsOf(t, err), "internal.listen", msg); !ok {
			t.Errorf("%q: %v", y, err)
		}
	}
}
