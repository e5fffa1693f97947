// Package ratelimit limits how often a client IP or a user may call the
// gateway's costly endpoints (login, decryption, phone numbers), counting
// in the shared KV so that every instance sees the same counts.
//
// # Algorithm: fixed windows
//
// Each rule allows Limit requests per Window. Time is cut into windows
// aligned on the Unix epoch (every instance agrees on them), and each
// (rule, key, window) has one counter, increased with storage.KV.Incr: one
// atomic operation per check, exact under any concurrency, on one instance
// or on many sharing Redis. A request is allowed while the count, itself
// included, is at most Limit; refused requests count too, but cannot push
// the end of the window back, so Decision.RetryAfter is always the time
// left in the current window.
//
// Fixed windows allow a burst of up to 2×Limit around a window boundary
// (Limit at the end of one window, Limit at the start of the next); over
// any longer period the rate stays at Limit per Window, which is what
// matters against guessing and quota exhaustion. A sliding-window estimate
// would smooth the boundary at the price of a second KV read per request.
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
// answers 503. A limiter that let everything through while its store is
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
