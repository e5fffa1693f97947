package demo

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// openAccount is the open-platform account the demo's apps share, so one
// person has one unionid across them and the gateway links their logins.
const openAccount = "demo"

// demoApp is one of the demo's WeChat apps: the gateway's name for it and
// the name the emulator shows on its pages.
type demoApp struct {
	name  string // the gateway's app name (?app=web)
	typ   wechat.AppType
	title string // the emulator's app name, shown on the QR and consent pages
	label string // how the demo site shows it
}

// demoApps are the demo's apps, one of each type, in the order the
// gateway's configuration lists them.
var demoApps = []demoApp{
	{"web", wechat.AppTypeWebsite, "wxgate 演示网站 · Demo site", "演示网站 · Demo website"},
	{"oa", wechat.AppTypeOfficialAccount, "wxgate 演示公众号 · Demo official account", "演示公众号 · Demo official account"},
	{"mp", wechat.AppTypeMiniProgram, "wxgate 演示小程序 · Demo mini-program", "演示小程序 · Demo mini-program"},
	{"ios", wechat.AppTypeMobile, "wxgate 演示 App · Demo iOS app", "演示 App · Demo mobile app"},
}

// avatarPath is where the demo site serves the default users' avatars.
const avatarPath = "/static/avatars/"

// defaultUsers are the WeChat users of a new demo.
var defaultUsers = []emulator.UserSpec{
	{UserID: "xiaoming", Nickname: "小明 Xiaoming", Sex: 1, Province: "Guangdong", City: "Shenzhen", Country: "CN", Phone: "13800138000", HeadImgURL: avatarPath + "xiaoming.png"},
	{UserID: "alice", Nickname: "Alice", Sex: 2, Province: "Shanghai", City: "Shanghai", Country: "CN", Phone: "13900139000", HeadImgURL: avatarPath + "alice.png"},
	{UserID: "bob", Nickname: "Bob", Sex: 1, Province: "Beijing", City: "Beijing", Country: "CN", Phone: "13700137000", HeadImgURL: avatarPath + "bob.png"},
}

const fixtureHeader = `# The wxgate demo's emulator fixture: its apps (with the emulator's AppSecrets,
# which are not real WeChat secrets), its users and the salt that keeps their
# openids stable. Generated on the first run of ` + "`wxgate demo`" + ` and reloaded after.
# Add users here (docs/emulator.md, "Fixture format"), or delete this folder to
# start over. Callback domains and avatar URLs follow the demo's address.
`

// loadFixture reads the fixture at path, or makes a new one, and brings it
// up to date with the site's address: every demo app present with an appid
// and a secret, callback domains on siteHost, default avatars on siteURL.
// It writes the file back when anything changed.
func loadFixture(path, siteHost, siteURL string) (*emulator.Fixture, error) {
	old, err := os.ReadFile(path)
	fx := &emulator.Fixture{}
	switch {
	case err == nil:
		if fx, err = emulator.LoadFixture(path); err != nil {
			return nil, fmt.Errorf("demo: %w: fix the file, or delete the data folder %s to start over", err, filepath.Dir(path))
		}
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	default:
		return nil, fmt.Errorf("demo: reading the emulator fixture: %w", err)
	}
	if fx.IdentitySalt == "" {
		fx.IdentitySalt = randomHex(16)
	}
	for _, d := range demoApps {
		i := appIndex(fx, d.typ)
		if i < 0 {
			fx.Apps = append(fx.Apps, emulator.AppSpec{Type: d.typ, Name: d.title, OpenAccount: openAccount})
			i = len(fx.Apps) - 1
		}
		a := &fx.Apps[i]
		if a.AppID == "" {
			a.AppID = "wx" + randomHex(8)
		}
		if a.Secret == "" {
			a.Secret = randomHex(16)
		}
		if d.typ == wechat.AppTypeWebsite || d.typ == wechat.AppTypeOfficialAccount {
			a.CallbackDomain = siteHost
		}
		fixScanApp(a, siteURL)
	}
	if len(fx.Users) == 0 {
		fx.Users = append(fx.Users, defaultUsers...)
	}
	for i := range fx.Users {
		u := &fx.Users[i]
		if strings.HasPrefix(u.HeadImgURL, avatarPath) {
			u.HeadImgURL = siteURL + u.HeadImgURL
		} else if p, err := url.Parse(u.HeadImgURL); err == nil && strings.HasPrefix(p.Path, avatarPath) && isLoopbackHost(p.Hostname()) {
			u.HeadImgURL = siteURL + p.Path
		}
	}
	data, err := marshalFixture(fx)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(data, old) {
		if err := writeFileAtomic(path, data); err != nil {
			return nil, fmt.Errorf("demo: writing the emulator fixture: %w", err)
		}
	}
	return fx, nil
}

// appIndex is the index of the fixture's first app of type t, or -1. The
// first app of each type is the demo's; others are the emulator's only.
func appIndex(fx *emulator.Fixture, t wechat.AppType) int {
	for i, a := range fx.Apps {
		if a.Type == t {
			return i
		}
	}
	return -1
}

// fixtureFile is the fixture as the demo writes it. The behaviour section
// goes through JSON, which writes its switches as booleans.
type fixtureFile struct {
	IdentitySalt string              `yaml:"identity_salt"`
	Apps         []emulator.AppSpec  `yaml:"apps"`
	Users        []emulator.UserSpec `yaml:"users"`
	Behaviour    map[string]any      `yaml:"behaviour,omitempty"`
}

func marshalFixture(fx *emulator.Fixture) ([]byte, error) {
	f := fixtureFile{IdentitySalt: fx.IdentitySalt, Apps: fx.Apps, Users: fx.Users}
	b, err := json.Marshal(fx.Behaviour)
	if err == nil {
		err = json.Unmarshal(b, &f.Behaviour)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: encoding the fixture's behaviour: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(fixtureHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("demo: encoding the fixture: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("demo: encoding the fixture: %w", err)
	}
	return buf.Bytes(), nil
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file, so an interrupted write never leaves half a fixture.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// randomHex returns n random bytes in lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("demo: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
