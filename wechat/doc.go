// Package wechat is a small, exact client for WeChat's login APIs (website
// QR login, official-account web auth, mini-program and mobile-app login,
// phone numbers, app access tokens) and the crypto of mini-program data.
//
// Secrets are typed: SessionKey, Secret and Token print and marshal as
// "[redacted]", so a stray log line cannot leak them. Every failure that
// WeChat (or anything answering for it) reports is an *Error; compare it
// with the sentinels using errors.Is. Decryption fails with the single
// opaque ErrDecrypt.
//
// A Client holds no mutable state and nothing is package-global: point two
// clients at two emulators in one process and they stay apart.
package wechat
