// Package seal encrypts values at rest under a keyring and computes keyed
// blind indexes for looking them up.
//
// wxgate never stores an openid, unionid, phone number, session_key or WeChat
// user token in plain text. Each is sealed with AES-256-GCM under the
// keyring's active key, and bound by additional authenticated data (AAD) to
// the place it is stored, for example "identity/42/openid": a blob copied to
// another row or column no longer opens. Rows are found by a blind index,
// an HMAC-SHA256 of the value under a separate index key, never by the
// plaintext.
//
// # Keyring
//
// A Keyring holds one or more AES-256 keys, each with a key id and a creation
// time, exactly one of which is active, plus one HMAC-SHA256 index key. Seal
// always uses the active key; Open uses whichever key the blob names, so
// values sealed before a rotation still open. Rotated adds a fresh key and
// makes it active; a re-seal job then opens every stored blob whose SealedWith
// is not the ActiveKeyID and seals it again, after which Retire drops the old
// key. A Keyring is immutable: Rotated and Retire return a new one, so a
// server can swap keyrings while other goroutines keep using the old value.
//
// The index key never rotates. A blind index is a look-up key, not a
// ciphertext: it is stored in an indexed column and recomputed from the
// plaintext of every incoming request. Replacing the index key would break
// every look-up until each stored index had been recomputed, which needs the
// plaintext of every row, all at once, with no way to serve requests under
// two index keys in the meantime. Confidentiality does not need it either:
// the index key only ever produces HMAC outputs and is never used to encrypt.
//
// A Keyring never prints or marshals its keys: fmt and encoding/json show
// only the key ids.
//
// # Sealed format
//
// A sealed blob is 33 bytes longer than its plaintext:
//
//	+---------+----------+----------+--------------------------------+
//	| version |  key id  |  nonce   | ciphertext || GCM tag          |
//	| 1 byte  | 4 bytes  | 12 bytes | len(plaintext) + 16 bytes      |
//	+---------+----------+----------+--------------------------------+
//
// The version is 0x01. The key id names the AES-256 key, in binary (its text
// form is 8 lowercase hex digits, as in the key file). The nonce is 96 random
// bits from crypto/rand, fresh for every Seal. The GCM additional data is
// version || key id || aad, so the header cannot be altered either. Open
// fails with the single error ErrOpen whatever went wrong: a short blob, an
// unknown version or key id, a wrong aad or any altered byte.
//
// With random nonces one key must not seal more than 2^32 values; rotate
// long before that (wxgate seals a few values per login).
//
// # Blind index
//
// Index(domain, parts...) is HMAC-SHA256(index key, msg), 32 bytes, where msg
// is the domain followed by each part, each preceded by its length in bytes
// as an 8-byte big-endian integer:
//
//	msg = len(domain) || domain || len(part1) || part1 || ...
//
// The length prefixes make the encoding injective: ("ab", "c") and
// ("a", "bc") give different messages. The domain separates indexes of
// different kinds ("openid" and "phone" indexes of the same string differ).
// Index does not normalise anything: callers bring values into one canonical
// form first (for example E.164 for phone numbers).
//
// # Key file
//
// Parse, Load, Marshal and WriteFile use a JSON file, mode 0600:
//
//	{
//	  "version": 1,
//	  "active": "9c1f04ab",
//	  "index_key": "<base64 of 32 bytes>",
//	  "keys": [
//	    {"id": "31d0e277", "created": "2025-01-02T03:04:05Z", "key": "<base64 of 32 bytes>"},
//	    {"id": "9c1f04ab", "created": "2026-01-02T03:04:05Z", "key": "<base64 of 32 bytes>"}
//	  ]
//	}
//
// Parse is strict: version 1, standard padded base64, 32-byte keys, ids of 8
// lowercase hex digits, unique ids and key material, an active id that is
// present, RFC 3339 creation times; unknown, duplicate or differently cased
// fields are refused, as is anything after the object. Its errors name fields
// and key ids but never echo key material.
package seal
