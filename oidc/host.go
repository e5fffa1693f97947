package oidc

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// Host is what the provider needs of the gateway it is mounted on.
// *gateway.Server implements it.
type Host interface {
	Config() *config.Config
	KV() storage.KV
	Keyring() *seal.Keyring
	Logger() *slog.Logger
	Now() time.Time
	// Handle serves a pattern behind the gateway's middleware.
	Handle(pattern string, h http.Handler)
	// BrowserSession returns the browser's live wxgate session, if any.
	BrowserSession(r *http.Request) (storage.Session, bool, error)
	// LoginMethod names the WeChat method a session logged in with.
	LoginMethod(sess storage.Session) string
	// AccountUser returns a user, the phone number and the unionid.
	AccountUser(ctx context.Context, userID string) (u storage.User, phone, unionID string, err error)
	// BrowserLoginURL starts a WeChat login that ends on returnTo.
	BrowserLoginURL(r *http.Request, returnTo string) string
	// EmbeddedLoginURL is an embeddable QR login ending on returnTo, or "".
	EmbeddedLoginURL(r *http.Request, returnTo string) string
	// EndBrowserSession revokes the browser's session and clears its cookie.
	EndBrowserSession(w http.ResponseWriter, r *http.Request)
}
