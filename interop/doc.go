// Package interop proves wxgate's OpenID provider with real, unmodified
// relying parties (oauth2-proxy in Chromium, openid-client in Node) and
// measures it side by side with Ory Hydra. It holds tests and benchmarks
// only; docs/oidc.md says what they cover and how to run them.
package interop
