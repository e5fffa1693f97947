package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// checkDeployment warns about set-ups that work but leave a gap: state
// that other instances cannot see, and connections that travel in clear
// text or without checking whom they reach. It also refuses a keyring
// that other users can read (a warning in dev mode).
func (c *Config) checkDeployment(r *report) {
	shared := strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
	if shared && c.Cache == "memory" {
		r.warn("cache", "memory keeps login states, replay nonces, rate-limit counters and token leases in this process only, while the database is shared: with several instances a login started on one fails on another and limits count per instance; use redis://... (or run one instance)")
	}
	if shared && !multiHost(c.Database) {
		if u, err := url.Parse(c.Database); err == nil && u.Hostname() != "" && !isLoopback(u.Hostname()) &&
			u.Query().Get("sslmode") != "verify-full" && !strings.HasPrefix(u.Hostname(), "/") {
			r.warn("database", "the PostgreSQL server "+u.Hostname()+" is reached without sslmode=verify-full: the connection may be unencrypted or reach an impostor; add ?sslmode=verify-full (and sslrootcert= if its CA is private)")
		}
	}
	for _, prefix := range []string{"redis://", "redis+cluster://"} {
		if !strings.HasPrefix(c.Cache, prefix) {
			continue
		}
		rest := strings.TrimPrefix(c.Cache, prefix)
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			rest = rest[i+1:]
		}
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			rest = rest[:i]
		}
		for _, hp := range strings.Split(rest, ",") {
			host := hp
			if u, err := url.Parse("redis://" + hp); err == nil {
				host = u.Hostname()
			}
			if host != "" && !isLoopback(host) {
				r.warn("cache", "the Redis server "+host+" is reached over plain redis://: login states and nonces travel unencrypted; use rediss:// (rediss+cluster://)")
				break
			}
		}
	}
	c.checkKeysFile(r)
	c.checkInternalListen(r)
}

// checkInternalListen checks internal.listen: host:port, not the public
// listener's address, and a warning off loopback and private networks.
func (c *Config) checkInternalListen(r *report) {
	l := c.Internal.Listen
	if l == "" {
		return
	}
	host, port, err := net.SplitHostPort(l)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		r.add("internal.listen", shown(l)+" is not host:port; write e.g. 127.0.0.1:9090")
		return
	}
	if l == c.Listen && port != "0" {
		r.add("internal.listen", "is the same address as listen; give the internal listener its own, e.g. 127.0.0.1:9090")
	}
	ip := net.ParseIP(host)
	if host == "" || ip != nil && ip.IsUnspecified() || ip != nil && !ip.IsLoopback() && !ip.IsPrivate() || ip == nil && !isLoopback(host) {
		r.warn("internal.listen", shown(l)+" may be reachable from outside: /internal/ hands out app access tokens (behind its key) and /metrics shows traffic; prefer a loopback or private address")
	}
}

// checkKeysFile refuses a keyring that users other than the gateway's can
// read (a warning in dev mode), as for secret files: whoever reads it can
// open every sealed openid, session_key and token. A missing file is left
// to the gateway (`wxgate keys init` or dev mode create it).
func (c *Config) checkKeysFile(r *report) {
	if runtime.GOOS == "windows" || c.KeysFile == "" {
		return
	}
	fi, err := os.Stat(c.KeysFile)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		msg := fmt.Sprintf("the keyring %s is open to other users (mode %#o): whoever reads it can open every sealed openid, session_key and token; restrict it: chmod 600 %s", c.KeysFile, uint32(perm), c.KeysFile)
		if c.Dev {
			r.warn("keys_file", msg)
		} else {
			r.add("keys_file", msg)
		}
	}
}
