package emulator_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// A mini-program login against an in-process emulator: wx.login gives a
// code, the server exchanges it with the wechat client and decrypts the
// user's profile with the session_key it got.
func Example() {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	app, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "Shop"})
	if err != nil {
		log.Fatal(err)
	}
	userID, err := e.CreateUser(emulator.UserSpec{Nickname: "Alice"})
	if err != nil {
		log.Fatal(err)
	}

	// In the mini-program: wx.login and wx.getUserInfo.
	code, err := e.MiniProgramLogin(app.AppID, userID)
	if err != nil {
		log.Fatal(err)
	}

	// On the server: the wechat client, pointed at the emulator.
	wc, err := wechat.New(wechat.Config{AppID: app.AppID, Secret: wechat.NewSecret(app.Secret), APIBase: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	sess, err := wc.Code2Session(context.Background(), code)
	if err != nil {
		log.Fatal(err)
	}
	id, _ := e.Identity(userID, app.AppID)
	fmt.Println("openid matches:", sess.OpenID == id.OpenID)

	payload, err := e.MiniProgramUserInfo(app.AppID, userID)
	if err != nil {
		log.Fatal(err)
	}
	data, err := wechat.DecryptData(sess.SessionKey, app.AppID, payload.EncryptedData, payload.IV)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("watermark appid matches:", data.Watermark.AppID == app.AppID)
	fmt.Println("rawData signed:", wechat.VerifyRawData(payload.RawData, payload.Signature, sess.SessionKey))
	// Output:
	// openid matches: true
	// watermark appid matches: true
	// rawData signed: true
}

// Driving an emulator that runs in another process (`wxgate emulator`)
// through its control API.
func ExampleClient() {
	e, _ := emulator.New(emulator.Options{})
	srv := httptest.NewServer(e) // stands in for http://127.0.0.1:9000
	defer srv.Close()

	ctx := context.Background()
	ctl := emulator.NewClient(srv.URL, nil)
	app, err := ctl.CreateApp(ctx, emulator.AppSpec{Type: wechat.AppTypeMobile, OpenAccount: "acme"})
	if err != nil {
		log.Fatal(err)
	}
	userID, _ := ctl.CreateUser(ctx, emulator.UserSpec{Nickname: "Bob"})
	auth, err := ctl.MobileAuthorize(ctx, app.AppID, userID, "xyz")
	if err != nil {
		log.Fatal(err)
	}
	wc, _ := wechat.New(wechat.Config{AppID: app.AppID, Secret: wechat.NewSecret(app.Secret), APIBase: srv.URL})
	tok, err := wc.ExchangeCode(ctx, auth.Code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(auth.State, tok.Scope, tok.UnionID != "")
	// Output: xyz snsapi_userinfo true
}
