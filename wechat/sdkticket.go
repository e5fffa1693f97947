package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/url"
)

// The OpenSDK's QR login (mobile apps on TVs, desktops, kiosks): the app's
// server signs the SDK's request with the app's sdk_ticket, which must
// never leave the server.

// SDKTicket is an sdk_ticket (cgi-bin/ticket/getticket?type=2).
type SDKTicket struct {
	Ticket    Token
	ExpiresIn int64
}

type sdkTicketBody struct {
	Ticket    string  `json:"ticket"`
	ExpiresIn flexInt `json:"expires_in"`
}

func (b *sdkTicketBody) missing() string {
	if b.Ticket == "" {
		return "ticket"
	}
	return ""
}

// GetSDKTicket fetches the app's sdk_ticket with its access token.
func (c *Client) GetSDKTicket(ctx context.Context, accessToken Token) (*SDKTicket, error) {
	var b sdkTicketBody
	if err := c.get(ctx, "/cgi-bin/ticket/getticket", url.Values{"access_token": {accessToken.Reveal()}, "type": {"2"}}, &b); err != nil {
		return nil, err
	}
	return &SDKTicket{Ticket: NewToken(b.Ticket), ExpiresIn: int64(b.ExpiresIn)}, nil
}

// SDKSignature is the signature the OpenSDK's QR login sends:
// hex(sha1("appid=…&noncestr=…&sdk_ticket=…&timestamp=…")), keys in that
// order, values as they are.
func SDKSignature(appID, nonceStr, sdkTicket, timestamp string) string {
	h := sha1.Sum([]byte("appid=" + appID + "&noncestr=" + nonceStr + "&sdk_ticket=" + sdkTicket + "&timestamp=" + timestamp))
	return hex.EncodeToString(h[:])
}
