package oidc

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wxgate/wxgate/config"
)

// client is a configured relying party, as the op package sees it.
type client struct {
	cfg        *config.OIDCClient
	loginURL   string // the provider's login hand-off, without the id
	jwt        bool   // access tokens are RFC 9068 JWTs
	secretHash [sha256.Size]byte
}

func newClient(c *config.OIDCClient, issuer string, jwt bool) *client {
	cl := &client{cfg: c, loginURL: issuer + loginPath + "?id=", jwt: jwt}
	if !c.Public {
		cl.secretHash = sha256.Sum256([]byte(c.ClientSecret()))
	}
	return cl
}

// checkSecret compares a presented secret in constant time (hashes of
// equal length, so neither the length nor a prefix leaks).
func (c *client) checkSecret(secret string) bool {
	if c.cfg.Public || secret == "" {
		return false
	}
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(h[:], c.secretHash[:]) == 1
}

func (c *client) GetID() string                    { return c.cfg.ID }
func (c *client) RedirectURIs() []string           { return c.cfg.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.cfg.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	if c.cfg.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.cfg.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeCode}
	if slices.Contains(c.cfg.Scopes, oidc.ScopeOfflineAccess) {
		g = append(g, oidc.GrantTypeRefreshToken)
	}
	return g
}

func (c *client) LoginURL(id string) string { return c.loginURL + url.QueryEscape(id) }

func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwt {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *client) IDTokenLifetime() time.Duration { return time.Duration(c.cfg.IDTokenTTL) }

// DevMode lets the library accept http redirect URIs after their exact
// match: the configuration already refuses plain http outside loopback
// addresses and dev mode, so the scheme rule is enforced there.
func (c *client) DevMode() bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) IsScopeAllowed(scope string) bool { return slices.Contains(c.cfg.Scopes, scope) }

// IDTokenUserinfoClaimsAssertion puts the profile and phone claims in the
// id_token as well as at userinfo: Kubernetes, Argo CD and several proxies
// read them only from the id_token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) ClockSkew() time.Duration { return 0 }
