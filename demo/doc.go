// Package demo runs wxgate's one-command demo (`wxgate demo`): the WeChat
// emulator with a website app, an official account, a mini-program and a
// mobile app under one open account plus a few users, the gateway on SQLite
// in a data folder, and a small demo site ("Log in with WeChat", a profile
// page, linked accounts, logout) on the gateway's own origin.
//
// The demo site is also an example of a Go service behind the gateway: its
// profile page is guarded by session.Verifier, the in-process session
// middleware, and reads the user through the gateway's /auth/me.
package demo
