package emulator_test

import (
	"go.yaml.in/yaml/v3"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

const yamlFixture = `# demo fixture
identity_salt: "a stable salt for tests"
apps:
  - appid: wx0123456789abcdef
    secret: 0123456789abcdef0123456789abcdef
    type: website
    name: Demo site
    callback_domain: localhost:8080
    open_account: acme
  - type: miniprogram
    name: Shop
    open_account: acme
users:
  - user_id: alice
    nickname: Alice
    sex: 2
    phone: "13800138000"
  - nickname: Bob
behaviour:
  deny_redirect: none
  strict_state_charset: false
  jscode_rate_scope: app
`

func TestLoadFixture(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "fx.yaml")
	js := filepath.Join(dir, "fx.json")
	noext := filepath.Join(dir, "fixture")
	if err := os.WriteFile(yml, []byte(yamlFixture), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonText := `{"identity_salt":"a stable salt for tests","apps":[{"appid":"wx0123456789abcdef","secret":"0123456789abcdef0123456789abcdef","type":"website","name":"Demo site","callback_domain":"localhost:8080","open_account":"acme"},{"type":"miniprogram","name":"Shop","open_account":"acme"}],"users":[{"user_id":"alice","nickname":"Alice","sex":2,"phone":"13800138000"},{"nickname":"Bob"}],"behaviour":{"deny_redirect":"none","strict_state_charset":false,"jscode_rate_scope":"app"}}`
	if err := os.WriteFile(js, []byte(jsonText), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noext, []byte("\n  "+jsonText), 0o600); err != nil {
		t.Fatal(err)
	}
	var fxs []*emulator.Fixture
	for _, p := range []string{yml, js, noext} {
		fx, err := emulator.LoadFixture(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		fxs = append(fxs, fx)
	}
	for _, fx := range fxs[1:] {
		if !equalFixture(fxs[0], fx) {
			t.Fatalf("JSON and YAML differ:\n%+v\n%+v", fxs[0], fx)
		}
	}
	e, err := emulator.New(emulator.Options{Fixture: fxs[0], Behaviour: emulator.Behaviour{DenyRedirect: emulator.DenyRedirectStateOnly}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Behaviour()
	// Options override the fixture; the fixture overrides the defaults.
	if b.DenyRedirect != emulator.DenyRedirectStateOnly || b.StrictStateCharset != emulator.SwitchOff || b.JSCodeRateScope != "app" || b.RequireState != emulator.SwitchOn {
		t.Fatalf("behaviour %+v", b)
	}
	web, err := e.App("wx0123456789abcdef")
	if err != nil || web.Type != wechat.AppTypeWebsite || web.Secret != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("%+v %v", web, err)
	}
	if len(e.Apps()) != 2 {
		t.Fatal("want 2 apps")
	}
	alice, err := e.GetUser("alice")
	if err != nil || alice.Phone != "13800138000" || alice.Sex != 2 {
		t.Fatalf("%+v %v", alice, err)
	}
	if _, err := e.GetUser("u1"); err != nil {
		t.Fatalf("Bob gets u1: %v", err)
	}
}

func equalFixture(a, b *emulator.Fixture) bool {
	if a.IdentitySalt != b.IdentitySalt || a.Behaviour != b.Behaviour || len(a.Apps) != len(b.Apps) || len(a.Users) != len(b.Users) {
		return false
	}
	for i := range a.Apps {
		if a.Apps[i] != b.Apps[i] {
			return false
		}
	}
	for i := range a.Users {
		if a.Users[i] != b.Users[i] {
			return false
		}
	}
	return true
}

func TestFixtureErrors(t *testing.T) {
	for _, tc := range []struct{ name, format, text, want string }{
		{"unknown key yaml", "yaml", "apps: []\ncolour: red\n", "colour"},
		{"unknown key json", "json", `{"colour":"red"}`, "colour"},
		{"unknown app key", "yaml", "apps:\n  - {type: website, domain: x}\n", "domain"},
		{"bad behaviour", "yaml", "behaviour:\n  deny_redirect: sometimes\n", "deny_redirect"},
		{"bad switch", "yaml", "behaviour:\n  require_state: maybe\n", "true or false"},
		{"short salt", "json", `{"identity_salt":"short"}`, "identity_salt"},
		{"two documents", "yaml", "apps: []\n---\napps: []\n", "one YAML document"},
		{"trailing json", "json", `{}{}`, "trailing"},
		{"syntax", "json", `{"apps":[}`, "fixture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := emulator.ParseFixture([]byte(tc.text), tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
	// Apps and users are checked by New, every problem at once.
	fx, err := emulator.ParseFixture([]byte("apps:\n  - {type: robot}\n  - {type: website}\nusers:\n  - {user_id: a}\n  - {user_id: a}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = emulator.New(emulator.Options{Fixture: fx})
	for _, want := range []string{"apps[0]", "apps[1]", "callback_domain", "users[1]", "already exists"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err %v, want it to mention %q", err, want)
		}
	}
	if _, err := emulator.LoadFixture(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing file")
	}
}

func TestSwitchYAMLRoundTrip(t *testing.T) {
	for _, sw := range []emulator.Switch{emulator.SwitchOn, emulator.SwitchOff, emulator.SwitchDefault} {
		in := emulator.Behaviour{StrictStateCharset: sw, DenyRedirect: "none"}
		b, err := yaml.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out emulator.Behaviour
		if err := yaml.Unmarshal(b, &out); err != nil {
			t.Fatalf("%v: reading back %q: %v", sw, b, err)
		}
		if out.StrictStateCharset != sw || out.DenyRedirect != "none" {
			t.Errorf("%v: round trip gave %+v from %q", sw, out, b)
		}
	}
}
