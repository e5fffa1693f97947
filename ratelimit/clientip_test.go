package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// trustedProxies: a load balancer network and the local nginx.
var trustedProxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.1/32"),
	netip.MustParsePrefix("2001:db8:ffff::/48"),
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string // header lines
		want   string   // "" for the zero Addr
	}{
		{name: "direct client", remote: "203.0.113.7:51000", want: "203.0.113.7"},
		{name: "direct IPv6 client", remote: "[2001:db8::7]:443", want: "2001:db8::7"},
		{name: "IPv6 normalised", remote: "[2001:0DB8:0:0::0007]:443", want: "2001:db8::7"},
		{name: "IPv4-mapped peer unmapped", remote: "[::ffff:203.0.113.7]:443", want: "203.0.113.7"},
		{name: "zone dropped", remote: "[fe80::1%eth0]:443", want: "fe80::1"},
		{name: "peer without port", remote: "203.0.113.7", want: "203.0.113.7"},
		{name: "unix socket", remote: "@", want: ""},
		{name: "empty RemoteAddr", remote: "", want: ""},

		// Spoofing attempts.
		{name: "XFF from an untrusted peer ignored", remote: "203.0.113.7:1", xff: []string{"198.51.100.1"}, want: "203.0.113.7"},
		{name: "client-written entries left of the proxy's ignored", remote: "10.0.0.2:1", xff: []string{"1.1.1.1, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "client claims to be a trusted proxy too", remote: "10.0.0.2:1", xff: []string{"10.9.9.9, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "client-written header line before the proxy's", remote: "10.0.0.2:1", xff: []string{"1.1.1.1", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "X-Real-IP is not read", remote: "10.0.0.2:1", want: "10.0.0.2"},

		// Proxy chains.
		{name: "one proxy", remote: "10.0.0.2:1", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "two proxies", remote: "127.0.0.1:1", xff: []string{"198.51.100.1, 10.0.0.2"}, want: "198.51.100.1"},
		{name: "two proxies on two lines", remote: "127.0.0.1:1", xff: []string{"198.51.100.1", "10.0.0.2"}, want: "198.51.100.1"},
		{name: "three proxies, IPv6 hop", remote: "127.0.0.1:1", xff: []string{"198.51.100.1,2001:db8:ffff::1,10.0.0.2"}, want: "198.51.100.1"},
		{name: "an untrusted proxy in the chain is the client", remote: "127.0.0.1:1", xff: []string{"198.51.100.1, 192.0.2.50, 10.0.0.2"}, want: "192.0.2.50"},
		{name: "all trusted: leftmost", remote: "127.0.0.1:1", xff: []string{"10.0.0.3, 10.0.0.2"}, want: "10.0.0.3"},
		{name: "empty header", remote: "10.0.0.2:1", xff: []string{""}, want: "10.0.0.2"},
		{name: "empty entries skipped", remote: "10.0.0.2:1", xff: []string{"198.51.100.1, ,"}, want: "198.51.100.1"},
		{name: "tabs and spaces", remote: "10.0.0.2:1", xff: []string{"\t198.51.100.1 \t"}, want: "198.51.100.1"},
		{name: "IPv6 client", remote: "10.0.0.2:1", xff: []string{"2001:DB8::1"}, want: "2001:db8::1"},
		{name: "bracketed IPv6 client", remote: "10.0.0.2:1", xff: []string{"[2001:db8::1]"}, want: "2001:db8::1"},
		{name: "bracketed IPv6 with port", remote: "10.0.0.2:1", xff: []string{"[2001:db8::1]:8443"}, want: "2001:db8::1"},
		{name: "IPv4 with port", remote: "10.0.0.2:1", xff: []string{"198.51.100.1:8443"}, want: "198.51.100.1"},
		{name: "IPv4-mapped entry unmapped", remote: "10.0.0.2:1", xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1"},
		{name: "IPv4-mapped entry of a trusted proxy skipped", remote: "127.0.0.1:1", xff: []string{"198.51.100.1, ::ffff:10.0.0.2"}, want: "198.51.100.1"},

		// Malformed entries: the walk stops at the last proxy seen.
		{name: "garbage from the nearest proxy", remote: "10.0.0.2:1", xff: []string{"198.51.100.1, garbage"}, want: "10.0.0.2"},
		{name: "garbage behind a trusted hop", remote: "127.0.0.1:1", xff: []string{"198.51.100.1, unknown, 10.0.0.2"}, want: "10.0.0.2"},
		{name: "garbage left of the client ignored", remote: "10.0.0.2:1", xff: []string{"<script>, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "zone refused", remote: "10.0.0.2:1", xff: []string{"fe80::1%eth0"}, want: "10.0.0.2"},
		{name: "leading zeros refused", remote: "10.0.0.2:1", xff: []string{"198.051.100.1"}, want: "10.0.0.2"},
		{name: "bracketed IPv4 refused", remote: "10.0.0.2:1", xff: []string{"[198.51.100.1]"}, want: "10.0.0.2"},
		{name: "hostname refused", remote: "10.0.0.2:1", xff: []string{"client.example.com"}, want: "10.0.0.2"},
		{name: "CIDR refused", remote: "10.0.0.2:1", xff: []string{"198.51.100.0/24"}, want: "10.0.0.2"},
		{name: "overlong entry refused", remote: "10.0.0.2:1", xff: []string{strings.Repeat("1", 100)}, want: "10.0.0.2"},
		{name: "obfuscated identifier refused", remote: "10.0.0.2:1", xff: []string{"_hidden"}, want: "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			r.Header.Set("X-Real-IP", "6.6.6.6")
			got := ClientIP(r, trustedProxies)
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("ClientIP = %v, want the zero Addr", got)
				}
				return
			}
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("ClientIP = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClientIPNoTrustedProxies(t *testing.T) {
	r, _ := http.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := ClientIP(r, nil); got != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("ClientIP without trusted proxies = %v", got)
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.1":         "198.51.100.1",
		"::ffff:198.51.100.1":  "198.51.100.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"::1":                  "::/64",
	} {
		if got := AddrKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("AddrKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := AddrKey(netip.Addr{}); got != "invalid" {
		t.Errorf("AddrKey(zero) = %s", got)
	}
}

func TestParseTrusted(t *testing.T) {
	got, err := ParseTrusted([]string{"10.0.0.0/8", " 127.0.0.1 ", "::1", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "127.0.0.1/32", "::1/128", "2001:db8::/32"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("prefix %d = %v, want %s", i, p, want[i])
		}
	}
	_, err = ParseTrusted([]string{"10.0.0.1/8", "proxy.local", "", "::ffff:10.0.0.1", "fe80::1%eth0", "10.0.0.0/33"})
	if err == nil {
		t.Fatal("ParseTrusted accepted bad entries")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 6 {
		t.Fatalf("want one problem per bad entry, got:\n%v", err)
	}
	if !strings.Contains(err.Error(), "did you mean 10.0.0.0/8") {
		t.Errorf("no hint for host bits: %v", err)
	}
}
