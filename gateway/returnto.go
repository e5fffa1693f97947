package gateway

import (
	"net/url"
	"strings"
)

// maxReturnTo bounds the return_to a login remembers.
const maxReturnTo = 2048

// safeReturnTo returns raw if it is a safe place to send a browser after
// login, else fallback. Safe means a same-site relative path ("/a/b?c#d")
// or an absolute http(s) URL whose origin is the gateway's own or on the
// allow-list. Everything else falls back: scheme-relative URLs ("//evil"),
// backslash tricks ("/\evil", which browsers read as "//evil"), other
// schemes (javascript:, data:), control characters, userinfo
// ("https://good@evil"), and encoded variants of all of these.
func safeReturnTo(raw, fallback, publicOrigin string, allowed []string) string {
	if raw == "" || len(raw) > maxReturnTo {
		return fallback
	}
	// Decode repeatedly: a value that decodes to something dangerous is
	// dangerous wherever it ends up being decoded.
	probe := raw
	for range 3 {
		if strings.ContainsAny(probe, "\\\x00\r\n\t") || hasControl(probe) {
			return fallback
		}
		d, err := url.PathUnescape(probe)
		if err != nil {
			return fallback
		}
		if d == probe {
			break
		}
		probe = d
	}
	if strings.HasPrefix(probe, "//") || strings.HasPrefix(probe, "/%2f") || strings.HasPrefix(strings.ToLower(probe), "/%2f") {
		return fallback
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return fallback
	}
	if u.Scheme == "" && u.Host == "" && u.User == nil {
		if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
			return fallback
		}
		return raw
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" {
		return fallback
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	if origin == strings.ToLower(publicOrigin) {
		return raw
	}
	for _, a := range allowed {
		if origin == strings.ToLower(strings.TrimRight(a, "/")) {
			return raw
		}
	}
	return fallback
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
