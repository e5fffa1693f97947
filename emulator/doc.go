// Package emulator is a local, in-memory emulator of WeChat's login servers
// (open.weixin.qq.com and api.weixin.qq.com collapsed onto one base URL),
// wire-compatible with real SDKs, with a phone simulator for people, a
// virtual clock, fault injection and call statistics for tests.
//
// An Emulator is an http.Handler: serve it with net/http (the `wxgate
// emulator` command) or embed it in a test with httptest.NewServer. Its
// control API lives under /_emulator/ and is mirrored by in-process methods
// (CreateApp, CreateUser, Advance, ...) and by Client, a typed HTTP client
// for an emulator running in another process. docs/emulator.md describes
// every endpoint, behaviour option and assumption.
//
// All state is in memory and per Emulator: two emulators in one process
// share nothing.
package emulator
