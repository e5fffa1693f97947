package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// wechatAvatarHosts are the hosts WeChat serves profile pictures from
// (sns/userinfo headimgurl, the mini-program's avatarUrl). An avatar URL on
// any other host is not fetched: the URL comes from outside (a
// mini-program's signed user info, an emulator fixture), and fetching it
// would let whoever controls it make the gateway call addresses of the
// operator's network (SSRF).
var wechatAvatarHosts = []string{"thirdwx.qlogo.cn", "wx.qlogo.cn", "thirdqq.qlogo.cn", "mmbiz.qpic.cn"}

// avatarFetcher downloads avatars under the rules above: only WeChat's
// avatar hosts (dialled only at public addresses) and the configured
// WeChat base URLs (the emulator in dev and tests, which may be loopback);
// no redirects; no proxy from the environment.
type avatarFetcher struct {
	// hosts are the host names whose avatars are fetched, with a public
	// address required at dial time.
	hosts map[string]bool
	// configured are the host:port pairs of wechat.api_base and
	// wechat.open_base (and public_url in dev mode): the operator chose
	// them, so any address is dialled.
	configured map[string]bool
	client     *http.Client
}

// newAvatarFetcher allows the hosts of bases (wechat.api_base and
// open_base; in dev mode also public_url, where the demo serves its
// fixture's pictures) at any address, and WeChat's avatar hosts at public
// addresses.
func newAvatarFetcher(bases []string, wrap func(http.RoundTripper) http.RoundTripper) *avatarFetcher {
	f := &avatarFetcher{hosts: map[string]bool{}, configured: map[string]bool{}}
	for _, h := range wechatAvatarHosts {
		f.hosts[h] = true
	}
	for _, b := range bases {
		if u, err := url.Parse(b); err == nil && u.Host != "" {
			f.configured[hostPort(u)] = true
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           f.dial,
		TLSHandshakeTimeout:   avatarTimeout,
		ResponseHeaderTimeout: avatarTimeout,
		MaxIdleConns:          8,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = tr
	if wrap != nil {
		rt = wrap(rt)
	}
	f.client = &http.Client{
		Transport: rt,
		Timeout:   avatarTimeout,
		// A redirect could lead anywhere: it is a failure, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

// hostPort is u's host:port in lower case, with the scheme's default port.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// allowed reports why u may not be fetched, or nil.
func (f *avatarFetcher) allowed(u *url.URL) error {
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return errors.New("avatar URL is not http(s)")
	}
	if u.User != nil {
		return errors.New("avatar URL carries credentials")
	}
	if f.configured[hostPort(u)] || f.hosts[strings.ToLower(u.Hostname())] {
		return nil
	}
	return fmt.Errorf("avatar host %q is not one of WeChat's avatar hosts", truncate(u.Hostname(), 64))
}

// dial connects to addr; unless addr is a configured WeChat base, every
// address it resolves to must be public.
func (f *avatarFetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: avatarTimeout}
	if !f.configured[strings.ToLower(addr)] {
		d.Control = refuseNonPublic
	}
	return d.DialContext(ctx, network, addr)
}

// refuseNonPublic is a net.Dialer Control: it runs after name resolution,
// for the address actually dialled, so DNS answers that point a public
// name at an internal address are refused too.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !publicAddr(ip) {
		return fmt.Errorf("refusing to fetch an avatar from the non-public address %s", ip)
	}
	return nil
}

// publicAddr reports whether ip is a global unicast address outside the
// private, shared (carrier-grade NAT) and benchmarking ranges.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: may map to internal IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped (Unmap handles most)
	netip.MustParsePrefix("2002::/16"),      // 6to4: embeds any IPv4
}
