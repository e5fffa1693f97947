package audit

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"

	"github.com/wxgate/wxgate/audit/internal/codec"
)

// needle is an exact value to find in any encoding: a --secret, or a
// value a HAR capture or the emulator saw WeChat issue.
type needle struct {
	kind     Kind
	value    string
	label    string // where the value comes from, for messages
	variants []codec.Variant
}

// MinSecretLen is the shortest exact value Scan accepts: shorter ones
// would match by chance.
const MinSecretLen = 8

func newNeedle(k Kind, value, label string) needle {
	return needle{kind: k, value: value, label: label, variants: codec.Variants(value)}
}

// kindOfValue guesses what a --secret is by its shape: 32 hex digits are
// an AppSecret, base64 of 16 bytes a session_key, "NN_..." an access
// token; anything else is reported as an AppSecret.
func kindOfValue(v string) Kind {
	if len(v) == 32 {
		hex := true
		for i := 0; i < len(v); i++ {
			if !classHex[v[i]] {
				hex = false
				break
			}
		}
		if hex {
			return KindAppSecret
		}
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 16 {
		return KindSessionKey
	}
	if wechatTokenShape(v) {
		return KindAccessToken
	}
	return KindAppSecret
}

// queryRE matches a query string or form body: name=value&name=value...
var queryRE = regexp.MustCompile(`[A-Za-z0-9_.\-\[\]]+=[^&\s"'<>#]*(?:&[A-Za-z0-9_.\-\[\]]+=[^&\s"'<>#]*)+`)

// splitQueries finds a needle split over the values of one query string
// (?k1=first-half&k2=second-half).
func (t *textScan) splitQueries() {
	if len(t.needles) == 0 || !hasSplitCandidate(t.data) {
		return
	}
	for _, m := range queryRE.FindAllIndex(t.data, -1) {
		q := string(t.data[m[0]:m[1]])
		var vals []string
		for _, kv := range strings.Split(q, "&") {
			_, v, _ := strings.Cut(kv, "=")
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
			vals = append(vals, v)
		}
		joined := strings.Join(vals, "")
		for i := range t.needles {
			n := &t.needles[i]
			if !strings.Contains(joined, n.value) {
				continue
			}
			whole := false
			for _, v := range vals {
				if strings.Contains(v, n.value) {
					whole = true
				}
			}
			if whole {
				continue
			}
			t.add(hit{kind: n.kind, start: m[0], end: m[1], value: n.value, prio: -1, redactAll: true,
				msg: "the known " + string(n.kind) + " (" + n.label + "), split over the values of a query string, " + t.role.where()})
		}
	}
}

func hasSplitCandidate(d []byte) bool {
	for i := 0; i+1 < len(d); i++ {
		if d[i] == '&' && classIdent[d[i+1]] {
			return true
		}
	}
	return false
}
