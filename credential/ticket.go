package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// SDK tickets (cgi-bin/ticket/getticket?type=2) of mobile apps, for the
// OpenSDK's QR login: cached in the shared KV (sealed, like the tokens)
// until RefreshBefore their expiry, fetched with the app's access token.
// Several instances may fetch at the same moment: tickets, unlike
// classic tokens, do not invalidate each other while they live.

func (m *Manager) ticketKey(appID string) string { return "wxgate:sdkticket:" + appID }

// SDKTicket returns a valid sdk_ticket for a mobile app.
func (m *Manager) SDKTicket(ctx context.Context, appID string) (wechat.Token, error) {
	key := m.ticketKey(appID)
	now := m.opt.Now()
	if b, err := m.opt.KV.Get(ctx, key); err == nil {
		if m.opt.Sealer != nil {
			b, err = m.opt.Sealer.Open(b, []byte(key))
		}
		var c cached
		if err == nil && json.Unmarshal(b, &c) == nil && c.Token != "" && now.Before(c.ExpiresAt.Add(-m.opt.RefreshBefore)) {
			return wechat.NewToken(c.Token), nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return wechat.Token{}, fmt.Errorf("credential: reading the ticket cache: %w", err)
	}
	client, err := m.opt.Clients(appID)
	if err != nil {
		return wechat.Token{}, err
	}
	var t *wechat.SDKTicket
	err = m.Do(ctx, appID, func(tok wechat.Token) error {
		var err error
		t, err = client.GetSDKTicket(ctx, tok)
		return err
	})
	if err != nil {
		return wechat.Token{}, err
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	c := cached{Token: t.Ticket.Reveal(), ExpiresAt: now.Add(life), FetchedAt: now}
	b, err := json.Marshal(c)
	if err == nil && m.opt.Sealer != nil {
		b, err = m.opt.Sealer.Seal(b, []byte(key))
	}
	if err == nil {
		err = m.opt.KV.Set(ctx, key, b, life)
	}
	if err != nil {
		m.opt.Logger.Warn("caching an sdk_ticket failed; it will be fetched again", "app", appID, "err", err)
	}
	m.opt.Logger.Info("fetched an sdk_ticket", "app", appID)
	return t.Ticket, nil
}
