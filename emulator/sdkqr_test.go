package emulator_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/wxgate/wxgate/wechat"
)

func TestSDKTicketAndQRConnect(t *testing.T) {
	v := newEnv(t)
	mobile := v.app(wechat.AppTypeMobile, "")
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	ctx := context.Background()
	wc := v.client(mobile)
	// Mobile apps may fetch an access token (for this flow).
	tok := v.appToken(mobile)
	t1, err := wc.GetSDKTicket(ctx, tok)
	if err != nil || t1.ExpiresIn != 7200 {
		t.Fatalf("getticket: %+v %v", t1, err)
	}
	t2, _ := wc.GetSDKTicket(ctx, tok)
	if !t1.Ticket.Equal(t2.Ticket) {
		t.Error("a second getticket within the ticket's life gave another ticket")
	}
	wantCode(t, v.get("/cgi-bin/ticket/getticket", url.Values{"access_token": {tok.Reveal()}, "type": {"jsapi"}}), "40097")
	wantCode(t, v.get("/cgi-bin/ticket/getticket", url.Values{"access_token": {v.appToken(oa).Reveal()}, "type": {"2"}}), "48001")
	wantCode(t, v.get("/cgi-bin/ticket/getticket", url.Values{"type": {"2"}}), "41001")

	q := url.Values{"appid": {mobile.AppID}, "noncestr": {"abc"}, "timestamp": {"1700000000"}, "scope": {"snsapi_userinfo"}}
	q.Set("signature", wechat.SDKSignature(mobile.AppID, "abc", t1.Ticket.Reveal(), "1700000000"))
	m := v.get("/connect/sdk/qrconnect", q)
	wantNumber(t, m, "errcode", 0)
	if str(m, "uuid") == "" {
		t.Fatalf("no uuid: %v", m)
	}
	for _, tc := range []struct {
		key, value, code string
	}{
		{"signature", wechat.SDKSignature(mobile.AppID, "abc", "other", "1700000000"), "87009"},
		{"noncestr", "abd", "87009"},
		{"appid", oa.AppID, "40013"},
		{"appid", "", "41002"},
		{"timestamp", "x", "47001"},
		{"scope", "snsapi_base", "40117"},
	} {
		bad := url.Values{}
		for k, vs := range q {
			bad[k] = vs
		}
		bad.Set(tc.key, tc.value)
		wantCode(t, v.get("/connect/sdk/qrconnect", bad), tc.code)
	}
	// After the ticket's two hours, a signature of it is refused.
	v.e.Advance(7201e9)
	wantCode(t, v.get("/connect/sdk/qrconnect", q), "87009")
}
