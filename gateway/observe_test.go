package gateway

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/storage"
)

// metricValue returns a sample's value from the Prometheus text format.
func metricValue(t *testing.T, body, name string, labels ...string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
			}
		}
		if ok {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	u := h.user("m")
	used := h.wxLogin("mp", u)
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": used}), 200, "")
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": used}), 400, "invalid_code")
	tok := h.mpLogin("mp", u).str("token")
	h.wxLogin("mp", u) // the stored key goes stale
	p, _ := h.ctl.MiniProgramUserInfo(context.Background(), h.apps["mp"].AppID, u)
	h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": p.EncryptedData, "iv": p.IV}, bearer(tok)...)
	b := h.browser()
	b.get("/auth/wechat/callback?code=x&state=" + strings.Repeat("a", 32))
	h.ctl.SetFault(context.Background(), emulator.Fault{Path: "/sns/jscode2session", ErrCode: 45011})
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)})

	m := h.do("GET", "/metrics", nil)
	if m.status != 200 || !strings.Contains(m.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics = %d %v", m.status, m.header)
	}
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"wxgate_logins_total", []string{`app="mp"`, `outcome="ok"`, `type="miniprogram"`}, 2},
		{"wxgate_logins_total", []string{`app="mp"`, `outcome="invalid_code"`}, 1},
		{"wxgate_logins_total", []string{`app="mp"`, `outcome="wechat_rate_limited"`}, 1},
		{"wxgate_wechat_errors_total", []string{`path="/sns/jscode2session"`, `errcode="40163"`}, 1},
		{"wxgate_wechat_errors_total", []string{`path="/sns/jscode2session"`, `errcode="45011"`}, 1},
		{"wxgate_wechat_errors_total", []string{`path="/wxa/checksession"`, `errcode="87009"`}, 0}, // counted as a decrypt outcome, not a failure
		{"wxgate_wechat_requests_total", []string{`path="/sns/jscode2session"`, `status="200"`}, 4},
		{"wxgate_wechat_request_duration_seconds_count", []string{`path="/sns/jscode2session"`}, 4},
		{"wxgate_access_token_fetches_total", []string{`app="mp"`, `mode="stable"`, `outcome="ok"`}, 1},
		{"wxgate_decrypt_failures_total", []string{`app="mp"`, `reason="session_key_stale"`}, 1},
		{"wxgate_login_state_failures_total", []string{`reason="state_cookie_missing"`}, 1},
		{"wxgate_http_requests_total", []string{`route="/auth/miniprogram/login"`, `code="2xx"`}, 2},
	}
	for _, c := range checks {
		if got := metricValue(t, m.raw, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Labels never carry ids, codes or openids.
	if regexp.MustCompile(`(usr_|ses_|wxgs_|="o[A-Za-z0-9_-]{27}")`).MatchString(m.raw) {
		t.Error("a metric label carries an id or openid")
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestAuditTrail(t *testing.T) {
	h := newHarness(t)
	u := h.user("a")
	tok := h.mpLogin("mp", u).str("token")
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"}, "User-Agent", "test-agent/1")
	h.do("POST", "/auth/logout", nil, bearer(tok)...)
	mallory := h.browser()
	evil := h.scan(mallory.startQR("app=web"), u)
	victim := h.browser()
	victim.startQR("app=web")
	victim.get(evil)

	evs, err := h.store.ListEvents(context.Background(), storage.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]storage.Event{}
	for _, e := range evs {
		byType[e.Type] = append(byType[e.Type], e)
		if e.IP != "127.0.0.1" || e.Time.IsZero() {
			t.Errorf("event %+v lacks who or when", e)
		}
	}
	if l := byType[EventLogin]; len(l) != 1 || !strings.HasPrefix(l[0].UserID, "usr_") || l[0].App != "mp" || l[0].Detail["type"] != "miniprogram" {
		t.Errorf("login events = %+v", l)
	}
	if l := byType[EventLoginFailed]; len(l) != 1 || l[0].Detail["error"] != "invalid_code" || l[0].Detail["user_agent"] != "test-agent/1" {
		t.Errorf("failed login events = %+v", l)
	}
	if l := byType[EventLogout]; len(l) != 1 {
		t.Errorf("logout events = %+v", l)
	}
	if l := byType[EventStateFailed]; len(l) != 1 || l[0].Detail["reason"] != "state_mismatch" {
		t.Errorf("state events = %+v", l)
	}
	var all strings.Builder
	for _, e := range evs {
		all.WriteString(e.UserID + e.App + e.IP)
		for k, v := range e.Detail {
			all.WriteString(k + v)
		}
	}
	for _, s := range append(h.secretsSeen(u), h.codes...) {
		if s != "" && strings.Contains(all.String(), s) {
			t.Errorf("an event holds a secret value")
		}
	}
}
