package logging

// class is what an attribute key says about its value.
type class uint8

const (
	plain   class = iota
	openID        // shown as "oid:" + short keyed hash
	unionID       // "unid:" + hash
	phone         // "tel:" + hash
	secret        // "[redacted]"
)

// hashPrefix is what an identifier's short hash starts with.
var hashPrefix = [...]string{openID: "oid:", unionID: "unid:", phone: "tel:"}

// combine is the class of a key inside a group (or a group inside a
// group): secret wins, then the innermost identifier.
func combine(outer, inner class) class {
	switch {
	case outer == secret || inner == secret:
		return secret
	case inner != plain:
		return inner
	}
	return outer
}

// secretNames are normalised keys (lower case, without "_", "-", "." and
// spaces) whose values are secrets wherever they appear.
var secretNames = map[string]bool{
	"secret": true, "appsecret": true, "clientsecret": true,
	"sessionkey": true,
	"token":      true, "accesstoken": true, "refreshtoken": true, "idtoken": true,
	"code": true, "jscode": true, "authcode": true,
	"password": true, "passwd": true, "pwd": true,
	"authorization": true, "proxyauthorization": true,
	"cookie": true, "setcookie": true, "wxgatesession": true,
	"state":         true,
	"encrypteddata": true, "iv": true,
	"signature": true, "sig": true, "nonce": true,
	"key": true, "apikey": true, "signingkey": true, "privatekey": true,
	"ticket": true, "jsapiticket": true,
	"credential": true, "credentials": true, "bearer": true,
	"xwxgatesignature": true, "xwxgatenonce": true,
}

// secretSuffixes mark secrets at the end of longer keys ("wechat_secret",
// "internal_api_key", "user_access_token"). "code" and "key" are not
// among them: "errcode" and "key_id" are not secrets.
var secretSuffixes = []string{
	"secret", "token", "password", "sessionkey", "signingkey", "apikey",
	"privatekey", "signature", "cookie", "authorization", "encrypteddata",
	"jscode", "ticket",
}

// classify returns the class of an attribute key or query parameter name,
// case-insensitively and ignoring "_", "-", "." and spaces. Only the last
// 128 bytes of a longer key are read: they are what the suffix rules need.
// It does not allocate.
func classify(key string) class {
	if key == "" {
		return plain
	}
	if len(key) > 128 {
		key = key[len(key)-128:]
	}
	var buf [128]byte
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	k := buf[:n]
	if secretNames[string(k)] {
		return secret
	}
	for _, s := range secretSuffixes {
		if hasSuffix(k, s) {
			return secret
		}
	}
	switch {
	case hasSuffix(k, "openid"):
		return openID
	case hasSuffix(k, "unionid"):
		return unionID
	case hasSuffix(k, "phone"), hasSuffix(k, "phonenumber"):
		return phone
	}
	return plain
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}
