// Package logging redacts wxgate's structured logs: a log/slog handler
// that removes secrets from every record before the real handler writes
// it, so that no AppSecret, session_key, code, token or plain openid ever
// reaches a log file, even through an error text that embeds a URL.
//
//	log := logging.New(os.Stderr, "json", slog.LevelDebug, logging.Options{
//		Secrets: func() []string { return appSecrets }, // exact values to remove anywhere
//	})
//
// # Rules
//
// By attribute key, case-insensitively and ignoring "_", "-", "." and
// spaces (so session_key, sessionKey and Session-Key are one key), inside
// groups too, whatever the value's kind:
//
//   - secret, appsecret, session_key, token, access_token, refresh_token,
//     code, js_code, password, authorization, cookie, state,
//     encrypted_data, iv, signature, nonce, key, signing_key, ticket and
//     the like, and keys ending in secret, token, password, session_key,
//     signature, cookie, api_key, ...: the value becomes "[redacted]". A
//     group with such a name is redacted whole. ("errcode" and "key_id"
//     are not secrets: "code" and "key" count only as whole keys.)
//   - keys ending in openid, unionid, phone or phone_number: the value
//     becomes a short keyed hash, "oid:3f9a1c02be", "unid:…" or "tel:…"
//     (HMAC-SHA256 under Options.HashKey, 10 hex digits), so that lines
//     about one person can be correlated without the identifier.
//
// In every string (the message, string values, error texts, the text or
// JSON of other values, even keys):
//
//   - values of secret-named parameters in key=value text and URLs
//     ("secret=", "js_code=", "code=", "access_token=", "state=", ...),
//     also with the "=" percent-encoded once or more (a URL inside a
//     query parameter): "secret=[redacted]". This scrubs the texts of
//     Go's *url.Error, which quote the whole URL of a failed request:
//     Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=[redacted]&js_code=[redacted]&grant_type=authorization_code": dial tcp: ...
//     Identifier parameters ("openid=") get the short hash.
//   - values of secret-named fields in JSON-like fragments,
//     "session_key":"[redacted]", with single or double quotes, also
//     backslash-escaped inside a quoted string.
//   - Bearer tokens ("Bearer [redacted]") and wxgate session tokens
//     ("wxgs_[redacted]").
//   - the exact values Options.Secrets returns, and their URL-encoded
//     forms.
//
// Values of slog.Any are resolved (LogValuer), then errors, byte slices,
// TextMarshalers and Stringers are redacted as text; anything else is
// encoded as JSON, redacted as above and handed on as JSON, so that struct
// fields named like secrets are redacted too.
//
// Strings are scanned only when they hold '=', a quote, '%' or a token
// prefix; the patterns are matched by a hand-written scanner, not regular
// expressions, and nothing is allocated unless something is replaced.
package logging
