package gateway

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// Many backends on 4 instances report the same refused token at once:
// one fetch, and every one of them gets the same new token. A late report
// of the old token gets the new one without another fetch.
func TestInternalTokenRefreshIsCompareAndRefresh(t *testing.T) {
	const instances, backends = 4, 12
	c := newCluster(t, clusterOptions{n: instances, tokenMode: "classic", quiet: true})
	auth := []string{"Authorization", "Bearer internal-key-for-tests-0123456789abcdef"}
	st, body := c.request(0, "GET", "/internal/wechat/access_token?app=mp", "", auth...)
	if st != 200 {
		t.Fatalf("first token: %d %s", st, body)
	}
	var first appTokenAnswer
	if err := json.Unmarshal([]byte(body), &first); err != nil || first.AccessToken == "" {
		t.Fatalf("first token: %s", body)
	}
	before := c.emu.Stats().Calls["/cgi-bin/token"]
	report := `{"app":"mp","refused_token":"` + first.AccessToken + `"}`
	got := make([]string, instances*backends)
	var wg sync.WaitGroup
	for k := range got {
		wg.Go(func() {
			st, body := c.post(k%instances, "/internal/wechat/access_token/refresh", report, auth...)
			var a appTokenAnswer
			if st != 200 || json.Unmarshal([]byte(body), &a) != nil {
				t.Errorf("report %d: %d %s", k, st, body)
				return
			}
			got[k] = a.AccessToken
		})
	}
	wg.Wait()
	if n := c.emu.Stats().Calls["/cgi-bin/token"] - before; n != 1 {
		t.Fatalf("%d concurrent reports on %d instances made %d fetches, want 1", len(got), instances, n)
	}
	for k, tok := range got {
		if tok == "" || tok == first.AccessToken || tok != got[0] {
			t.Fatalf("report %d got another token than the others, or the refused one", k)
		}
	}
	// A late report of the old token: the current one, no fetch.
	st, body = c.post(3, "/internal/wechat/access_token/refresh", report, auth...)
	if st != 200 || !strings.Contains(body, got[0]) || c.emu.Stats().Calls["/cgi-bin/token"]-before != 1 {
		t.Fatalf("late report: %d, fetches %d", st, c.emu.Stats().Calls["/cgi-bin/token"]-before)
	}
	// Bad input changes nothing.
	for _, tc := range []struct {
		body, code string
		status     int
		auth       bool
	}{
		{`{"app":"mp"}`, "missing_field", 400, true},
		{`{"app":"nope","refused_token":"x"}`, "unknown_app", 400, true},
		{`{"app":"ios","refused_token":"x"}`, "wrong_app_type", 400, true},
		{`{"app":"mp","refused_token":"x","extra":1}`, "malformed_json", 400, true},
		{`[`, "malformed_json", 400, true},
		{report, "unauthorized", 401, false},
	} {
		h := auth
		if !tc.auth {
			h = nil
		}
		st, body := c.post(1, "/internal/wechat/access_token/refresh", tc.body, h...)
		if st != tc.status || !strings.Contains(body, `"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.body, st, body, tc.status, tc.code)
		}
	}
	if n := c.emu.Stats().Calls["/cgi-bin/token"] - before; n != 1 {
		t.Errorf("bad reports made fetches: %d", n)
	}
}
