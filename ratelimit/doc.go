// Package ratelimit limits how often a client IP or a user may call the
// gateway's costly endpoints (login, decryption, phone numbers), counting
// in the shared KV so that every instance sees the same counts.
//
// # Algorithm: sliding window counter
//
// Each rule allows Limit requests per Window. Time is cut into windows
// aligned on the Unix epoch (every instance agrees on them), and each
// (rule, key, window) has one counter, increased with storage.KV.Incr. A
// request is judged by an estimate of the requests of the last Window
// (Cloudflare's sliding-window counter): the current window's count plus
// the previous window's count weighted by the share of it the sliding
// window still covers. That is one Incr and one Get per check, on one
// instance or on many sharing Redis; it removes the 2×Limit burst that
// fixed windows allow around a boundary, assuming the previous window's
// requests were spread evenly. Allow counts every request, refused ones
// too; Peek judges without counting, for limits counted by outcome (the
// gateway checks failed and successful logins before a login and counts
// the outcome afterwards). Decision.RetryAfter is when one more request
// would fit.
//
// # Keys
//
// Limited keys (IP addresses, user ids) are never stored: the KV key is
// "ratelimit:" + rule + ":" + window number + ":" + an HMAC-SHA256 of rule
// and key under Options.Key, which every instance must share. IPv6 clients
// should be limited per /64 (AddrKey), as one subscriber holds a whole one.
//
// # Failure: closed
//
// When the KV fails, Allow refuses (Allowed false) and returns the error,
// which wraps storage.ErrUnavailable when the KV is down; the gateway
// answers 503. A rule with FailOpen allows instead (still returning the
// error): the gateway's success limit per address, whose refusal would
// lock out everyone behind a shared address while one cache shard is down. A limiter that let everything through while its store is
// down would switch itself off exactly when an attacker can make that
// happen, and a gateway without its KV cannot keep login state or nonces
// anyway.
//
// # Client addresses
//
// ClientIP finds the client's address behind trusted reverse proxies from
// X-Forwarded-For, walking it from the right, so that clients cannot pick
// their own address; see its documentation.
package ratelimit
