package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
