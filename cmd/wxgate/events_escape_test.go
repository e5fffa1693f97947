package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Outside text in the audit trail (user agents, reasons) cannot drive the
// operator's terminal or forge table rows.
func TestEventsEscapeControlCharacters(t *testing.T) {
	ev := storage.Event{Time: time.Unix(1700000000, 0), Type: "login", App: "web", IP: "203.0.113.7",
		Detail: map[string]string{
			"user_agent": "Mozilla\x1b[2J\x1b]0;pwned\x07\r\n2026-01-01T00:00:00Z\tlogin\tusr_fake",
			"reason":     "a\u202eb\u2028c\\x1b",
			"nickname":   "微信用户",
			"bad":        "\xff\xfe",
		}}
	var out bytes.Buffer
	if err := printEvents(&out, []storage.Event{ev}, false); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, c := range []string{"\x1b", "\x07", "\r", "\u202e", "\u2028", "\xff"} {
		if strings.Contains(s, c) {
			t.Errorf("the table holds %q:\n%q", c, s)
		}
	}
	if n := strings.Count(s, "\n"); n != 2 {
		t.Errorf("%d lines, want a header and one row:\n%s", n, s)
	}
	for _, want := range []string{`Mozilla\x1b[2J\x1b]0;pwned\a\r\n2026`, `a\u202eb\u2028c\\x1b`, "nickname=微信用户", `bad=\xff\xfe`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in:\n%s", want, s)
		}
	}
}
