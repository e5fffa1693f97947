package emulator_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func TestWXACodeUnlimit(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	wc := v.client(mp)
	ctx := context.Background()
	tok := v.appToken(mp)
	no := false
	code, err := wc.GetWXACodeUnlimit(ctx, tok, wechat.WXACodeRequest{Scene: "abcDEF123", Page: "pages/login/scan", CheckPath: &no, EnvVersion: wechat.EnvTrial, Width: 430})
	if err != nil {
		t.Fatal(err)
	}
	if code.ContentType != "image/jpeg" {
		t.Errorf("content type %q, want image/jpeg as WeChat labels it", code.ContentType)
	}
	img, err := png.Decode(bytes.NewReader(code.Image))
	if err != nil {
		t.Fatalf("the code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
		t.Errorf("code image is %v", b)
	}
	list := v.e.WXACodes()
	if len(list) != 1 {
		t.Fatalf("WXACodes = %v", list)
	}
	got := list[0]
	if got.AppID != mp.AppID || got.Scene != "abcDEF123" || got.Page != "pages/login/scan" || got.EnvVersion != "trial" {
		t.Errorf("listed code %+v", got)
	}
	// The control API lists it too, and opening it is a scan: the page,
	// its scene and a wx.login code for the person.
	cl, err := v.ctl.WXACodes(ctx)
	if err != nil || len(cl) != 1 || cl[0].ID != got.ID {
		t.Fatalf("control WXACodes = %v, %v", cl, err)
	}
	uid := v.user()
	opened, err := v.ctl.OpenWXACode(ctx, got.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	if opened.Scene != "abcDEF123" || opened.Page != "pages/login/scan" || opened.AppID != mp.AppID {
		t.Errorf("opened %+v", opened)
	}
	sess, err := wc.Code2Session(ctx, opened.Code)
	if err != nil {
		t.Fatalf("the code of an opened mini-program code: %v", err)
	}
	id, _ := v.e.Identity(uid, mp.AppID)
	if sess.OpenID != id.OpenID {
		t.Error("the opened code belongs to another user")
	}
	if _, err := v.ctl.OpenWXACode(ctx, "wxa000000000000000000000000", uid); !errors.Is(err, &emulator.Error{Code: "wxacode_not_found"}) {
		t.Errorf("opening an unknown code: %v", err)
	}
	// Defaults: release, the home page.
	if _, err := wc.GetWXACodeUnlimit(ctx, tok, wechat.WXACodeRequest{Scene: "x"}); err != nil {
		t.Fatal(err)
	}
	if d := v.e.WXACodes()[0]; d.Page != "pages/index/index" || d.EnvVersion != "release" {
		t.Errorf("defaults %+v", d)
	}
}

func TestWXACodeErrors(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	wc := v.client(mp)
	ctx := context.Background()
	tok := v.appToken(mp)
	for _, tc := range []struct {
		name string
		req  wechat.WXACodeRequest
		code int
	}{
		{"empty scene", wechat.WXACodeRequest{Scene: ""}, 40169},
		{"long scene", wechat.WXACodeRequest{Scene: strings.Repeat("a", 33)}, 40169},
		{"scene with a space", wechat.WXACodeRequest{Scene: "a b"}, 40169},
		{"scene in Chinese", wechat.WXACodeRequest{Scene: "登录"}, 40169},
		{"page with a leading slash", wechat.WXACodeRequest{Scene: "a", Page: "/pages/index"}, 41030},
		{"page with a query", wechat.WXACodeRequest{Scene: "a", Page: "pages/index?x=1"}, 41030},
		{"bad env_version", wechat.WXACodeRequest{Scene: "a", EnvVersion: "beta"}, 47001},
		{"narrow", wechat.WXACodeRequest{Scene: "a", Width: 100}, 47001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wc.GetWXACodeUnlimit(ctx, tok, tc.req)
			wantWeChat(t, err, tc.code)
		})
	}
	_, err := wc.GetWXACodeUnlimit(ctx, wechat.NewToken(""), wechat.WXACodeRequest{Scene: "a"})
	wantWeChat(t, err, 41001)
	_, err = wc.GetWXACodeUnlimit(ctx, wechat.NewToken("not-a-token"), wechat.WXACodeRequest{Scene: "a"})
	wantWeChat(t, err, 40014)
	_, err = wc.GetWXACodeUnlimit(ctx, v.appToken(oa), wechat.WXACodeRequest{Scene: "a"})
	wantWeChat(t, err, 48001)
	v.e.Advance(7201e9)
	_, err = wc.GetWXACodeUnlimit(ctx, tok, wechat.WXACodeRequest{Scene: "a"})
	wantWeChat(t, err, 42001)
	// Not JSON at all.
	m := v.post("/wxa/getwxacodeunlimit", url.Values{"access_token": {v.appToken(mp).Reveal()}}, "application/json", "scene=a")
	wantNumber(t, m, "errcode", 47001)
	// A quota fault: WeChat's JSON error, not an image.
	if err := v.e.SetFault(emulator.Fault{Path: "/wxa/getwxacodeunlimit", ErrCode: 45009, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = wc.GetWXACodeUnlimit(ctx, v.appToken(mp), wechat.WXACodeRequest{Scene: "a"})
	wantWeChat(t, err, 45009)
	if n := len(v.e.WXACodes()); n != 0 {
		t.Errorf("%d codes remembered after errors only", n)
	}
}
