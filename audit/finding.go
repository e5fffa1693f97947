package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Kind names what a finding is. Scan reports the first seven; the active
// audit reports leaks with the same kinds and its attacks with the last
// four.
type Kind string

// The kinds of findings.
const (
	// KindAppSecret is an AppSecret (32 hex digits) next to an appid or
	// under a secret-like name, in code, configuration, URLs or traffic.
	KindAppSecret Kind = "appsecret"
	// KindSessionKey is a session_key: a 24-character base64 key under a
	// session-key-like name, a relayed jscode2session answer, or (in a HAR
	// capture or an audit) a value WeChat issued as a session_key, under any
	// name and in any encoding; also client-side code handling one.
	KindSessionKey Kind = "session_key"
	// KindAccessToken is a WeChat access token in client-side code, traffic
	// or logs.
	KindAccessToken Kind = "access_token"
	// KindClientWeChatAPI is client-side code or traffic calling an
	// api.weixin.qq.com endpoint that needs the AppSecret or an access token.
	KindClientWeChatAPI Kind = "client_wechat_api"
	// KindClientDecrypt is client-side decryption of encryptedData.
	KindClientDecrypt Kind = "client_decrypt"
	// KindCode2SessionPassthrough is backend code that returns the
	// jscode2session answer to the client as a whole.
	KindCode2SessionPassthrough Kind = "code2session_passthrough"
	// KindSecretLogged is backend code writing the AppSecret to a log or
	// standard output: a URL, request or value built from the secret
	// (a literal or configuration) reaching a log or print call.
	KindSecretLogged Kind = "secret_logged"

	// KindCallbackWithoutState: the login callback logged a browser in
	// with no state at all.
	KindCallbackWithoutState Kind = "callback_without_state"
	// KindForeignState: the login callback logged a browser in with a state
	// issued to another browser (login CSRF).
	KindForeignState Kind = "foreign_state"
	// KindCodeReplay: a login code already exchanged logged a browser in
	// again.
	KindCodeReplay Kind = "code_replay"
	// KindOpenRedirect: after login the backend sent the browser to a site
	// named in a request parameter.
	KindOpenRedirect Kind = "open_redirect"
)

// ScanKinds are the kinds the static scanner reports.
var ScanKinds = []Kind{KindAppSecret, KindSessionKey, KindAccessToken, KindClientWeChatAPI, KindClientDecrypt, KindCode2SessionPassthrough, KindSecretLogged}

// AuditKinds are the kinds only the active audit reports.
var AuditKinds = []Kind{KindCallbackWithoutState, KindForeignState, KindCodeReplay, KindOpenRedirect}

// Finding is one problem found. It never holds a full secret in an
// exported field: Excerpt is redacted and Fingerprint is a hash.
type Finding struct {
	Kind Kind `json:"kind"`
	// File is the path as scanned ("-" for standard input), or for the
	// active audit the request that showed the problem ("POST /api/login").
	File string `json:"file"`
	// Line is 1-based; in a HAR capture, the line of the field that holds
	// the leak.
	Line    int    `json:"line"`
	Message string `json:"message"`
	Excerpt string `json:"excerpt"`
	// Fingerprint identifies the finding for a baseline. It hashes the
	// kind, the file and the leaked value (or the normalized source line),
	// not the line number, so it survives edits elsewhere in the file.
	Fingerprint string `json:"fingerprint"`
	// Verified is set by --verify for AppSecrets: "valid", "invalid", or
	// "unverified: why".
	Verified string `json:"verified,omitempty"`

	value string // the secret, for fingerprints, --verify and self-checks
	appID string // an appid seen next to an AppSecret
	prio  int    // among duplicates on one line, the lower wins
}

// Fix returns what to do about findings of kind k, after the platform's
// own guidance (seeds 000, 001 and 003 of docs/audit.md).
func (k Kind) Fix() string {
	return fixes[k]
}

var fixes = map[Kind]string{
	KindAppSecret: "Remove the AppSecret from here and reset it now (mp.weixin.qq.com: 开发 - 开发管理 - 开发设置 - AppSecret 重置): " +
		"a leaked secret stays valid until it is reset. Keep it on the server only (an environment variable or a secret file), " +
		"never in client code, responses, URLs or logs, and update the backend after the reset.",
	KindSessionKey: "The session_key must never leave the server; renaming the field does not fix it. " +
		"Return your own opaque session token (and the openid only if the client really needs it), " +
		"and decrypt encryptedData on the server with the session_key it keeps.",
	KindAccessToken: "Access tokens belong on the server: fetch them in one place (stable_token), call WeChat's APIs from the backend, " +
		"and never hand a token to a client or write it to a log.",
	KindClientWeChatAPI: "Call api.weixin.qq.com from your backend only: these endpoints need the AppSecret or an access token, " +
		"which the client must never hold. Send wx.login's code to your server and exchange it there.",
	KindClientDecrypt: "Send encryptedData and iv to your server and decrypt them there with the session_key it keeps " +
		"(or use the phone-number code with getuserphonenumber on the server); the client must never hold the session_key.",
	KindCode2SessionPassthrough: "Do not return jscode2session's answer: take the openid (and unionid) from it on the server, " +
		"keep the session_key there, and return your own session token. Never put the session_key into a token, claims or a cookie " +
		"the client holds: a signed JWT is readable by anyone who has it.",
	KindSecretLogged: "Do not log URLs or requests that carry the AppSecret: log the endpoint and the errcode instead. " +
		"Logs are read by more people and systems than the secret should be; if such logs exist, reset the AppSecret " +
		"(mp.weixin.qq.com: 开发 - 开发管理 - 开发设置 - AppSecret 重置) and purge them.",
	KindCallbackWithoutState: "Generate a random state for every login, bind it to the browser (a cookie), and refuse a callback without it.",
	KindForeignState: "Check that the callback's state is the one this browser was given; a state issued to another browser is a login CSRF. " +
		"Refuse it and log nobody in.",
	KindCodeReplay: "Exchange each code with WeChat exactly once, and never log a browser in from a cached outcome of an earlier code.",
	KindOpenRedirect: "Send browsers after login only to same-site relative paths or allow-listed origins; " +
		"refuse scheme-relative (//host), backslash and absolute URLs to other sites.",
}

// Redact shows the first four characters of a secret and its length
// ("3f2a…(32)"); secrets under 12 characters show none of it.
func Redact(v string) string {
	n := utf8.RuneCountInString(v)
	if n < 12 {
		return fmt.Sprintf("…(%d)", n)
	}
	r := []rune(v)
	return string(r[:4]) + fmt.Sprintf("…(%d)", n)
}

// fingerprint hashes the kind, the file and what identifies the finding.
func fingerprint(k Kind, file, what string) string {
	h := sha256.New()
	fmt.Fprintf(h, "wxgate-audit-v1\x00%s\x00%s\x00", k, file)
	if what != "" {
		s := sha256.Sum256([]byte(what))
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// finalize fills fingerprints, drops duplicates (same file, line and
// kind: the most specific message wins) and sorts by file, line and kind.
func finalize(fs []Finding) []Finding {
	for i := range fs {
		f := &fs[i]
		if f.Fingerprint == "" {
			what := f.value
			if what == "" {
				what = normalizeSpace(f.Excerpt)
			}
			f.Fingerprint = fingerprint(f.Kind, f.File, what)
		}
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.prio, b.prio))
	})
	return slices.CompactFunc(fs, func(a, b Finding) bool {
		return a.File == b.File && a.Line == b.Line && a.Kind == b.Kind
	})
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
