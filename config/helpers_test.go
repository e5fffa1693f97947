package config_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
)

// appSecret is a well-formed AppSecret the tests' environment holds.
const appSecret = "0123456789abcdef0123456789abcdef"

// baseEnv holds the variables the test configurations' secret_env name.
var baseEnv = map[string]string{
	"WEB_SECRET":  appSecret,
	"MP_SECRET":   "fedcba9876543210fedcba9876543210",
	"SHOP_SECRET": "00112233445566778899aabbccddeeff",
	"APP_SECRET":  "ffeeddccbbaa99887766554433221100",
}

// lookup returns a lookupEnv over baseEnv and extra.
func lookup(extra map[string]string) func(string) (string, bool) {
	env := maps.Clone(baseEnv)
	maps.Copy(env, extra)
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// webApp is a valid website app reading WEB_SECRET.
const webApp = `
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret_env: WEB_SECRET
`

// doc joins top-level keys and an apps list (each app a YAML list item
// indented by two spaces).
func doc(top string, apps ...string) string {
	s := strings.TrimSpace(top) + "\n"
	if len(apps) > 0 {
		s += "apps:\n"
		for _, a := range apps {
			s += strings.Trim(a, "\n") + "\n"
		}
	}
	return s
}

// problemsOf returns the Problems in err, failing the test if err is
// something else.
func problemsOf(t *testing.T, err error) config.Problems {
	t.Helper()
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not config.Problems", err, err)
	}
	return ps
}

// findProblem returns the problem at path whose message holds msg.
func findProblem(ps config.Problems, path, msg string) (config.Problem, bool) {
	for _, p := range ps {
		if p.Path == path && strings.Contains(p.Message, msg) {
			return p, true
		}
	}
	return config.Problem{}, false
}

// mustParse parses or fails the test.
func mustParse(t *testing.T, yaml string, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), lookup(env))
	if err != nil {
		t.Fatalf("Parse:\n%s\nerror: %v", yaml, err)
	}
	return cfg
}

// writeFile writes a file with mode perm in a fresh temporary directory.
func writeFile(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}
