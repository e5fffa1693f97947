package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/config"
)

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		path string
		msg  string
	}{
		{name: "unknown top-level key", yaml: "listen: 127.0.0.1:8080\n\nlistne: x\n", line: 3, path: "listne", msg: "unknown key; did you mean listen?"},
		{name: "unknown nested key", yaml: "wechat:\n  api_bas: https://x\n", line: 2, path: "wechat.api_bas", msg: "did you mean api_base?"},
		{name: "unknown key no suggestion", yaml: "wechat:\n  zzz: 1\n", line: 2, path: "wechat.zzz", msg: "the keys here are api_base, open_base, token_mode, timeout"},
		{name: "unknown app key", yaml: "apps:\n  - name: web\n    app_id: wx0123456789abcdef\n", line: 3, path: "apps[0] (web).app_id", msg: "did you mean appid?"},
		{name: "app secret key misspelt", yaml: "apps:\n  - name: web\n    appsecret: x\n", line: 3, path: "apps[0] (web).appsecret", msg: "secret_env (an environment variable's name) or secret_file"},
		{name: "duplicate key", yaml: "listen: a:1\nlog: {level: info}\nlisten: b:2\n", line: 3, path: "listen", msg: "duplicate key (first set at line 1)"},
		{name: "duplicate app key", yaml: "apps:\n  - name: web\n    type: website\n    type: mobile\n", line: 4, path: "apps[0] (web).type", msg: "duplicate key (first set at line 3)"},
		{name: "list for a scalar", yaml: "listen: [a, b]\n", line: 1, path: "listen", msg: "want a single value, not a list"},
		{name: "scalar for a mapping", yaml: "wechat: https://api.weixin.qq.com\n", line: 1, path: "wechat", msg: "want a mapping of keys (api_base, open_base, token_mode, timeout)"},
		{name: "mapping for apps", yaml: "apps:\n  web: {type: website}\n", line: 2, path: "apps", msg: "want a list"},
		{name: "root not a mapping", yaml: "- listen\n", line: 1, msg: "the file must be a YAML mapping"},
		{name: "syntax error", yaml: "listen: a\n  wechat: b\n", line: 2, msg: "invalid YAML: mapping values are not allowed"},
		{name: "tab indentation", yaml: "wechat:\n\tapi_base: x\n", line: 2, msg: "invalid YAML"},
		{name: "second document", yaml: "listen: a:1\n---\nlisten: b:2\n", line: 2, msg: "a second YAML document"},
		{name: "complex key", yaml: "? [a, b]\n: c\n", line: 1, msg: "a key must be a plain name"},
		{name: "merge of a scalar", yaml: "log:\n  <<: info\n", line: 2, path: "log", msg: "merge (<<) needs a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.yaml), lookup(nil))
			ps := problemsOf(t, err)
			p, ok := findProblem(ps, tt.path, tt.msg)
			if !ok {
				t.Fatalf("want a problem at %q holding %q, got:\n%v", tt.path, tt.msg, err)
			}
			if p.Line != tt.line {
				t.Errorf("problem at line %d, want %d: %v", p.Line, tt.line, p)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := writeFile(t, "wxgate.yaml", "listen: 127.0.0.1:8080\nlistn: x\n", 0o600)
	_, err := config.Load(path, lookup(nil))
	want := path + ":2: listn: unknown key; did you mean listen?"
	if err == nil || err.Error() != "config: "+want {
		t.Fatalf("got %v, want config: %s", err, want)
	}
	if ps := problemsOf(t, err); ps[0].File != path || ps[0].Line != 2 {
		t.Errorf("problem %+v", ps[0])
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), lookup(nil))
	if !os.IsNotExist(err) && !strings.Contains(fmt.Sprint(err), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("missing file: %v", err)
	}

	big := writeFile(t, "big.yaml", "# "+strings.Repeat("x", config.MaxFileSize)+"\n", 0o600)
	_, err = config.Load(big, lookup(nil))
	if _, ok := findProblem(problemsOf(t, err), "", "larger than 1048576 bytes"); !ok {
		t.Errorf("oversize file: %v", err)
	}
	_, err = config.Parse(make([]byte, config.MaxFileSize+1), lookup(nil))
	if _, ok := findProblem(problemsOf(t, err), "", "larger than"); !ok {
		t.Errorf("oversize data: %v", err)
	}
}

func TestEmptyAndNullValues(t *testing.T) {
	for _, y := range []string{"", "# only a comment\n", "---\n", "~\n", "wechat:\nsessions: ~\nweb: {allowed_origins: }\napps: []\n"} {
		cfg, err := config.Parse([]byte(y), lookup(nil))
		if err != nil {
			t.Errorf("%q: %v", y, err)
			continue
		}
		if cfg.Listen != "127.0.0.1:8080" || cfg.Sessions.IdleTimeout.Duration() != 24*time.Hour {
			t.Errorf("%q: defaults not applied: %+v", y, cfg)
		}
	}
}

// TestAnchorsAndMerges checks YAML anchors, aliases, merge keys and the
// x- extension keys that hold anchors.
func TestAnchorsAndMerges(t *testing.T) {
	y := `
x-app: &mobile
  type: mobile
  expose_openid: true
  sign_requests: true
timeouts: &t 90s
apps:
  - <<: *mobile
    name: ios
    appid: wx00000000000000a1
    secret_env: APP_SECRET
  - <<: *mobile
    name: android
    appid: wx00000000000000a2
    secret_env: SHOP_SECRET
    sign_requests: false
`
	_, err := config.Parse([]byte(y), lookup(nil))
	if _, ok := findProblem(problemsOf(t, err), "timeouts", "unknown key"); !ok {
		t.Fatalf("want unknown key timeouts, got %v", err)
	}
	y = strings.Replace(y, "timeouts: &t 90s\n", "wechat: {timeout: &t 90s}\nsessions: {idle_timeout: *t, absolute_timeout: *t}\n", 1)
	cfg := mustParse(t, y, nil)
	ios, _ := cfg.App("ios")
	android, _ := cfg.App("android")
	if ios.Type != "mobile" || !ios.ExposeOpenID || !ios.SignRequests || ios.AppID != "wx00000000000000a1" {
		t.Errorf("ios: %+v", ios)
	}
	if android.Type != "mobile" || android.SignRequests {
		t.Errorf("android: the app's own key must win over the merged one: %+v", android)
	}
	if cfg.Sessions.IdleTimeout.Duration() != 90*time.Second {
		t.Errorf("alias not followed: %v", cfg.Sessions.IdleTimeout)
	}
}

// TestAliasBomb checks that a small document whose aliases expand to a huge
// one is refused quickly.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-a: &a0 {type: mobile}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d\n  <<: [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("apps:\n")
	for i := 0; i < 50; i++ {
		b.WriteString("  - <<: *a9\n")
	}
	start := time.Now()
	_, err := config.Parse([]byte(b.String()), lookup(nil))
	if _, ok := findProblem(problemsOf(t, err), "", "expand to too many"); !ok {
		t.Errorf("want the expansion refused, got %.300v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	// A merge of itself.
	_, err = config.Parse([]byte("log: &l\n  <<: *l\n"), lookup(nil))
	if err == nil {
		t.Error("a self-merge was accepted")
	}
}

func TestDurationForms(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "90": 90 * time.Second, "'3600'": time.Hour, "1h30m": 90 * time.Minute, "720h": 720 * time.Hour, "1.5s": 1500 * time.Millisecond,
	} {
		cfg := mustParse(t, "wechat: {timeout: "+in+"}\n", nil)
		if got := cfg.WeChat.Timeout.Duration(); got != want {
			t.Errorf("%s: got %v, want %v", in, got, want)
		}
	}
	for d, want := range map[config.Duration]string{
		config.Duration(24 * time.Hour): "24h", config.Duration(5 * time.Minute): "5m", config.Duration(90 * time.Minute): "1h30m",
		config.Duration(1500 * time.Millisecond): "1.5s", config.Duration(time.Hour + time.Second): "1h0m1s",
	} {
		if got := d.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", int64(d), got, want)
		}
	}
	var d config.Duration
	if err := d.UnmarshalText([]byte("2m")); err != nil || d.Duration() != 2*time.Minute {
		t.Errorf("UnmarshalText: %v %v", d, err)
	}
	if err := d.UnmarshalText([]byte("2 fortnights")); err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("UnmarshalText accepted garbage: %v", err)
	}
	if err := d.UnmarshalText([]byte("99999999999999999")); err == nil {
		t.Error("UnmarshalText accepted an overflowing number of seconds")
	}
}
