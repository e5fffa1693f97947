package ratelimit

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzClientIP checks ClientIP on arbitrary peers and X-Forwarded-For
// lines against a plain reference walk: no panic, an untrusted peer always
// wins, results are normalised, and the result is the peer or one of the
// entries.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:1", "198.51.100.1, 10.0.0.3", "")
	f.Add("127.0.0.1:80", "[2001:db8::1]:443,::ffff:10.1.2.3", "garbage, 10.0.0.9")
	f.Add("203.0.113.7:1", "1.2.3.4", "")
	f.Add("[::ffff:10.0.0.1]:1", ",,, ,", "fe80::1%eth0")
	f.Add("@", "1.2.3.4", "")
	f.Fuzz(func(t *testing.T, remote, line1, line2 string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		r.Header["X-Forwarded-For"] = []string{line1, line2}
		got := ClientIP(r, trustedProxies)

		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientIP = %v: not normalised", got)
		}
		peer := parsePeer(remote)
		if !peer.IsValid() {
			if got.IsValid() {
				t.Fatalf("ClientIP = %v for the unparsable peer %q", got, remote)
			}
			return
		}
		if !isTrusted(peer, trustedProxies) && got != peer {
			t.Fatalf("untrusted peer %v, ClientIP = %v: the header was believed", peer, got)
		}

		// Reference: split everything, walk from the right.
		var entries []string
		for _, line := range []string{line1, line2} {
			for e := range strings.SplitSeq(line, ",") {
				if e = strings.Trim(e, " \t"); e != "" {
					entries = append(entries, e)
				}
			}
		}
		want := peer
		if isTrusted(peer, trustedProxies) {
			for i := len(entries) - 1; i >= 0; i-- {
				a, ok := parseEntry(entries[i])
				if !ok {
					break
				}
				want = a
				if !isTrusted(a, trustedProxies) {
					break
				}
			}
		}
		if got != want {
			t.Fatalf("ClientIP = %v, reference walk %v (peer %q, lines %q %q)", got, want, remote, line1, line2)
		}
	})
}
