package gateway

import (
	"context"

	"rsc.io/qr"

	"github.com/wxgate/wxgate/wechat"
)

// Follow-the-account login. The browser shows the official account's
// temporary parametric QR code whose scene is the scan id. A follower who
// scans it makes WeChat push Event=SCAN (EventKey=<id>); someone who does
// not follow the account sees its profile and, if they follow it,
// Event=subscribe (EventKey=qrscene_<id>). The push (events.go's receiver)
// confirms the scan with the pushed openid; the waiting browser then logs
// in, the unionid read from cgi-bin/user/info.

// followCodeLife is the parametric code's life: the scan's.
const followCodeLife = int64(scanTTL / 1e9)

// followCode creates the parametric QR code of a scan and draws it (the
// code encodes the URL WeChat returns; drawing it here spares a fetch of
// showqrcode).
func (s *Server) followCode(ctx context.Context, a *app, id string) ([]byte, error) {
	var code *wechat.QRCode
	err := s.tokens.Do(ctx, a.AppID(), func(t wechat.Token) error {
		var err error
		code, err = a.Client().CreateQRCode(ctx, t, id, followCodeLife)
		return err
	})
	if err != nil {
		return nil, s.wechatFailure(a, "", err)
	}
	c, err := qr.Encode(code.URL, qr.M)
	if err != nil {
		return nil, errInternal.Because(err)
	}
	c.Scale = 6
	return c.PNG(), nil
}

// followerUnionID reads the unionid of an official account's user (empty
// when the account is in no open account).
func (s *Server) followerUnionID(ctx context.Context, a *app, openID string) (string, error) {
	var f *wechat.Follower
	err := s.tokens.Do(ctx, a.AppID(), func(t wechat.Token) error {
		var err error
		f, err = a.Client().FollowerInfo(ctx, t, openID)
		return err
	})
	if err != nil {
		return "", s.wechatFailure(a, "", err)
	}
	return f.UnionID, nil
}
