package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/wxgate/wxgate/config"

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

type invitationKey struct{}

// withInvitation carries a login's invitation code to the linking step.
func withInvitation(r *http.Request, code string) *http.Request {
	if code == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), invitationKey{}, code))
}

// maxInvitationsFile bounds accounts.invitation_codes_file.
const maxInvitationsFile = 1 << 20

// signupAllowed reports whether a login may create a user
// (accounts.signup): always when open, never when closed, and with an
// allowlist only for a login carrying one of the invitation codes of
// accounts.invitation_codes_file (one a line; re-read at each signup, so
// editing the file takes effect at once; compared in constant time).
func (s *Server) signupAllowed(ctx context.Context) bool {
	switch s.cfg.Accounts.Signup {
	case config.SignupClosed:
		return false
	case config.SignupAllowlist:
	default:
		return true
	}
	code, _ := ctx.Value(invitationKey{}).(string)
	if code == "" || len(code) > 256 {
		return false
	}
	f, err := os.Open(s.cfg.Accounts.InvitationCodesFile)
	if err != nil {
		s.log.Error("the invitation codes cannot be read; nobody can sign up until they can", "err", err)
		return false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInvitationsFile))
	if err != nil {
		s.log.Error("the invitation codes cannot be read; nobody can sign up until they can", "err", err)
		return false
	}
	got := sha256.Sum256([]byte(code))
	ok := 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want := sha256.Sum256([]byte(line))
		ok |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return ok == 1
}
