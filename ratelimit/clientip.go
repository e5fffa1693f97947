package ratelimit

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r.
//
// It is the peer address (r.RemoteAddr) unless the peer is a trusted
// proxy, one of the prefixes in trusted. Then X-Forwarded-For is read from
// the right (the entry the nearest proxy appended) to the left, its header
// lines in order as one list: each trusted proxy's entry is skipped and the
// first entry that is not a trusted proxy is the client. Everything left of
// it was written by the client and is ignored. If an entry is not an
// address (garbage, an obfuscated "unknown", an address with a zone), the
// walk stops there and the client is the last proxy seen to its right; if
// every entry is trusted, the leftmost one is the client. An empty header
// or none at all means the peer itself is the client.
//
// Entries may be IPv4, IPv6, bracketed IPv6, and either with a port;
// empty entries are skipped, as HTTP lists allow. Addresses come back
// without zone, and IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) as IPv4,
// so that one client has one form. The result is the zero Addr only when
// RemoteAddr is not an IP address (a Unix socket, say).
//
// X-Real-IP and Forwarded are not read: one well-defined header is enough,
// and reading several would let a client pick whichever one its proxy does
// not overwrite. Every trusted proxy must append the address it received
// the request from to X-Forwarded-For (nginx: proxy_set_header
// X-Forwarded-For $proxy_add_x_forwarded_for; Caddy and most load balancers
// do it by default), and the prefixes must cover proxies only: a client
// inside a trusted prefix can claim any address.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parsePeer(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	client := peer
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		list := lines[i]
		for list != "" {
			var entry string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				list, entry = list[:j], list[j+1:]
			} else {
				list, entry = "", list
			}
			entry = strings.Trim(entry, " \t")
			if entry == "" {
				continue
			}
			a, ok := parseEntry(entry)
			if !ok {
				return client
			}
			client = a
			if !isTrusted(a, trusted) {
				return client
			}
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePeer parses RemoteAddr: "host:port" as net/http sets it, or a bare
// address.
func parsePeer(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}

// parseEntry parses one X-Forwarded-For entry. Zones are refused: no proxy
// writes one, and they would let one client appear as many.
func parseEntry(s string) (netip.Addr, bool) {
	if len(s) > 64 {
		return netip.Addr{}, false
	}
	var a netip.Addr
	var err error
	switch {
	case strings.HasPrefix(s, "["):
		if strings.HasSuffix(s, "]") {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
			if err == nil && !a.Is6() {
				return netip.Addr{}, false // "[192.0.2.1]"
			}
		} else {
			var ap netip.AddrPort
			ap, err = netip.ParseAddrPort(s)
			a = ap.Addr()
		}
	case strings.Count(s, ":") == 1: // IPv4 with a port
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		a = ap.Addr()
	default:
		a, err = netip.ParseAddr(s)
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// AddrKey returns the key to limit an address by: an IPv4 address itself,
// an IPv6 address's /64 network (one subscriber's, who could otherwise
// use a new address for every request). The zero Addr gives "invalid".
func AddrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	if !a.IsValid() {
		return "invalid"
	}
	return a.String()
}

// ParseTrusted parses the trusted proxies of a configuration: addresses
// ("10.0.0.7", "::1") and networks in CIDR notation ("10.0.0.0/8"). It
// reports every bad entry at once, including networks with host bits set
// ("10.0.0.1/8": did you mean 10.0.0.0/8?) and IPv4-mapped IPv6 forms,
// which would never match, as ClientIP compares IPv4 addresses as IPv4.
func ParseTrusted(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, s := range list {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		var err error
		zoned := false
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
			if err == nil && p.Masked() != p {
				errs = append(errs, fmt.Errorf("ratelimit: trusted proxy %q has host bits set: did you mean %s?", s, p.Masked()))
				continue
			}
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			if err == nil {
				zoned = a.Zone() != ""
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ratelimit: trusted proxy %q is neither an address nor a CIDR network", s))
		case zoned:
			errs = append(errs, fmt.Errorf("ratelimit: trusted proxy %q has a zone", s))
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("ratelimit: trusted proxy %q is IPv4-mapped IPv6: write the IPv4 form", s))
		default:
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
