package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxgate/wxgate/emulator"
)

// pngServer serves a tiny PNG and counts the requests it gets.
func pngServer(t *testing.T, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// An avatar URL naming a host that is neither WeChat's nor the configured
// emulator is never requested: the gateway would otherwise fetch any URL a
// profile carries, from inside the operator's network.
func TestAvatarFromAnotherHostIsNotFetched(t *testing.T) {
	var hits atomic.Int64
	internal := pngServer(t, &hits)
	h := newHarness(t)
	u, err := h.emu.CreateUser(emulator.UserSpec{Nickname: "Evil", HeadImgURL: internal.URL + "/admin/avatar.png"})
	if err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.qrLogin(u, "app=web")
	got, _ := meUser(t, b.me())["avatar_url"].(string)
	if hits.Load() != 0 {
		t.Fatalf("the gateway fetched an avatar from %s (%d requests)", internal.URL, hits.Load())
	}
	if strings.HasPrefix(got, h.url+"/auth/avatars/") {
		t.Fatalf("avatar_url = %q: a copy was made", got)
	}
	if !strings.Contains(h.logs.String(), "not one of WeChat's avatar hosts") {
		t.Errorf("the log does not say why the avatar was not copied:\n%s", h.logs.String())
	}
}

// A redirect from an allowed host is a failure, never followed; an allowed
// name that resolves to a non-public address is refused when dialling.
func TestAvatarFetchRedirectsAndDialling(t *testing.T) {
	var hits atomic.Int64
	target := pngServer(t, &hits)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/x.png", http.StatusFound))
	t.Cleanup(redirector.Close)

	f := newAvatarFetcher([]string{redirector.URL}, nil)
	s := &Server{avatars: f}
	if _, _, err := s.fetchAvatar(context.Background(), redirector.URL+"/mmopen/a/132"); err == nil {
		t.Fatal("a redirected avatar fetch succeeded")
	}
	if hits.Load() != 0 {
		t.Fatalf("the redirect was followed (%d requests)", hits.Load())
	}

	// "localhost" standing in for a WeChat avatar host whose DNS answer is
	// a loopback address: refused at dial time.
	tu, _ := url.Parse(target.URL)
	f = newAvatarFetcher([]string{"https://api.weixin.qq.com", "https://open.weixin.qq.com"}, nil)
	f.hosts["localhost"] = true
	s = &Server{avatars: f}
	_, _, err := s.fetchAvatar(context.Background(), "http://localhost:"+tu.Port()+"/x.png")
	if err == nil || !strings.Contains(err.Error(), "non-public address") {
		t.Fatalf("fetch through a name resolving to loopback: err = %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("a loopback address was dialled (%d requests)", hits.Load())
	}

	for _, bad := range []string{"ftp://thirdwx.qlogo.cn/x", "http://user:pw@thirdwx.qlogo.cn/x", "http://thirdwx.qlogo.cn.evil.example/x", "http://169.254.169.254/latest/meta-data"} {
		u, _ := url.Parse(bad)
		if err := f.allowed(u); err == nil {
			t.Errorf("%s is allowed", bad)
		}
	}
	for _, good := range []string{"https://thirdwx.qlogo.cn/mmopen/vi_32/x/132", "http://THIRDWX.qlogo.cn/x", "https://api.weixin.qq.com/mmopen/x"} {
		u, _ := url.Parse(good)
		if err := f.allowed(u); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false,
		"fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"224.0.0.1": false, "255.255.255.255": false, "64:ff9b::a00:1": false,
		"183.3.226.35": true, "2408:8000::1": true, "::ffff:183.3.226.35": true,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}
