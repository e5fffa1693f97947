package wechat

import (
	"net/url"
	"strings"
	"testing"
)

func TestQRConnectURL(t *testing.T) {
	c, _ := New(Config{AppID: testAppID, OpenBase: "http://127.0.0.1:9000"})
	redirect := "https://example.com/auth/wechat/callback?next=/a&b=c d#frag"
	got := c.QRConnectURL(redirect, "abc123")
	want := "http://127.0.0.1:9000/connect/qrconnect?appid=" + testAppID +
		"&redirect_uri=" + url.QueryEscape(redirect) + "&response_type=code&scope=snsapi_login&state=abc123#wechat_redirect"
	if got != want {
		t.Fatalf("QRConnectURL =\n %s\nwant\n %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("redirect_uri") != redirect || u.Fragment != "wechat_redirect" || len(u.Query()) != 5 {
		t.Errorf("parsed back: %v, fragment %q", u.Query(), u.Fragment)
	}
}

func TestAuthorizeURLOrderAndEscaping(t *testing.T) {
	c, _ := New(Config{AppID: testAppID})
	got := c.AuthorizeURL("https://m.example.com/cb", ScopeUserInfo, "s&t=1#x", false)
	if !strings.HasPrefix(got, DefaultOpenBase+"/connect/oauth2/authorize?appid=") || !strings.HasSuffix(got, "#wechat_redirect") {
		t.Fatalf("AuthorizeURL = %s", got)
	}
	order := []string{"appid=", "&redirect_uri=", "&response_type=code", "&scope=snsapi_userinfo", "&state="}
	last := -1
	for _, p := range order {
		i := strings.Index(got, p)
		if i <= last {
			t.Fatalf("parameter %q out of order in %s", p, got)
		}
		last = i
	}
	u, _ := url.Parse(got)
	if u.Query().Get("state") != "s&t=1#x" || u.Query().Has("t") {
		t.Errorf("state not escaped: %s", got)
	}
	if strings.Contains(got, "forcePopup") {
		t.Error("forcePopup present without being asked")
	}
	if p := c.AuthorizeURL("https://m.example.com/cb", ScopeBase, "s", true); !strings.Contains(p, "&state=s&forcePopup=true#wechat_redirect") {
		t.Errorf("forcePopup: %s", p)
	}
}

func TestEmbeddedQRConnectURL(t *testing.T) {
	c, _ := New(Config{AppID: testAppID, OpenBase: "http://emu"})
	yes, no := true, false
	tests := []struct {
		name string
		o    EmbedOptions
		want map[string]string
	}{
		{"defaults", EmbedOptions{}, map[string]string{"self_redirect": "default", "login_type": "jssdk", "scope": "snsapi_login"}},
		{"self true", EmbedOptions{SelfRedirect: &yes}, map[string]string{"self_redirect": "true"}},
		{"self false", EmbedOptions{SelfRedirect: &no, Style: "white", Href: "https://x/a.css?x=1", StyleLite: true, DisableFastLogin: true},
			map[string]string{"self_redirect": "false", "style": "white", "href": "https://x/a.css?x=1", "stylelite": "1", "fast_login": "0"}},
	}
	for _, tt := range tests {
		got := c.EmbeddedQRConnectURL("https://a.example/cb", "st", tt.o)
		u, err := url.Parse(got)
		if err != nil || u.Path != "/connect/qrconnect" || u.Fragment != "" {
			t.Fatalf("%s: %s (%v)", tt.name, got, err)
		}
		q := u.Query()
		if q.Get("appid") != testAppID || q.Get("redirect_uri") != "https://a.example/cb" || q.Get("state") != "st" {
			t.Errorf("%s: %v", tt.name, q)
		}
		for k, v := range tt.want {
			if q.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, q.Get(k), v)
			}
		}
	}
}

func TestValidState(t *testing.T) {
	for s, ok := range map[string]bool{
		"abc":                        true,
		strings.Repeat("a", 128):     true,
		strings.Repeat("a", 129):     false,
		"":                           false,
		"a-b":                        false,
		"a b":                        false,
		"é":                          false,
		"Zz09":                       true,
		"abc\x00":                    false,
		strings.Repeat("Ab9", 40):    true,
		"state_with_underscore":      false,
		"MTIzNDU2Nzg5MDEyMzQ1Ng==":   false,
		"4f9c2b7e1a8d4c6fb0e3a5d7c9": true,
	} {
		if ValidState(s) != ok {
			t.Errorf("ValidState(%q) = %v", s, !ok)
		}
	}
}
