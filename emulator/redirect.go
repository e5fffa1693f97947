package emulator

import (
	"net"
	"net/url"
	"strings"
)

// maxRedirectURI bounds the redirect_uri the authorization pages accept.
const maxRedirectURI = 2048

// allows reports whether redirect_uri raw may receive codes for an app
// registered with callback domain c: an absolute http(s) URL without user
// info whose host is the domain or a subdomain of it (an IP literal must
// match exactly), and whose port equals the registered one; when none was
// registered, an explicit port is refused (WeChat's 10003).
func (c callback) allows(raw string) bool {
	if c.host == "" || len(raw) > maxRedirectURI {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil || u.Host == "" {
		return false
	}
	if strings.ContainsAny(u.Host, "%") || strings.HasSuffix(u.Host, ":") {
		return false // escapes, zones and empty ports never name a host plainly
	}
	if u.Port() != c.port {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		return c.ip && ip.String() == c.host
	}
	if c.ip || !validHostname(host) {
		return false
	}
	return host == c.host || strings.HasSuffix(host, "."+c.host)
}

// redirectParts splits the URL a confirmed grant navigates to around its
// code: prefix + code + suffix. code and state join redirect_uri's existing
// query (kept as it is) and go before any #fragment.
func redirectParts(redirectURI, state string) (prefix, suffix string) {
	base, frag := redirectURI, ""
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base, frag = base[:i], base[i:]
	}
	return base + querySep(base) + "code=", "&state=" + url.QueryEscape(state) + frag
}

// withCode is redirect_uri?code=CODE&state=STATE.
func withCode(redirectURI, code, state string) string {
	p, s := redirectParts(redirectURI, state)
	return p + url.QueryEscape(code) + s
}

// withState is redirect_uri?state=STATE, where a refusal goes.
func withState(redirectURI, state string) string {
	base, frag := redirectURI, ""
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base, frag = base[:i], base[i:]
	}
	return base + querySep(base) + "state=" + url.QueryEscape(state) + frag
}

// querySep is what joins one more parameter to base.
func querySep(base string) string {
	switch {
	case !strings.Contains(base, "?"):
		return "?"
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		return ""
	}
	return "&"
}
