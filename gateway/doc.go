// Package gateway is wxgate's relying party: the HTTP service that runs
// WeChat logins (mini-program, mobile app, website QR, official account)
// the way WeChat's security review expects, keeps every WeChat secret on the
// server, and hands clients nothing but an opaque session token.
package gateway
