package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
)

func meUser(t *testing.T, a answer) map[string]any {
	t.Helper()
	var body struct {
		User map[string]any `json:"user"`
	}
	if err := json.Unmarshal([]byte(a.raw), &body); err != nil {
		t.Fatalf("me = %s", a.raw)
	}
	return body.User
}

func TestAvatarIsCopied(t *testing.T) {
	h := newHarness(t)
	u := h.user("Pic")
	b := h.browser()
	b.qrLogin(u, "app=web")
	first, _ := meUser(t, b.me())["avatar_url"].(string)
	if !strings.HasPrefix(first, h.url+"/auth/avatars/av_") {
		t.Fatalf("avatar_url = %q: not the gateway's copy", first)
	}
	img := b.get(strings.TrimPrefix(first, h.url))
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" || !strings.Contains(img.header.Get("Cache-Control"), "immutable") ||
		img.header.Get("X-Content-Type-Options") != "nosniff" || len(img.raw) < 50 {
		t.Fatalf("avatar = %d %v (%d bytes)", img.status, img.header, len(img.raw))
	}
	// The person changes their avatar: WeChat's old URL dies, ours lives on.
	wechatOld, _ := h.emu.GetUser(u)
	if _, err := h.emu.UpdateUser(u, emulator.UserPatch{RegenerateAvatar: true}); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(strings.Replace(wechatOld.HeadImgURL, "http://localhost", h.emuURL, 1)); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("the emulator still serves the old avatar: %d", resp.StatusCode)
		}
	}
	if img := b.get(strings.TrimPrefix(first, h.url)); img.status != 200 {
		t.Fatalf("the copy died with WeChat's URL: %d", img.status)
	}
	// The next login copies the new one and drops the old copy.
	fetches := h.emu.Stats().Calls["/mmopen"]
	b.qrLogin(u, "app=web")
	second, _ := meUser(t, b.me())["avatar_url"].(string)
	if second == first || !strings.HasPrefix(second, h.url+"/auth/avatars/") {
		t.Fatalf("avatar after the change = %q", second)
	}
	if a := b.get(strings.TrimPrefix(first, h.url)); a.status != 404 {
		t.Errorf("the old copy is still served: %d", a.status)
	}
	// An unchanged avatar is not fetched again.
	after := h.emu.Stats().Calls["/mmopen"]
	b.qrLogin(u, "app=web")
	if third, _ := meUser(t, b.me())["avatar_url"].(string); third != second {
		t.Errorf("avatar changed without a change: %q → %q", second, third)
	}
	if n := h.emu.Stats().Calls["/mmopen"]; n != after || after != fetches+1 {
		t.Errorf("avatar fetches: %d → %d → %d", fetches, after, n)
	}
	for _, bad := range []string{"/auth/avatars/nope", "/auth/avatars/../../etc/passwd", "/auth/avatars/" + strings.Repeat("a", 100)} {
		if a := b.get(bad); a.status == 200 || strings.HasPrefix(a.header.Get("Content-Type"), "image/") {
			t.Errorf("GET %s = %d %s", bad, a.status, a.header.Get("Content-Type"))
		}
	}
}

func TestProfileRefreshUsesTheRefreshToken(t *testing.T) {
	h := newHarness(t, withYAML("sessions:\n  idle_timeout: 72h\n"))
	u := h.user("Before")
	b := h.browser()
	loginAt := h.clock.now()
	b.qrLogin(u, "app=web")
	nick := "After"
	if _, err := h.emu.UpdateUser(u, emulator.UserPatch{Nickname: &nick}); err != nil {
		t.Fatal(err)
	}
	// Within a day nothing is asked of WeChat.
	calls := h.emu.Stats().Calls
	if meUser(t, b.me())["nickname"] != "Before" || h.emu.Stats().Calls["/sns/userinfo"] != calls["/sns/userinfo"] {
		t.Fatal("profile refreshed within a day")
	}
	// A day later the access token (2 hours) has expired on both clocks:
	// the gateway renews it with the refresh token, then reads the profile.
	h.clock.advance(25 * time.Hour)
	h.emu.Advance(25 * time.Hour)
	if got := meUser(t, b.me())["nickname"]; got != "After" {
		t.Fatalf("nickname after refresh = %v", got)
	}
	st := h.emu.Stats().Calls
	if st["/sns/oauth2/refresh_token"] != calls["/sns/oauth2/refresh_token"]+1 || st["/sns/userinfo"] != calls["/sns/userinfo"]+1 {
		t.Errorf("refresh_token %d → %d, userinfo %d → %d", calls["/sns/oauth2/refresh_token"], st["/sns/oauth2/refresh_token"], calls["/sns/userinfo"], st["/sns/userinfo"])
	}
	// Renewing the access token did not renew the refresh token: it still
	// expires 30 days after the login, as WeChat documents.
	idents, err := h.store.ScanIdentities(context.Background(), "", 10)
	if err != nil || len(idents) != 1 {
		t.Fatalf("identities: %d %v", len(idents), err)
	}
	want := loginAt.Add(30 * 24 * time.Hour)
	if d := idents[0].RefreshExpiresAt.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("refresh token expires %v, want about %v", idents[0].RefreshExpiresAt, want)
	}
	if !idents[0].AccessExpiresAt.After(h.clock.now()) {
		t.Errorf("the renewed access token expires %v, before now", idents[0].AccessExpiresAt)
	}
	h.assertNoLeak(h.secretsSeen(u)...)
}
