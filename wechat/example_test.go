package wechat_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// Mini-program login: the code from wx.login becomes an openid and a
// session_key, which then decrypts the user's data. The session_key stays
// on the server.
func Example_miniProgramLogin() {
	emu, mp, user := startEmulator(wechat.AppTypeMiniProgram)
	defer emu.Close()

	c, _ := wechat.New(wechat.Config{AppID: mp.AppID, Secret: wechat.NewSecret(mp.Secret), APIBase: emu.URL})
	code, _ := emu.e.MiniProgramLogin(mp.AppID, user) // what wx.login gives the mini-program
	s, err := c.Code2Session(context.Background(), code)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("session_key:", s.SessionKey) // typed: never printable

	p, _ := emu.e.MiniProgramUserInfo(mp.AppID, user) // what wx.getUserInfo gives it
	d, err := wechat.DecryptData(s.SessionKey, mp.AppID, p.EncryptedData, p.IV)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := d.Fields()
	fmt.Println("nickName:", string(f["nickName"]))
	// Output:
	// session_key: [redacted]
	// nickName: "Band"
}

// Website QR login: send the browser to the QR page with a state bound to
// it; WeChat calls back with a code, exchanged once for the user's token.
func Example_websiteLogin() {
	emu, web, user := startEmulator(wechat.AppTypeWebsite)
	defer emu.Close()

	c, _ := wechat.New(wechat.Config{AppID: web.AppID, Secret: wechat.NewSecret(web.Secret), APIBase: emu.URL, OpenBase: emu.URL})
	page := c.QRConnectURL("http://127.0.0.1:8080/auth/wechat/callback", "xyz123")

	// The user scans the QR and confirms on the phone; WeChat redirects.
	resp, _ := http.Get(page)
	resp.Body.Close()
	uuid := resp.Header.Get("X-Wxemu-Uuid")
	emu.e.Scan(uuid, user)
	redirect, _ := emu.e.Confirm(uuid, user)
	cb, _ := url.Parse(redirect)
	fmt.Println("state:", cb.Query().Get("state")) // check it against the browser's

	tok, err := c.ExchangeCode(context.Background(), cb.Query().Get("code"))
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := c.UserInfo(context.Background(), tok.AccessToken, tok.OpenID, wechat.LangZhCN)
	fmt.Println("nickname:", u.Nickname, "scope:", tok.Scope)
	// Output:
	// state: xyz123
	// nickname: Band scope: snsapi_login
}

type testEmulator struct {
	*httptest.Server
	e *emulator.Emulator
}

func startEmulator(t wechat.AppType) (*testEmulator, emulator.App, string) {
	e, _ := emulator.New(emulator.Options{})
	srv := httptest.NewServer(e)
	app, _ := e.CreateApp(emulator.AppSpec{Type: t, Name: "demo", CallbackDomain: "127.0.0.1:8080"})
	user, _ := e.CreateUser(emulator.UserSpec{Nickname: "Band"})
	return &testEmulator{srv, e}, app, user
}
