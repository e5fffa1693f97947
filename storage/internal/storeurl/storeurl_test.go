package storeurl

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, secret := range map[string]string{
		"postgres://wx:s3cr%40t@db:5432/wxgate":                    "s3cr@t",
		"postgres://wx@db/wxgate?password=hunter2&sslmode=require": "hunter2",
		"redis://:r3d1s@cache:6379/0":                              "r3d1s",
		"rediss://user:p%2Fw@cache:6380/0?sslpassword=other":       "p/w",
	} {
		out := Redact(in)
		if strings.Contains(out, secret) || !strings.Contains(out, "xxxxx") {
			t.Errorf("Redact(%q) = %q", in, out)
		}
		msg := "dial " + in + " failed for " + secret
		if strings.Contains(Scrub(msg, in), secret) {
			t.Errorf("Scrub left %q in %q", secret, Scrub(msg, in))
		}
	}
	if got := Redact("postgres://wx@db/wxgate"); got != "postgres://wx@db/wxgate" {
		t.Errorf("a URL without password changed: %q", got)
	}
}
