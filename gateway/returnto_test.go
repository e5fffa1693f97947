package gateway

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeReturnTo(t *testing.T) {
	const pub = "https://login.example.com"
	allowed := []string{"https://app.example.com", "http://localhost:3000/"}
	tests := []struct {
		in   string
		safe bool
	}{
		{"/", true},
		{"/profile", true},
		{"/a/b?c=d&e=%2F#frag", true},
		{"/search?q=//evil.com", true},
		{"https://login.example.com/x", true},
		{"https://LOGIN.example.com/x", true},
		{"https://app.example.com/orders?id=1", true},
		{"http://localhost:3000/cb", true},

		{"", false},
		{"profile", false},
		{"//evil.com", false},
		{"///evil.com", false},
		{"/\\evil.com", false},
		{"\\\\evil.com", false},
		{"/%2f/evil.com", false},
		{"/%2F%2Fevil.com", false},
		{"%2F%2Fevil.com", false},
		{"/%5cevil.com", false},
		{"/%255cevil.com", false},
		{"/%25252f%25252fevil.com", false},
		{"https://evil.com", false},
		{"http://evil.com/", false},
		{"https://app.example.com.evil.com/", false},
		{"https://evil.com/https://app.example.com", false},
		{"https://login.example.com@evil.com/", false},
		{"https://user:pw@app.example.com/", false},
		{"http://login.example.com/x", false}, // scheme downgrade
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"/\x00/evil.com", false},
		{"/%00", false},
		{"/\r\nSet-Cookie: x=y", false},
		{"/%0d%0aSet-Cookie:x=y", false},
		{"ftp://app.example.com/", false},
		{"/" + strings.Repeat("a", maxReturnTo), false},
		{"https:evil.com", false},
		{"https:/evil.com", false},
	}
	for _, tt := range tests {
		got := safeReturnTo(tt.in, "/", pub, allowed)
		if tt.safe && got != tt.in {
			t.Errorf("safeReturnTo(%q) = %q, want it kept", tt.in, got)
		}
		if !tt.safe && got != "/" {
			t.Errorf("safeReturnTo(%q) = %q, want the fallback", tt.in, got)
		}
	}
}

// FuzzSafeReturnTo checks the invariant whatever the input: the result is
// the fallback, or a path that browsers resolve against the gateway's own
// origin, or a URL on an allowed origin.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "//evil", "/\\evil", "https://app.example.com/x", "/%2f%2fevil", "javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := safeReturnTo(in, "/", "https://login.example.com", []string{"https://app.example.com"})
		base, _ := url.Parse("https://login.example.com/start")
		ref, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q → unparsable %q", in, got)
		}
		abs := base.ResolveReference(ref)
		if abs.Host != "login.example.com" && abs.Host != "app.example.com" {
			t.Fatalf("%q → %q resolves to host %q", in, got, abs.Host)
		}
		if abs.Scheme != "https" || strings.ContainsAny(got, "\\\r\n\x00") {
			t.Fatalf("%q → %q", in, got)
		}
	})
}
