package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func TestFaultErrcodeCountAndQueue(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid := v.user()
	wc := v.client(mp)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.ctl.SetFault(ctx, emulator.Fault{Path: "/sns/jscode2session", ErrCode: -1, Count: 2}))
	must(v.ctl.SetFault(ctx, emulator.Fault{Path: "/sns/jscode2session", ErrCode: 40226, ErrMsg: "code blocked"}))
	must(v.ctl.SetFault(ctx, emulator.Fault{Path: "/cgi-bin/token", ErrCode: 45009}))
	login := func() string {
		c, err := v.e.MiniProgramLogin(mp.AppID, uid)
		must(err)
		return c
	}
	c := login()
	for _, want := range []int{-1, -1, 40226} {
		_, err := wc.Code2Session(ctx, c)
		wantWeChat(t, err, want)
		if want == -1 && !wechat.Temporary(err) {
			t.Fatal("-1 is temporary")
		}
	}
	// The faulted calls did not consume the code.
	if _, err := wc.Code2Session(ctx, c); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	_, err := wc.AccessToken(ctx)
	wantWeChat(t, err, 45009)
	st, err := v.ctl.Stats(ctx)
	must(err)
	if st.Calls["/sns/jscode2session"] != 4 || st.Calls["/cgi-bin/token"] != 1 || st.Calls["/sns/userinfo"] != 0 {
		t.Fatalf("calls %v", st.Calls)
	}
	if e := st.Errors["/sns/jscode2session"]; e[-1] != 2 || e[40226] != 1 || len(e) != 2 {
		t.Fatalf("errors %v", st.Errors)
	}
	must(v.ctl.ResetStats(ctx))
	if st, _ := v.ctl.Stats(ctx); st.Calls["/sns/jscode2session"] != 0 || len(st.Errors) != 0 {
		t.Fatalf("after reset: %+v", st)
	}
}

func TestFaultClear(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	ctx := context.Background()
	for _, p := range []string{"/cgi-bin/token", "/cgi-bin/stable_token", "/sns/oauth2/access_token"} {
		if err := v.ctl.SetFault(ctx, emulator.Fault{Path: p, ErrCode: -1, Count: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.e.Faults()); n != 3 {
		t.Fatalf("%d pending faults", n)
	}
	if err := v.ctl.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.client(mp).AccessToken(ctx); err != nil {
		t.Fatalf("after clear: %v", err)
	}
}

func TestFaultDelay(t *testing.T) {
	v := newEnv(t)
	mp := v.app(wechat.AppTypeMiniProgram, "")
	ctx := context.Background()
	if err := v.ctl.SetFault(ctx, emulator.Fault{Path: "/cgi-bin/token", DelayMS: 200}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := v.client(mp).AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("delay fault took %v", d)
	}
	// A delay with an errcode, cut short by the caller's context.
	if err := v.ctl.SetFault(ctx, emulator.Fault{Path: "/cgi-bin/token", DelayMS: 600000, ErrCode: -1}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := v.client(mp).AccessToken(short)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 30*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	// The fault was used up by the cancelled call.
	if _, err := v.client(mp).AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if st := v.e.Stats(); st.Calls["/cgi-bin/token"] != 3 {
		t.Fatalf("faulted calls count too: %v", st.Calls)
	}
}

func TestFaultValidation(t *testing.T) {
	v := newEnv(t)
	for _, f := range []emulator.Fault{
		{Path: "/nope", ErrCode: -1},
		{Path: "/connect/qrconnect", ErrCode: -1},
		{Path: "/cgi-bin/token"},
		{Path: "/cgi-bin/token", ErrCode: -1, Count: -2},
		{Path: "/cgi-bin/token", DelayMS: 600001},
	} {
		err := v.ctl.SetFault(context.Background(), f)
		var ce *emulator.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || ce.Code != "invalid_argument" {
			t.Fatalf("%+v: %v", f, err)
		}
	}
	if len(v.e.Faults()) != 0 {
		t.Fatal("a refused fault was queued")
	}
}

func TestStatsCountsPages(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	uuid := v.qrGrant(web, "https://example.com/", "s")
	v.page("/connect/qrcode/"+uuid, nil, "")
	v.page("/connect/oauth2/authorize", url.Values{}, "")
	st := v.e.Stats()
	if st.Calls["/connect/qrconnect"] != 1 || st.Calls["/connect/qrcode"] != 1 || st.Calls["/connect/oauth2/authorize"] != 1 {
		t.Fatalf("%v", st.Calls)
	}
}
