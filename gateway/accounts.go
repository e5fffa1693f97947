package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wxgate/wxgate/admin"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// ResealPhone is the storage.PhoneResealer of this gateway's keyring: a
// sealed phone is bound to its user's id, so one moving with a merge is
// opened for the user it came from and sealed again for the user it joins.
func (s *Server) ResealPhone(sealed []byte, fromUserID, intoUserID string) ([]byte, error) {
	p, err := s.open(fieldPhone, []byte(fromUserID), sealed)
	if err != nil {
		return nil, err
	}
	return s.seal(fieldPhone, []byte(intoUserID), p)
}

// adminHandler is the administration API (package admin) over this
// gateway's store and keyring.
func (s *Server) adminHandler() http.Handler {
	o := admin.Options{
		Store:       s.store,
		RevealIDs:   s.cfg.Admin.RevealIDs,
		Open:        s.open,
		ResealPhone: s.ResealPhone,
		OnMerge:     s.notifyMerge,
		Now:         s.now,
		Log:         s.log,
		App: func(appID string) (string, string, bool) {
			a, ok := s.apps.byAppID[appID]
			if !ok {
				return "", "", false
			}
			return a.Name(), string(a.Type()), true
		},
	}
	if _, configured, _ := s.cfg.AdminAPIKey(s.lookupEnv); configured {
		o.Key = func() (string, error) {
			k, _, err := s.cfg.AdminAPIKey(s.lookupEnv)
			return k, err
		}
	}
	return admin.New(o)
}

// notifyMerge tells the relying parties of a merge (accounts.webhook_url).
func (s *Server) notifyMerge(from, into string) {
	if s.webhook != nil {
		s.webhook.Send("user.merged", map[string]string{"from": from, "into": into})
	}
}

// newWebhook is the webhook of accounts.webhook_url, nil when unset.
func (s *Server) newWebhook() *admin.Webhook {
	if s.cfg.Accounts.WebhookURL == "" {
		return nil
	}
	return &admin.Webhook{
		URL:    s.cfg.Accounts.WebhookURL,
		Secret: func() (string, error) { return s.cfg.WebhookSecret(s.lookupEnv) },
		Log:    s.log,
		Now:    s.now,
	}
}

// webhook is the account-events webhook (package admin).
type webhook = admin.Webhook

// Errors of account policy (see errors.go).
var (
	errAccountBlocked = defineError(http.StatusForbidden, "account_blocked", "this account is blocked by the site's operator; contact them to have it unblocked")
	errSignupClosed   = defineError(http.StatusForbidden, "signup_closed", "this site takes no new accounts now; ask its operator for an invitation")
)

// accountFailure is the client's answer to a login the account rules
// refused, or storageFailure's.
func accountFailure(err error) error {
	switch {
	case errors.Is(err, storage.ErrBlocked):
		return errAccountBlocked.Because(err)
	case errors.Is(err, storage.ErrNoSignup):
		return errSignupClosed.Because(err)
	}
	return storageFailure(err)
}

// OpenSealedField opens a sealed field the gateway stored ("openid",
// "unionid", "phone", ...) with keyring kr, for tools that read the store
// without a running gateway (wxgate users).
func OpenSealedField(kr *seal.Keyring) func(field string, rowKey, sealed []byte) (string, error) {
	return func(field string, rowKey, sealed []byte) (string, error) {
		if len(sealed) == 0 {
			return "", nil
		}
		p, err := kr.Open(sealed, aad(field, rowKey))
		if err != nil {
			return "", fmt.Errorf("gateway: opening sealed %s: %w", field, err)
		}
		return string(p), nil
	}
}

// PhoneResealer is Server.ResealPhone with keyring kr.
func PhoneResealer(kr *seal.Keyring) storage.PhoneResealer {
	open := OpenSealedField(kr)
	return func(sealed []byte, fromUserID, intoUserID string) ([]byte, error) {
		p, err := open(fieldPhone, []byte(fromUserID), sealed)
		if err != nil {
			return nil, err
		}
		return kr.Seal([]byte(p), aad(fieldPhone, []byte(intoUserID)))
	}
}
