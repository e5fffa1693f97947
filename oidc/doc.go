// Package oidc is wxgate's OpenID Connect provider: it puts every WeChat
// login behind standard OpenID Connect (authorization code flow with PKCE,
// discovery, JWKS, userinfo, refresh, revocation, introspection and
// RP-initiated logout), so that Grafana, GitLab, Argo CD, oauth2-proxy,
// Kubernetes and any other OpenID client log people in with WeChat without
// ever seeing an openid, a unionid, an AppSecret or a session_key.
//
// The protocol is the OpenID-certified github.com/zitadel/oidc/v3 (its op
// package) and JOSE is github.com/go-jose/go-jose/v4: nothing here signs
// or parses a JWT by hand. This package supplies what the library asks of
// a provider's storage: clients from the configuration, auth requests,
// codes and tokens in the gateway's shared cache (so any instance serves
// any step), signing keys sealed with the gateway's keyring, and claims
// from the gateway's users.
//
// The gateway is the login page: /oauth2/authorize without a wxgate
// session sends the browser into the gateway's WeChat login with a
// return_to that resumes the request; with a session it completes at once
// (single sign-on across clients). The package does not import the
// gateway: it uses it through Host, which *gateway.Server implements.
package oidc
