// Package signing signs and verifies API requests with a per-session key,
// so that a captured request cannot be replayed or altered (the
// replay-protected mode an app turns on with sign_requests: true).
//
// At login the gateway hands the client a fresh signing key (NewKey,
// KeyString): 32 random bytes that are not the WeChat session_key and
// never leave the server again. Every later request carries a timestamp, a
// nonce and an HMAC-SHA256 signature in three headers:
//
//	X-Wxgate-Timestamp: 1700000000
//	X-Wxgate-Nonce:     n0nce-0123456789ABCDEF
//	X-Wxgate-Signature: 5b4c…(64 hex digits)
//
// and the gateway refuses requests whose timestamp is further than the
// window (default five minutes) from its clock, whose signature does not
// match, or whose nonce the same key already used.
//
// # Canonical string
//
// The signature is the lower-case hex HMAC-SHA256, under the 32 key bytes
// (the base64url-decoded key string), of the canonical string: six lines
// joined by "\n" (a single line feed, no trailing one):
//
//	METHOD
//	PATH
//	QUERY
//	TIMESTAMP
//	NONCE
//	BODY_SHA256
//
// where:
//
//   - METHOD is the request method exactly as sent, e.g. "POST".
//   - PATH is the request path without the query, in normal form: the
//     path is split at "/", each segment is percent-decoded byte by byte
//     ("+" stays "+"), and every byte of the result is written as itself
//     if it is an RFC 3986 unreserved character (A-Z a-z 0-9 - . _ ~) and
//     as "%XX" with upper-case hex otherwise; the segments are joined with
//     "/" again, so "%2F" inside a segment stays "%2F". An empty path is
//     "/". Example: "/a%20b/%7e%2f+" becomes "/a%20b/~%2F%2B".
//   - QUERY is the query string (after "?", without any "#fragment") in
//     normal form: split at "&"; empty pieces dropped; each piece split at
//     its first "=" into name and value (no "=": the value is empty); in
//     both, "+" is first replaced by "%20" (a space, as HTML forms encode
//     it), then they are normalised like a path segment; the pairs are
//     sorted by name, then by value (byte order of the normalised
//     strings), written as name "=" value and joined with "&". Repeated
//     names are all kept. No query, or an empty one, is the empty line.
//     Example: "b=2&a=1&a=0&flag&q=x+y" becomes "a=0&a=1&b=2&flag=&q=x%20y".
//   - TIMESTAMP is the X-Wxgate-Timestamp header: Unix time in seconds,
//     decimal, without sign or leading zeros.
//   - NONCE is the X-Wxgate-Nonce header: 16 to 64 characters of
//     A-Z a-z 0-9 "-" "_", unique per key within twice the window.
//   - BODY_SHA256 is the lower-case hex SHA-256 of the exact body bytes
//     (for no body, of the empty string:
//     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855).
//
// A "%" not followed by two hex digits makes the request malformed. Each
// header appears exactly once; X-Wxgate-Signature is 64 hex digits (Verify
// accepts either case).
//
// docs/signing.md has a JavaScript client for mini-programs and
// known-answer vectors to check an implementation against.
//
// # Verification order
//
// Verify checks, cheapest first: the headers are present and well formed
// (ErrMissing, ErrMalformed), the timestamp is within the window
// (ErrStale), the signature matches in constant time (ErrBadSignature),
// and only then records the nonce (ErrReplayed), so that requests with a
// bad signature cannot use up a legitimate client's nonces. The nonce is
// kept in the KV for twice the window, under a hash of the key and the
// nonce: sessions never collide and the KV never sees either.
package signing
