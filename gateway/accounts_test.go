package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/admin"
	"github.com/wxgate/wxgate/storage"
)

// oaBase logs a browser in through the official account's silent
// snsapi_base (WeChat gives no unionid there) and returns the user id.
func (h *harness) oaBase(b *browser, user string) string {
	h.t.Helper()
	emu, _ := url.Parse(h.emuURL)
	b.c.Jar.SetCookies(emu, []*http.Cookie{{Name: "wxemu_user", Value: user}})
	a := b.get("/auth/wechat/authorize?app=oa&scope=snsapi_base")
	a = b.get(strings.TrimSuffix(a.header.Get("Location"), "#wechat_redirect"))
	a = b.get(a.header.Get("Location"))
	if a.status != 302 || b.sessionCookie() == "" {
		h.t.Fatalf("snsapi_base login = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	return userID(b.me())
}

// oaUserinfo logs a browser in through the official account with
// snsapi_userinfo (consent; unionid known) and returns the user id.
func (h *harness) oaUserinfo(b *browser, user string) string {
	h.t.Helper()
	a := b.get("/auth/wechat/authorize?app=oa&scope=snsapi_userinfo&return_to=/m")
	page := b.get(strings.TrimSuffix(a.header.Get("Location"), "#wechat_redirect"))
	cb, err := h.emu.Confirm(page.header.Get("X-Wxemu-Uuid"), user)
	if err != nil {
		h.t.Fatalf("consent: %v", err)
	}
	if a = b.get(cb); a.status != 302 {
		h.t.Fatalf("snsapi_userinfo callback = %d %s", a.status, a.header.Get("X-Wxgate-Error"))
	}
	return userID(b.me())
}

// The split of issue 11: met first through the official account's silent
// snsapi_base login, then through the website, a person was two users
// forever. Now the first login that brings the unionid merges them, the
// old id resolves to the merged user, and the audit trail says so.
func TestSplitPersonMerged(t *testing.T) {
	h := newHarness(t)
	u := h.user("Zhang")
	oa := h.browser()
	first := h.oaBase(oa, u)
	web := h.browser()
	web.qrLogin(u, "app=web")
	holder := userID(web.me())
	if first == "" || holder == "" || first == holder {
		t.Fatalf("before: users %q and %q; want two", first, holder)
	}

	if got := h.oaUserinfo(oa, u); got != holder {
		t.Errorf("after snsapi_userinfo: user %q, want the website's %q", got, holder)
	}
	// The snsapi_base session of the merged user stays valid, and now
	// names the merged user; so does the website's.
	if got := userID(web.me()); got != holder {
		t.Errorf("website session: user %q, want %q", got, holder)
	}
	ctx := t.Context()
	if got, err := h.store.GetUser(ctx, first); err != nil || got.ID != holder {
		t.Errorf("GetUser(old id) = %q, %v; want %q", got.ID, err, holder)
	}
	evs, err := h.store.ListEvents(ctx, storage.EventFilter{Type: storage.EventUserMerged})
	if err != nil || len(evs) != 1 || evs[0].Detail["from"] != first || evs[0].Detail["into"] != holder {
		t.Errorf("user_merged events = %+v, %v", evs, err)
	}
	idns, err := h.store.ListIdentities(ctx, holder)
	if err != nil || len(idns) != 2 {
		t.Errorf("merged user's identities: %d, %v; want 2", len(idns), err)
	}
	if !strings.Contains(h.logs.String(), "merged two users of one person") {
		t.Errorf("no log line for the merge")
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}

// With accounts.merge: manual the two users stay apart, and the operator
// finds a merge_conflict event naming both.
func TestSplitPersonManual(t *testing.T) {
	h := newHarness(t, withYAML("accounts:\n  merge: manual\n"))
	u := h.user("Zhang")
	oa := h.browser()
	first := h.oaBase(oa, u)
	web := h.browser()
	web.qrLogin(u, "app=web")
	holder := userID(web.me())
	if got := h.oaUserinfo(oa, u); got != first {
		t.Errorf("after snsapi_userinfo: user %q, want still %q", got, first)
	}
	evs, err := h.store.ListEvents(t.Context(), storage.EventFilter{Type: storage.EventMergeConflict})
	if err != nil || len(evs) != 1 || evs[0].Detail["user_id"] != first || evs[0].Detail["other_user_id"] != holder {
		t.Errorf("merge_conflict events = %+v, %v", evs, err)
	}
	if !strings.Contains(h.logs.String(), "merge them (accounts.merge is manual)") {
		t.Errorf("no log line for the conflict")
	}
}

// A phone moving with a merge opens for the user it joins, and only
// there.
func TestResealPhone(t *testing.T) {
	h := newHarness(t)
	sealed, err := h.gw.seal(fieldPhone, []byte("usr-from"), "+8613800138000")
	if err != nil {
		t.Fatal(err)
	}
	moved, err := h.gw.ResealPhone(sealed, "usr-from", "usr-into")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := h.gw.open(fieldPhone, []byte("usr-into"), moved); err != nil || p != "+8613800138000" {
		t.Errorf("open for the new user = %q, %v", p, err)
	}
	if _, err := h.gw.open(fieldPhone, []byte("usr-from"), moved); err == nil {
		t.Errorf("the re-sealed phone still opens for the old user")
	}
	if _, err := h.gw.ResealPhone(sealed, "usr-other", "usr-into"); err == nil {
		t.Errorf("ResealPhone accepted a phone sealed for another user")
	}
}

// The admin API is mounted under /admin/api/ with the configured key, and
// a merge in a login reaches the webhook, signed.
func TestAdminAPIAndWebhook(t *testing.T) {
	const adminKey = "admin-key-for-gateway-tests-0123456789"
	const whSecret = "webhook-secret-for-gateway-tests-0123"
	got := make(chan *http.Request, 4)
	bodies := make(chan string, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- string(b)
	}))
	defer recv.Close()
	h := newHarness(t, withEnv("ADMIN_KEY", adminKey), withEnv("WH_SECRET", whSecret),
		withYAML("admin:\n  api_key_env: ADMIN_KEY\naccounts:\n  webhook_url: "+recv.URL+"\n  webhook_secret_env: WH_SECRET\ndev: true\n"))
	u := h.user("Zhang")
	oa := h.browser()
	first := h.oaBase(oa, u)
	web := h.browser()
	web.qrLogin(u, "app=web")
	holder := userID(web.me())
	h.oaUserinfo(oa, u)

	r := <-got
	body := <-bodies
	h.gw.webhook.Wait()
	if !strings.Contains(body, `"from":"`+first+`"`) || !strings.Contains(body, `"into":"`+holder+`"`) || !strings.Contains(body, `"type":"user.merged"`) {
		t.Errorf("webhook body: %s", body)
	}
	sig := r.Header.Get("X-Wxgate-Signature")
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if want := admin.Sign(whSecret, time.Unix(sec, 0), []byte(body)); sig != want {
		t.Errorf("webhook signature %q, want %q", sig, want)
	}

	a := h.do("GET", "/admin/api/users/"+first, nil, "Authorization", "Bearer "+adminKey)
	if a.status != 200 || a.str("merged_into") != holder || !strings.Contains(a.raw, `"app":"oa"`) || !strings.Contains(a.raw, `"app_type":"official_account"`) {
		t.Errorf("admin show = %d %s", a.status, a.raw)
	}
	h.wantStatus(h.do("GET", "/admin/api/users", nil), 401, "unauthorized")
	h.wantStatus(h.do("GET", "/admin/api/users", nil, "Authorization", "Bearer "+h.env["INTERNAL_KEY"]), 401, "unauthorized")
	// Blocking ends the browser sessions at once; the next login is refused.
	a = h.do("POST", "/admin/api/users/"+holder+"/block", nil, "Authorization", "Bearer "+adminKey)
	if a.status != 200 {
		t.Fatalf("block = %d %s", a.status, a.raw)
	}
	for _, b := range []*browser{web, oa} {
		if a := b.me(); a.status != 401 || !strings.Contains(a.raw, "session_expired") {
			t.Errorf("session of the blocked user: %d %s", a.status, a.raw)
		}
	}
	h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}), 403, "account_blocked")
	a = h.do("POST", "/admin/api/users/"+holder+"/unblock", nil, "Authorization", "Bearer "+adminKey)
	if a.status != 200 {
		t.Fatalf("unblock = %d %s", a.status, a.raw)
	}
	if gu, err := h.store.GetUser(t.Context(), holder); err != nil || !gu.BlockedAt.IsZero() {
		t.Fatalf("after unblock: %+v %v (%s)", gu.BlockedAt, err, a.raw)
	}
	h.mpLogin("mp", u)
	h.assertNoLeak(h.secretsSeen(u)...)
}

func TestAdminAPIOff(t *testing.T) {
	h := newHarness(t)
	h.wantStatus(h.do("GET", "/admin/api/users", nil, "Authorization", "Bearer x"), 404, "admin_off")
}

func TestSignupPolicy(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		h := newHarness(t, withYAML("accounts:\n  signup: closed\n"))
		u := h.user("New")
		h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u)}), 403, "signup_closed")
		if us, _ := h.store.SearchUsers(t.Context(), storage.UserQuery{}); len(us) != 0 {
			t.Errorf("%d users after a refused signup", len(us))
		}
	})
	t.Run("allowlist", func(t *testing.T) {
		codes := t.TempDir() + "/invitations"
		if err := os.WriteFile(codes, []byte("# invitations\nWELCOME-2026\n  friends-of-acme  \n"), 0o600); err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, withYAML("accounts:\n  signup: allowlist\n  invitation_codes_file: "+codes+"\n"))
		u := h.user("Invited")
		for _, inv := range []string{"", "welcome-2026", "WELCOME", "# invitations"} {
			body := map[string]string{"app": "mp", "code": h.wxLogin("mp", u), "invitation": inv}
			h.wantStatus(h.do("POST", "/auth/miniprogram/login", body), 403, "signup_closed")
		}
		h.wantStatus(h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", u), "invitation": "friends-of-acme"}), 200, "")
		// Known now: no invitation needed, also through another app of
		// the open account.
		h.mpLogin("mp", u)
		h.wantStatus(h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mobileCode(t, h, u)}), 200, "")
		if us, _ := h.store.SearchUsers(t.Context(), storage.UserQuery{}); len(us) != 1 {
			t.Errorf("%d users, want 1", len(us))
		}
	})
}

func mobileCode(t *testing.T, h *harness, u string) string {
	t.Helper()
	mc, err := h.emu.MobileAuthorize(h.apps["ios"].AppID, u, "s")
	if err != nil {
		t.Fatal(err)
	}
	return mc.Code
}
