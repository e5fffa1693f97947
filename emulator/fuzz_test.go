package emulator

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedirectURI checks the callback-domain matcher: whatever it accepts
// is an http(s) URL on the registered host or a subdomain, with the
// registered port, and the redirect built from it stays on that host.
func FuzzRedirectURI(f *testing.F) {
	for _, s := range []struct{ cb, uri string }{
		{"example.com", "https://example.com/cb"},
		{"example.com", "https://a.example.com/cb?x=1#f"},
		{"example.com", "https://example.com@evil.com/"},
		{"example.com", "https://evil.com/.example.com"},
		{"example.com", "https://evilexample.com/"},
		{"example.com", "https://example.com:443/"},
		{"example.com:8080", "http://example.com:8080/"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/cb"},
		{"[::1]:8080", "http://[::1]:8080/"},
		{"example.com", "https://example.com%2eevil.com/"},
		{"example.com", "https://example.com\\@evil.com/"},
	} {
		f.Add(s.cb, s.uri, "state")
	}
	f.Fuzz(func(t *testing.T, domain, uri, state string) {
		cb, err := parseCallback(domain)
		if err != nil || cb.host == "" {
			return
		}
		if _, err := parseCallback(cb.String()); err != nil {
			t.Fatalf("callback %q does not round-trip: %v", cb.String(), err)
		}
		if !cb.allows(uri) {
			return
		}
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatalf("accepted unparsable %q", uri)
		}
		host := strings.ToLower(u.Hostname())
		if u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Port() != cb.port {
			t.Fatalf("accepted %q for %q", uri, domain)
		}
		if host != cb.host && (cb.ip || !strings.HasSuffix(host, "."+cb.host)) {
			t.Fatalf("accepted host %q for %q", host, cb.host)
		}
		to := withCode(uri, "CODE", state)
		v, err := url.Parse(to)
		if err != nil {
			t.Fatalf("redirect %q does not parse: %v", to, err)
		}
		if v.Host != u.Host || v.Query().Get("code") != "CODE" || v.Query().Get("state") != state || v.Fragment != u.Fragment {
			t.Fatalf("redirect %q from %q lost its host, code, state or fragment", to, uri)
		}
		if d := withState(uri, state); !strings.Contains(d, "state=") {
			t.Fatalf("deny redirect %q", d)
		}
	})
}

// FuzzControlJSON checks the control API's strict decoder on every request
// type: no panic, and whatever it accepts is one JSON object.
func FuzzControlJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"type":"website","callback_domain":"a.com"}`, `{"user_id":"u1"}`, `{"advance_seconds":5}`, `{"path":"/cgi-bin/token","errcode":-1}`, `{"a":1}`, `[]`, `null`, `{"nickname":"\u0000"}`, `{}{}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		targets := []func() any{
			func() any { return &AppSpec{} }, func() any { return &UserSpec{} }, func() any { return &UserPatch{} },
			func() any { return &userRef{} }, func() any { return &appUserRequest{} }, func() any { return &mobileRequest{} },
			func() any { return &clockRequest{} }, func() any { return &Fault{} },
		}
		for _, newT := range targets {
			err := decodeStrict(b, newT(), false)
			if err == nil && !strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
				t.Fatalf("accepted a non-object %q", b)
			}
			if err != nil {
				ce := asError(err)
				if ce.Status < 400 || ce.Status > 499 || ce.Code == "" {
					t.Fatalf("error %+v is not a clear 4xx", ce)
				}
			}
		}
		// Whatever decodes must also validate without panicking.
		var s AppSpec
		if decodeStrict(b, &s, false) == nil {
			_ = validateAppSpec(&s)
		}
		var u UserSpec
		if decodeStrict(b, &u, false) == nil {
			_ = validateProfile(nil, u.Nickname, u.Province, u.City, u.Country, u.HeadImgURL, u.Sex, u.Phone, u.CountryCode)
		}
	})
}

// FuzzFixture checks the fixture parser in both formats: no panic, and an
// accepted fixture either loads into an emulator or fails New with an
// error.
func FuzzFixture(f *testing.F) {
	f.Add([]byte("identity_salt: 0123456789abcdef\napps:\n  - {type: website, callback_domain: a.com}\nusers:\n  - {user_id: alice}\n"), "yaml")
	f.Add([]byte(`{"apps":[{"type":"miniprogram"}],"behaviour":{"require_state":false}}`), "json")
	f.Add([]byte("behaviour: {deny_redirect: none}\n"), "")
	f.Add([]byte("&a [*a]"), "")
	f.Fuzz(func(t *testing.T, b []byte, format string) {
		if format != "json" && format != "yaml" {
			format = ""
		}
		fx, err := ParseFixture(b, format)
		if err != nil {
			return
		}
		if len(fx.Apps) > 50 || len(fx.Users) > 50 {
			return
		}
		if e, err := New(Options{Fixture: fx}); err == nil && len(e.Apps()) != len(fx.Apps) {
			t.Fatalf("loaded %d apps of %d", len(e.Apps()), len(fx.Apps))
		}
	})
}
