package audit

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// role is what a text is, which decides the rules that apply to it.
type role uint8

const (
	roleServer   role = iota // backend code and configuration
	roleClient               // mini-program and browser code, built bundles
	roleLog                  // logs and other captured text
	roleHAR                  // a part of a HAR capture (what a client saw)
	roleResponse             // what a backend under audit answered
)

func (r role) where() string {
	switch r {
	case roleClient:
		return "in client-side code"
	case roleLog:
		return "in a log"
	case roleHAR:
		return "in captured traffic"
	case roleResponse:
		return "in the backend's answer"
	}
	return "in backend code or configuration"
}

// hit is a rule's match in one text: the span it covers, and the secret
// value when there is one.
type hit struct {
	kind       Kind
	start, end int
	value      string
	appID      string
	msg        string
	prio       int
	redactAll  bool // the span shows only names (a secret split over a query)
}

// textScan runs the content rules over one text.
type textScan struct {
	data    []byte
	role    role
	needles []needle
	hits    []hit
	seen    map[[2]int]bool // (rule family, start) of the values already judged

	secretSeen bool // the text holds "ecret" or "ECRET" (for the logged-secret analysis)
}

func newTextScan(data []byte, r role, needles []needle) *textScan {
	return &textScan{data: data, role: r, needles: needles}
}

func (t *textScan) add(h hit) { t.hits = append(t.hits, h) }

// once reports whether the span starting at s was not judged yet by the
// rule family fam, and marks it.
func (t *textScan) once(fam, s int) bool {
	if t.seen == nil {
		t.seen = map[[2]int]bool{}
	}
	k := [2]int{fam, s}
	if t.seen[k] {
		return false
	}
	t.seen[k] = true
	return true
}

// run applies every rule that fits the text's role. An audited response
// is searched for exact values only.
func (t *textScan) run() []hit {
	if t.role == roleResponse {
		t.exactValues()
		return t.hits
	}
	t.appSecrets()
	t.sessionKeys()
	t.accessTokens()
	if t.role == roleClient {
		t.clientAPI()
		t.clientDecrypt()
		t.clientSessionKeyRefs()
	}
	t.exactValues()
	return t.hits
}

// ---- AppSecret ----

func (t *textScan) appSecrets() {
	d := t.data
	for _, pat := range []string{"ecret", "ECRET"} {
		eachIndex(d, pat, func(p int) {
			t.secretSeen = true
			// name = value, name: value, <name>value, 'name', 'value' ...
			if s, ok := valueStart(d, p, true); ok && hexRunAt(d, s, 32) {
				t.judgeHex(s)
			}
		})
	}
	eachIndex(d, "wx", func(p int) {
		if !isAppIDAt(d, p) {
			return
		}
		a, b := window(d, p-300, p+318)
		t.hexRuns(a, b, 32, func(s int) { t.judgeHex(s) })
	})
	// A secret under a misspelled or unusual name is found by its shape
	// near a WeChat API URL too ($sercet = '...'; ...jscode2session?...).
	eachIndex(d, "weixin.qq.com", func(p int) {
		a, b := window(d, p-600, p+300)
		t.hexRuns(a, b, 32, func(s int) { t.judgeHex(s) })
	})
}

// wechatNear reports a WeChat appid written out, or a WeChat API URL,
// near the value at s: what makes 32 hex digits under any name an
// AppSecret.
func wechatNear(d []byte, s int, appid string) bool {
	if appid != "" {
		return true
	}
	a, b := window(d, s-600, s+600)
	return bytes.Contains(d[a:b], []byte("weixin.qq.com"))
}

// notAppSecretWords mark names of 32-hex values that are not AppSecrets
// even next to an appid: hashes, nonces, signatures, ids, versions, other
// keys of WeChat Pay and message encryption.
var notAppSecretWords = map[string]bool{
	"md5": true, "sha": true, "sha1": true, "sha256": true, "hash": true, "hashed": true, "sign": true, "signature": true,
	"etag": true, "digest": true, "checksum": true, "sum": true, "commit": true, "nonce": true, "noncestr": true, "str": true,
	"uuid": true, "guid": true, "id": true, "request": true, "trace": true, "span": true, "seed": true, "salt": true,
	"iv": true, "version": true, "build": true, "cache": true, "template": true, "mch": true, "pay": true, "aes": true,
	"encoding": true, "token": true, "ticket": true, "openid": true, "unionid": true, "code": true, "state": true,
	"order": true, "trade": true, "transaction": true, "out": true, "file": true, "image": true, "media": true,
	"color": true, "session": true, "user": true, "uid": true, "device": true, "msg": true, "message": true,
}

// anyNameSecret: 32 hex digits under a name that says nothing against an
// AppSecret (mpKey, WX_APP_SECERT, appScrect), next to WeChat.
func anyNameSecret(name string) bool {
	for _, tk := range nameTokens(name) {
		// A name with "secret" in it was judged by secretName already
		// (Django's SECRET_KEY is not WeChat's).
		if tk == "secret" || notAppSecretWords[tk] || notSecretWords[tk] || foreignSecretWords[tk] {
			return false
		}
	}
	return true
}

// isAppIDAt reports whether an appid (wx + 16 hex digits, standing alone)
// starts at p.
func isAppIDAt(d []byte, p int) bool {
	if p+18 > len(d) || d[p] != 'w' || d[p+1] != 'x' || (p > 0 && classAlnum[d[p-1]]) {
		return false
	}
	for _, c := range d[p+2 : p+18] {
		if !classHex[c] {
			return false
		}
	}
	return p+18 == len(d) || !classAlnum[d[p+18]]
}

// hexRuns calls fn with the start of every run of exactly n hex digits in
// [a, b) that stands alone (no letter or digit on either side).
func (t *textScan) hexRuns(a, b, n int, fn func(int)) {
	d := t.data
	for i := a; i < b; {
		if !classHex[d[i]] {
			i++
			continue
		}
		j := i
		for j < len(d) && classHex[d[j]] {
			j++
		}
		if j-i == n && (i == 0 || !classAlnum[d[i-1]]) && (j == len(d) || !classAlnum[d[j]]) {
			fn(i)
		}
		i = j
	}
}

// judgeHex decides whether the 32 hex digits at s are an AppSecret.
func (t *textScan) judgeHex(s int) {
	if !t.once(0, s) {
		return
	}
	d := t.data
	v := string(d[s : s+32])
	if placeholderHex(v) || publicExamples[v] {
		return
	}
	k := keyBefore(d, s)
	appid, near := appIDNear(d, s-400, s+432)
	h := hit{kind: KindAppSecret, start: s, end: s + 32, value: v, appID: appid}
	switch {
	case k.found && k.op != ',':
		switch {
		case secretName(k.name) == 2:
			h.msg = fmt.Sprintf("AppSecret under %q %s", k.name, t.role.where())
		case secretName(k.name) == 1 && near:
			h.msg = fmt.Sprintf("secret %q next to an appid %s: a WeChat AppSecret", k.name, t.role.where())
		case appKeyName(k.name) && near:
			h.msg = fmt.Sprintf("AppSecret under %q next to an appid %s", k.name, t.role.where())
		case secretName(k.name) == 0 && anyNameSecret(k.name) && !hashWordBefore(d, s) && wechatNear(d, s, appid):
			h.msg = fmt.Sprintf("32 hex digits under %q next to a WeChat appid or API %s: an AppSecret, whatever its name", k.name, t.role.where())
		default:
			return
		}
	case k.found && (secretName(k.name) == 2 || (secretName(k.name) == 1 || appKeyName(k.name)) && near):
		// define('WX_SECRET', '...'), os.getenv("WX_SECRET", "..."), put("secret", "...")
		h.msg = fmt.Sprintf("AppSecret given as %q %s", k.name, t.role.where())
	default:
		// Positional: new Config("wx...", "..."), ['wx...', '...'].
		if !k.quoted || appid == "" || !appIDWithin(d, s-200, s+232) || hashWordBefore(d, s) {
			return
		}
		h.msg = "32-hex secret next to an appid " + t.role.where() + ": a WeChat AppSecret"
	}
	t.add(h)
}

// key is what keyBefore found in front of a value.
type key struct {
	name   string
	op     byte // '=', ':', '>', ',' ...
	quoted bool // the value itself is quoted
	found  bool
}

// keyBefore finds the name a value at s is assigned to: name = value,
// name: value, "name": "value", name => value, <name>value, name=value in
// a query, 'name', 'value' (with op ',').
func keyBefore(d []byte, s int) key {
	var k key
	i := s
	for n := 0; n < 4 && i > 0; n++ {
		c := d[i-1]
		if c == '"' || c == '\'' || c == '`' {
			k.quoted = true
			i--
		} else if c == '\\' {
			i--
		} else {
			break
		}
	}
	i = skipSpaceBack(d, i, 8)
	if i == 0 {
		return k
	}
	switch c := d[i-1]; {
	case c == '=':
		i--
		if i > 0 && (d[i-1] == ':' || d[i-1] == '!') {
			i--
		}
		k.op = '='
	case c == '>':
		i--
		k.op = '>'
		if i > 0 && d[i-1] == '=' {
			i--
			k.op = '='
		}
	case c == ':':
		i--
		k.op = ':'
	case c == ',':
		i--
		k.op = ','
	case i >= 3 && d[i-3] == '%' && d[i-2] == '3' && (d[i-1] == 'D' || d[i-1] == 'd' || d[i-1] == 'A' || d[i-1] == 'a'):
		i -= 3
		k.op = '='
	default:
		return k
	}
	i = skipSpaceBack(d, i, 8)
	nameQuoted := false
	for n := 0; n < 4 && i > 0; n++ {
		c := d[i-1]
		if c == '"' || c == '\'' || c == '`' {
			nameQuoted = true
			i--
		} else if c == '\\' || c == ']' || c == ')' {
			i--
		} else {
			break
		}
	}
	end := i
	for i > 0 && classIdent[d[i-1]] && end-i < 80 {
		i--
	}
	// A name after a percent escape (%26secret%3D...) starts after it.
	if i > 0 && d[i-1] == '%' && end-i > 2 && classHex[d[i]] && classHex[d[i+1]] {
		i += 2
	}
	if i == end || (k.op == ',' && !nameQuoted) {
		return k
	}
	k.name = strings.Trim(string(d[i:end]), ".-$")
	// An unquoted one- or two-letter name given a quoted value is a
	// minifier's variable (i="..."): it says nothing.
	k.found = k.name != "" && (len(k.name) > 2 || nameQuoted || !k.quoted)
	return k
}

func skipSpaceBack(d []byte, i, limit int) int {
	for n := 0; n < limit && i > 0 && (d[i-1] == ' ' || d[i-1] == '\t'); n++ {
		i--
	}
	return i
}

// appIDNear looks in [a, b) for an appid, or a field named like one. It
// returns the appid when one is written out.
func appIDNear(d []byte, a, b int) (string, bool) {
	a, b = window(d, a, b)
	w := d[a:b]
	found := ""
	eachIndex(w, "wx", func(p int) {
		if found == "" && isAppIDAt(d, a+p) {
			found = string(d[a+p : a+p+18])
		}
	})
	if found != "" {
		return found, true
	}
	l := lowerASCII(w)
	return "", bytes.Contains(l, []byte("appid")) || bytes.Contains(l, []byte("app_id")) || bytes.Contains(l, []byte("app-id"))
}

// appIDWithin reports whether an appid is written out in [a, b).
func appIDWithin(d []byte, a, b int) bool {
	a, b = window(d, a, b)
	ok := false
	eachIndex(d[a:b], "wx", func(p int) { ok = ok || isAppIDAt(d, a+p) })
	return ok
}

// hashWordBefore reports a hash-like word just before s: md5, sha1, sign,
// etag, commit...
func hashWordBefore(d []byte, s int) bool {
	a, _ := window(d, s-40, s)
	l := lowerASCII(d[a:s])
	for _, w := range []string{"md5", "sha", "hash", "sign", "etag", "digest", "checksum", "commit", "sum", "nonce", "uuid", "request_id", "trace"} {
		if bytes.Contains(l, []byte(w)) {
			return true
		}
	}
	return false
}

// ---- session_key ----

func (t *textScan) sessionKeys() {
	d := t.data
	for _, pad := range []string{"==", "%3D%3D", "%3d%3d", `\u003d\u003d`} {
		eachIndex(d, pad, func(p int) {
			// The padding must end the value.
			e := p + len(pad)
			if e < len(d) && (classB64[d[e]] || d[e] == '=' || d[e] == '%') {
				return
			}
			if p > 0 && d[p-1] == '=' {
				return
			}
			s, v, ok := b64KeyBefore(d, p)
			if !ok || !t.once(1, s) {
				return
			}
			t.judgeKey(s, e, v)
		})
	}
}

// b64KeyBefore reads the 22 base64 characters before the padding at p,
// undoing JSON (\/) and percent (%2B, %2F) escapes, and checks that
// nothing base64-like comes before them. It returns where they start and
// the key with its padding.
func b64KeyBefore(d []byte, p int) (int, string, bool) {
	var rev [22]byte
	n := 0
	i := p
	for n < 22 && i > 0 {
		c := d[i-1]
		switch {
		case i >= 3 && d[i-3] == '%' && d[i-2] == '2' && (c == 'B' || c == 'b' || c == 'F' || c == 'f'):
			rev[n] = '+'
			if c == 'F' || c == 'f' {
				rev[n] = '/'
			}
			i -= 3
		case c == '/' && i >= 2 && d[i-2] == '\\':
			rev[n] = '/'
			i -= 2
		case classB64[c]:
			rev[n] = c
			i--
		default:
			return 0, "", false
		}
		n++
	}
	escaped := i >= 3 && d[i-3] == '%' && classHex[d[i-2]] && classHex[d[i-1]] // openid%3D...
	if n < 22 || (i > 0 && (classB64[d[i-1]] || d[i-1] == '%') && !escaped) {
		return 0, "", false
	}
	var key [24]byte
	for j := 0; j < 22; j++ {
		key[j] = rev[21-j]
	}
	key[22], key[23] = '=', '='
	v := string(key[:])
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(raw) != 16 || distinct(v) < 10 || publicExamples[v] {
		return 0, "", false
	}
	return i, v, true
}

// judgeKey decides whether the base64 key v at [s, e) is a session_key.
func (t *textScan) judgeKey(s, e int, v string) {
	d := t.data
	k := keyBefore(d, s)
	h := hit{kind: KindSessionKey, start: s, end: e, value: v}
	switch {
	case k.found && sessionKeyName(k.name):
		h.msg = fmt.Sprintf("session_key under %q %s", k.name, t.role.where())
	case k.found && ivLikeName(k.name):
		return
	case t.role != roleServer && k.found && openIDNear(d, s-300, e+300):
		h.msg = fmt.Sprintf("a 16-byte base64 key under %q next to an openid %s: a jscode2session answer relayed under another name", k.name, t.role.where())
	default:
		return
	}
	t.add(h)
}

// openIDNear reports an openid in [a, b): a 28-character o... id, or a
// field named openid.
func openIDNear(d []byte, a, b int) bool {
	a, b = window(d, a, b)
	w := d[a:b]
	l := lowerASCII(w)
	if bytes.Contains(l, []byte("openid")) || bytes.Contains(l, []byte("open_id")) {
		return true
	}
	for i := 0; i+28 <= len(w); i++ {
		if w[i] != 'o' || (i > 0 && classTok[w[i-1]]) {
			continue
		}
		j := i + 1
		for j < len(w) && classTok[w[j]] {
			j++
		}
		if j-i == 28 && isOpenIDShape(w[i:j]) {
			return true
		}
		i = j
	}
	return false
}

// isOpenIDShape: 28 characters, 'o' first, a mix of letters and digits.
func isOpenIDShape(b []byte) bool {
	if len(b) != 28 || b[0] != 'o' {
		return false
	}
	digits, upper := 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return digits > 0 && upper > 0
}

// ---- access tokens ----

// accessTokens reports WeChat access tokens: under an access-token name
// (in backend code only when the value has WeChat's shape or a WeChat API
// is beside it), and anywhere near a WeChat API URL when the value has
// WeChat's shape (a Postman variable, an .http file's @token).
func (t *textScan) accessTokens() {
	d := t.data
	server := t.role == roleServer
	// Searched as "_token", "Token", "_TOKEN", "-token" (rarer first bytes
	// than "ccess", so faster) with "ccess" or "CCESS" just before.
	for _, pat := range []string{"_token", "Token", "_TOKEN", "-token"} {
		eachIndex(d, pat, func(at int) {
			p := at - 5
			if p < 0 || !(string(d[p:at]) == "ccess" || string(d[p:at]) == "CCESS") {
				return
			}
			s, e, ok := valueAfterName(d, p)
			if !ok || e-s < 32 || !t.once(2, s) {
				return
			}
			v := string(d[s:e])
			if placeholderWord(v) || server && !mixedToken(v) {
				return
			}
			if !wechatTokenShape(v) && !(e-s >= 64 && bytes.Contains(d[max(0, p-300):min(len(d), e+300)], []byte("weixin.qq.com"))) {
				return
			}
			t.add(hit{kind: KindAccessToken, start: s, end: e, value: v, msg: "WeChat access token " + t.role.where()})
		})
	}
	if bytes.Contains(d, []byte("weixin.qq.com")) {
		t.tokenShapes()
	}
}

// tokenShapes reports values of WeChat's access-token shape ("86_" and 40
// or more characters mixing cases and digits) under any name, in a text
// that calls a WeChat API.
func (t *textScan) tokenShapes() {
	d := t.data
	eachIndex(d, "_", func(p int) {
		i := p
		for i > 0 && p-i < 4 && d[i-1] >= '0' && d[i-1] <= '9' {
			i--
		}
		if i == p || i > 0 && classTok[d[i-1]] {
			return
		}
		e := p + 1
		for e < len(d) && classTok[d[e]] {
			e++
		}
		v := string(d[i:e])
		if e-p-1 < 40 || !mixedToken(v[p-i+1:]) || !t.once(2, i) {
			return
		}
		t.add(hit{kind: KindAccessToken, start: i, end: e, value: v, msg: "WeChat access token (by its shape) next to a WeChat API " + t.role.where()})
	})
}

// mixedToken: upper and lower case letters and digits, as random tokens
// have (an identifier in snake_case has not).
func mixedToken(v string) bool {
	var up, low, dig bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		up = up || c >= 'A' && c <= 'Z'
		low = low || c >= 'a' && c <= 'z'
		dig = dig || c >= '0' && c <= '9'
	}
	return up && low && dig
}

// wechatTokenShape: WeChat's access tokens are a number, '_', and 40 or
// more characters of [A-Za-z0-9_-] ("78_AbC...").
func wechatTokenShape(v string) bool {
	i := 0
	for i < len(v) && i < 4 && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(v) || v[i] != '_' || len(v)-i-1 < 40 {
		return false
	}
	return true
}

// valueStart reads forward from a name containing offset p, over the
// quotes and the operator that follow it (=, :, =>, :=, %3D, the > of an
// XML tag, and with comma the , of 'name', 'value'), to where a value
// starts.
func valueStart(d []byte, p int, comma bool) (int, bool) {
	i := p
	for i < len(d) && classIdent[d[i]] {
		i++
	}
	for n := 0; n < 4 && i < len(d) && (d[i] == '"' || d[i] == '\'' || d[i] == '\\' || d[i] == ']' || d[i] == '`'); n++ {
		i++
	}
	for n := 0; n < 8 && i < len(d) && (d[i] == ' ' || d[i] == '\t'); n++ {
		i++
	}
	switch {
	case i < len(d) && (d[i] == '=' || d[i] == ':' || d[i] == '>' || comma && d[i] == ','):
		i++
		if i < len(d) && (d[i] == '>' || d[i] == '=') {
			i++
		}
	case i+3 <= len(d) && d[i] == '%' && d[i+1] == '3' && (d[i+2] == 'D' || d[i+2] == 'd' || d[i+2] == 'A' || d[i+2] == 'a'):
		i += 3
	default:
		return 0, false
	}
	for n := 0; n < 12 && i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '"' || d[i] == '\'' || d[i] == '`' || d[i] == '\\'); n++ {
		i++
	}
	return i, i < len(d)
}

// hexRunAt reports a run of exactly n hex digits starting at s, standing
// alone.
func hexRunAt(d []byte, s, n int) bool {
	if s+n > len(d) || (s > 0 && classAlnum[d[s-1]]) {
		return false
	}
	for _, c := range d[s : s+n] {
		if !classHex[c] {
			return false
		}
	}
	return s+n == len(d) || !classAlnum[d[s+n]]
}

// valueAfterName reads forward from a name containing offset p, over its
// operator, to a [A-Za-z0-9_-] value, returning the value's span.
func valueAfterName(d []byte, p int) (int, int, bool) {
	s, ok := valueStart(d, p, false)
	if !ok {
		return 0, 0, false
	}
	i := s
	for i < len(d) && classTok[d[i]] {
		i++
	}
	if i == s {
		return 0, 0, false
	}
	return s, i, true
}

// ---- client-side code ----

// secretEndpoints are api.weixin.qq.com paths that take the AppSecret.
var secretEndpoints = []string{"/sns/jscode2session", "/cgi-bin/token", "/cgi-bin/stable_token", "/sns/oauth2/access_token", "/sns/component/jscode2session"}

// userTokenEndpoints take a user's own OAuth token; they are not reported.
var userTokenEndpoints = []string{"/sns/userinfo", "/sns/auth", "/sns/oauth2/refresh_token"}

func (t *textScan) clientAPI() {
	d := t.data
	eachIndex(d, "api.weixin.qq.com", func(p int) {
		if isCommentLine(d, p) {
			return
		}
		e := p + len("api.weixin.qq.com")
		j := e
		for j < len(d) && (classIdent[d[j]] || d[j] == '/') {
			j++
		}
		path := string(d[e:j])
		for _, u := range userTokenEndpoints {
			if strings.HasPrefix(path, u) {
				return
			}
		}
		msg := "client-side code calls api.weixin.qq.com" + path + ", which needs an access token (and so the AppSecret)"
		for _, s := range secretEndpoints {
			if strings.HasPrefix(path, s) {
				msg = "client-side code calls api.weixin.qq.com" + s + ", which needs the AppSecret"
			}
		}
		if path == "" || path == "/" {
			msg = "client-side code targets api.weixin.qq.com, whose APIs need the AppSecret or an access token"
		}
		t.add(hit{kind: KindClientWeChatAPI, start: p, end: j, msg: msg})
	})
	for _, ep := range []string{"jscode2session", "cgi-bin/token", "cgi-bin/stable_token", "sns/oauth2/access_token"} {
		eachIndex(d, ep, func(p int) {
			if isCommentLine(d, p) {
				return
			}
			t.add(hit{kind: KindClientWeChatAPI, start: p, end: p + len(ep), prio: 1,
				msg: "client-side code uses WeChat's " + ep + " endpoint, which needs the AppSecret"})
		})
	}
}

// decryptPrimitives are the ways client code decrypts WeChat's
// encryptedData: crypto-js, node's crypto, aes-js, forge, sjcl, and the
// official WXBizDataCrypt sample.
var decryptPrimitives = []string{"AES.decrypt", "createDecipheriv", "WXBizDataCrypt", "aes-128-cbc", "AES-128-CBC", "ModeOfOperation.cbc", "forge.cipher.createDecipher", "sjcl.mode.cbc", "decryptData("}

func (t *textScan) clientDecrypt() {
	d := t.data
	for _, pat := range []string{"ncryptedData", "ncrypted_data", "NCRYPTED_DATA"} {
		eachIndex(d, pat, func(p int) {
			a, b := window(d, p-800, p+800)
			w := d[a:b]
			best, bestPrim := -1, ""
			for _, prim := range decryptPrimitives {
				if prim == "decryptData(" && !bytes.Contains(w, []byte("essionKey")) && !bytes.Contains(w, []byte("ession_key")) {
					continue
				}
				eachIndex(w, prim, func(i int) {
					if isCommentLine(d, a+i) {
						return
					}
					if best < 0 || abs(a+i-p) < abs(best-p) {
						best, bestPrim = a+i, prim
					}
				})
			}
			if best >= 0 {
				t.add(hit{kind: KindClientDecrypt, start: best, end: best + len(bestPrim),
					msg: "client-side code decrypts encryptedData (" + strings.TrimSuffix(bestPrim, "(") + "), so the client holds the session_key"})
			}
		})
	}
}

// clientSessionKeyRefs reports client code that reads or stores a
// session_key: the server must have sent it. A name that merely contains
// the word (getSessionKey(), hasSessionKey), an empty declaration
// (sessionKey: ”, session_key = null), a type annotation, or a bare
// mention of a variable that is only ever declared empty is not one.
func (t *textScan) clientSessionKeyRefs() {
	d := t.data
	for _, pat := range []string{"ession", "ESSION"} {
		eachIndex(d, pat, func(p int) {
			if p == 0 || (d[p-1] != 's' && d[p-1] != 'S') {
				return
			}
			e := p + len(pat)
			rest := d[e:min(len(d), e+4)]
			switch {
			case bytes.HasPrefix(rest, []byte("_key")), bytes.HasPrefix(rest, []byte("_KEY")), bytes.HasPrefix(rest, []byte("-key")):
				e += 4
			case bytes.HasPrefix(rest, []byte("Key")), bytes.HasPrefix(rest, []byte("key")):
				e += 3
			default:
				return
			}
			if isCommentLine(d, p) {
				return
			}
			a, b := identAround(d, p-1, e)
			if !sessionKeyIdent(string(d[a:b])) || !t.sessionKeyUse(a, b) {
				return
			}
			t.add(hit{kind: KindSessionKey, start: p - 1, end: e, prio: 2,
				msg: "client-side code handles a session_key: the server sends it to the client"})
		})
	}
}

// identAround widens [a, b) to the whole identifier it is part of.
func identAround(d []byte, a, b int) (int, int) {
	for a > 0 && (classAlnum[d[a-1]] || d[a-1] == '_' || d[a-1] == '$') {
		a--
	}
	for b < len(d) && (classAlnum[d[b]] || d[b] == '_' || d[b] == '$') {
		b++
	}
	return a, b
}

// sessionKeyVerbs make a name a function's or a flag's (getSessionKey,
// hasSessionKey, checkSessionKey), not the key's.
var sessionKeyVerbs = map[string]bool{
	"get": true, "set": true, "has": true, "check": true, "refresh": true, "is": true, "update": true, "clear": true,
	"remove": true, "fetch": true, "load": true, "save": true, "validate": true, "verify": true, "on": true, "handle": true,
	"reset": true, "renew": true, "ensure": true, "need": true, "needs": true, "use": true, "with": true,
}

// sessionKeyIdent: a name of the key itself (session_key, sessionKey,
// wxSessionKey, SESSION_KEY), not of something about it.
func sessionKeyIdent(name string) bool {
	toks := nameTokens(name)
	n := len(toks)
	if n < 2 || toks[n-2] != "session" || toks[n-1] != "key" {
		return false
	}
	for _, tk := range toks[:n-2] {
		if sessionKeyVerbs[tk] {
			return false
		}
	}
	return true
}

// sessionKeyUse judges the session-key name at [a, b): false for a call or
// definition, an empty declaration, a type annotation, and a bare mention
// (in a list or call) of a variable only ever declared empty.
func (t *textScan) sessionKeyUse(a, b int) bool {
	d := t.data
	next := skipSpaces(d, b)
	if next < len(d) && d[next] == '(' {
		return false // a function: getSessionKey(), sessionKey() {
	}
	// A quoted key: 'session_key': ..., setStorageSync('session_key', ...).
	quoted := a > 0 && (d[a-1] == '\'' || d[a-1] == '"' || d[a-1] == '`')
	if quoted && b < len(d) && d[b] == d[a-1] {
		next = skipSpaces(d, b+1)
	}
	if next < len(d) && (d[next] == ':' || d[next] == '=' && (next+1 >= len(d) || d[next+1] != '=')) {
		v := skipSpaces(d, next+1)
		if emptyValueAt(d, v) || d[next] == ':' && typeNameAt(d, v) {
			return false
		}
		return true
	}
	prev := a - 1
	for prev >= 0 && (d[prev] == ' ' || d[prev] == '\t' || d[prev] == '\n' || d[prev] == '\r') {
		prev--
	}
	bare := !quoted && prev >= 0 && strings.IndexByte(",{([", d[prev]) >= 0 && next < len(d) && strings.IndexByte(",})]", d[next]) >= 0
	if bare && !assignedNonEmpty(d, string(d[a:b])) {
		return false
	}
	return true
}

func skipSpaces(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t') {
		i++
	}
	return i
}

// emptyValues are what an empty declaration gives a name.
var emptyValues = []string{"''", `""`, "``", "null", "undefined", "None", "nil", "NULL", "false", "0", "{}", "[]"}

// emptyValueAt reports an empty value at v, ending the declaration.
func emptyValueAt(d []byte, v int) bool {
	for _, e := range emptyValues {
		if bytes.HasPrefix(d[v:], []byte(e)) {
			end := skipSpaces(d, v+len(e))
			return end >= len(d) || strings.IndexByte(",;})]\r\n#/", d[end]) >= 0
		}
	}
	return false
}

// typeNameAt reports a type annotation at v (session_key: string;).
func typeNameAt(d []byte, v int) bool {
	for _, ty := range []string{"string", "String", "str", "number", "any", "unknown", "Optional[", "Optional<"} {
		if bytes.HasPrefix(d[v:], []byte(ty)) {
			end := v + len(ty)
			return end >= len(d) || !classAlnum[d[end]]
		}
	}
	return false
}

// assignedNonEmpty reports whether the file gives name a non-empty value
// anywhere (name = value, name: value).
func assignedNonEmpty(d []byte, name string) bool {
	found := false
	eachIndex(d, name, func(p int) {
		if found || p > 0 && (classAlnum[d[p-1]] || d[p-1] == '_' || d[p-1] == '$') {
			return
		}
		e := p + len(name)
		if e < len(d) && (classAlnum[d[e]] || d[e] == '_') {
			return
		}
		n := skipSpaces(d, e)
		if n < len(d) && (d[n] == ':' || d[n] == '=' && (n+1 >= len(d) || d[n+1] != '=')) {
			v := skipSpaces(d, n+1)
			found = !emptyValueAt(d, v) && !(d[n] == ':' && typeNameAt(d, v))
		}
	})
	return found
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ---- exact values ----

func (t *textScan) exactValues() {
	for i := range t.needles {
		n := &t.needles[i]
		for _, v := range n.variants {
			eachIndex(t.data, v.Text, func(p int) {
				e := p + len(v.Text)
				msg := fmt.Sprintf("the known %s (%s) %s", n.kind, n.label, t.role.where())
				if v.How != "raw" {
					msg = fmt.Sprintf("the known %s (%s), %s-encoded, %s", n.kind, n.label, v.How, t.role.where())
				}
				t.add(hit{kind: n.kind, start: p, end: e, value: n.value, msg: msg, prio: -1})
			})
		}
	}
	t.splitQueries()
}
