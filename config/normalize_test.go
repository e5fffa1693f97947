package config_test

import (
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
		"HTTPS://Login.Example.COM":       "https://login.example.com",
		"https://LOGIN.example.com:443/Gw": "https://login.example.com/Gw",
		"Http://LocalHost:8080":           "http://localhost:8080",
		"http://127.0.0.1:80":             "http://127.0.0.1",
		"HTTP://[::1]:8080":               "http://[::1]:8080",
		"https://login.example.com:8443":  "https://login.example.com:8443",
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
