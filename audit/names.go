package audit

import (
	"strings"
)

// nameTokens splits a name as written in code, configs or URLs
// ("wechat.miniapp.secret", "WX_APP_SECRET", "mpAppSecret", "appsecret")
// into lower-case words, splitting a trailing "secret", "id" or "key" off a
// longer word ("appsecret" → "app", "secret").
func nameTokens(name string) []string {
	var words []string
	cur := []byte{}
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !classAlnum[c] {
			flush()
			continue
		}
		if c >= 'A' && c <= 'Z' && len(cur) > 0 {
			prev := cur[len(cur)-1]
			nextLower := i+1 < len(name) && name[i+1] >= 'a' && name[i+1] <= 'z'
			if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' || (prev >= 'A' && prev <= 'Z' && nextLower) {
				flush()
			}
		}
		cur = append(cur, c)
	}
	flush()
	var out []string
	for _, w := range words {
		for _, suf := range []string{"secret", "key", "id", "token"} {
			if len(w) > len(suf) && strings.HasSuffix(w, suf) {
				out = append(out, w[:len(w)-len(suf)])
				w = suf
				break
			}
		}
		out = append(out, w)
	}
	return out
}

// wechatWords are name parts that place a secret in a WeChat context.
var wechatWords = map[string]bool{
	"app": true, "wx": true, "wechat": true, "weixin": true, "mp": true, "mini": true, "miniapp": true,
	"miniprogram": true, "program": true, "xcx": true, "applet": true, "wxapp": true, "wxmp": true, "wxa": true,
	"weapp": true, "oa": true, "gzh": true, "open": true, "web": true, "website": true, "official": true,
	"account": true, "mobile": true, "config": true, "conf": true, "settings": true, "cfg": true,
}

// notSecretWords mark names of things derived from or describing a
// secret rather than the secret itself.
var notSecretWords = map[string]bool{
	"md5": true, "sha1": true, "sha256": true, "hash": true, "hashed": true, "digest": true, "sign": true,
	"signature": true, "fingerprint": true, "checksum": true, "name": true, "ref": true, "path": true,
	"file": true, "env": true, "id": true, "type": true, "len": true, "length": true, "version": true,
	"arn": true, "manager": true, "store": true,
}

// foreignSecretWords mark secrets of other systems: 32 hex digits under
// these names are not WeChat's, even next to an appid.
var foreignSecretWords = map[string]bool{
	"jwt": true, "session": true, "cookie": true, "csrf": true, "django": true, "flask": true, "rails": true,
	"aws": true, "oss": true, "cos": true, "qiniu": true, "stripe": true, "github": true, "gitlab": true,
	"google": true, "alipay": true, "encryption": true, "signing": true, "hmac": true, "db": true,
	"database": true, "redis": true, "mysql": true, "smtp": true, "mail": true, "captcha": true,
	"recaptcha": true, "sentry": true, "webhook": true, "base": true,
}

// secretName classifies a name: 2 when it names a WeChat AppSecret on its
// own ("secret", "appSecret", "WX_APP_SECRET", "wechat.miniapp.secret"), 1
// when it names some secret ("client_secret", "wx_secret_value") and needs
// an appid nearby to count, 0 otherwise (including the secrets of other
// systems: "jwt_secret", "SESSION_SECRET", a framework's "SECRET_KEY").
func secretName(name string) int {
	toks := nameTokens(name)
	at := -1
	for i, t := range toks {
		if notSecretWords[t] || foreignSecretWords[t] {
			return 0
		}
		if t == "secret" {
			at = i
		}
	}
	if at < 0 || len(toks) == 2 && at == 0 && toks[1] == "key" {
		return 0
	}
	if at != len(toks)-1 {
		return 1
	}
	for _, t := range toks[:at] {
		if !wechatWords[t] {
			return 1
		}
	}
	return 2
}

// appKeyName reports names some developers give the AppSecret ("appKey",
// "app_key"); they count only next to an appid.
func appKeyName(name string) bool {
	toks := nameTokens(name)
	return len(toks) >= 2 && toks[len(toks)-1] == "key" && toks[len(toks)-2] == "app"
}

func squash(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		}
	}
	return string(b)
}

// sessionKeyName reports names of a session_key: session_key, sessionKey,
// SESSION-KEY, data.session_key, sk, skey, wx_sk.
func sessionKeyName(name string) bool {
	s := squash(name)
	if strings.Contains(s, "sessionkey") || strings.Contains(s, "sesskey") {
		return true
	}
	toks := nameTokens(name)
	if len(toks) == 0 {
		return false
	}
	last := toks[len(toks)-1]
	return last == "sk" || last == "skey" || last == "key" && len(toks) >= 2 && toks[len(toks)-2] == "s"
}

// ivLikeName reports names of values shaped like a session_key that are
// not one: an AES iv, nonces, salts, hashes.
func ivLikeName(name string) bool {
	for _, t := range nameTokens(name) {
		switch t {
		case "iv", "ivs", "nonce", "salt", "signature", "sign", "hash", "md5", "digest", "checksum", "etag", "mac", "tag", "vector", "sha1", "sha256", "integrity", "csrf":
			return true
		}
	}
	return false
}

// publicExamples are values WeChat publishes in its documentation and
// samples (see shared/test-vectors.md): known to everyone, never reported.
var publicExamples = map[string]bool{
	"tiihtNczf5v6AKRyjwEUhQ==": true, // decryption sample session_key
	"tiihtNczf5v6AKRyjwEUhA==": true, // its negative variant
	"HyVFkGl5F5OQWJZZaNzBBg==": true, // rawData signature sample
	"o0q0otL8aEzpcZL/FT9WsQ==": true, // checksession signature sample
	"r7BXXKkLb8qrSNn05n0qiA==": true, // decryption sample iv
}

// placeholderHex reports 32-hex values that are documentation, not
// secrets: few distinct digits, or counting runs.
func placeholderHex(v string) bool {
	if distinct(strings.ToLower(v)) < 8 {
		return true
	}
	l := strings.ToLower(v)
	// Counting runs, also with every digit doubled (00112233...).
	squeezed := []byte{l[0]}
	for i := 1; i < len(l); i++ {
		if l[i] != l[i-1] {
			squeezed = append(squeezed, l[i])
		}
	}
	for _, s := range []string{l, string(squeezed)} {
		for _, run := range []string{"0123456789", "123456789a", "abcdef0123", "fedcba9876", "9876543210", "1234567890", "6789abcdef"} {
			if strings.Contains(s, run) {
				return true
			}
		}
	}
	return false
}

// placeholderWord reports values such as YOUR_APPSECRET, xxxxxxxx, ${SECRET}
// and <secret>.
func placeholderWord(v string) bool {
	if v == "" {
		return true
	}
	l := strings.ToLower(v)
	if strings.ContainsAny(v, "${}<>*") || strings.Contains(l, "your") || strings.Contains(l, "xxxx") || strings.Contains(l, "example") {
		return true
	}
	upperOnly := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			upperOnly = false
			break
		}
	}
	return upperOnly || distinct(l) < 6
}
