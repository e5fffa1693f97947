package config_test

import (
	"errors"
	"os"
	"testing"

	"github.com/wxgate/wxgate/config"
)

// FuzzParse checks that Parse never panics and fails only with Problems.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/wxgate.example.yaml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"", "~", "[]", "listen: [", "a: &a [*a]", "log: &l\n  <<: *l\n", "x-a: &a {type: mobile}\napps:\n  - <<: [*a, *a]\n",
		doc("dev: true", webApp), "apps:\n  - \n  - {name: 1}\n", "wechat: {timeout: 99999999999999999999}\n",
		"? [a]\n: b\n", "apps: [{<<: {name: x}}]\n", "listen: a\n---\nlisten: b\n", "\t", "web: {allowed_origins: [~, 1, {}]}\n",
	} {
		f.Add([]byte(s))
	}
	env := lookup(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, env)
		if err != nil {
			var ps config.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v is not Problems", err, err)
			}
			if cfg != nil {
				t.Fatal("a configuration came back with problems")
			}
			_ = err.Error()
			return
		}
		if cfg == nil {
			t.Fatal("no configuration and no error")
		}
		for i := range cfg.Apps {
			if a, ok := cfg.App(cfg.Apps[i].Name); !ok || a != &cfg.Apps[i] {
				t.Fatalf("app %q not found by name", cfg.Apps[i].Name)
			}
		}
	})
}
