package gateway

import (
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/storage"
)

// WeChat's present-day placeholders ("微信用户", sex 0, empty place, the
// grey avatar) never replace a real profile the gateway already has.
func TestPlaceholdersNeverOverwriteARealProfile(t *testing.T) {
	h := newHarness(t)
	u := h.user("Alice")
	b := h.browser()
	b.qrLogin(u, "app=web")
	first := meUser(t, b.me())
	if first["nickname"] != "Alice" {
		t.Fatalf("first login: %v", first)
	}
	nick, zero, empty := placeholderNickname, 0, ""
	grey := "https://thirdwx.qlogo.cn" + placeholderAvatarPath + "132"
	if _, err := h.emu.UpdateUser(u, emulator.UserPatch{Nickname: &nick, Sex: &zero, Province: &empty, City: &empty, Country: &empty, HeadImgURL: &grey}); err != nil {
		t.Fatal(err)
	}
	b.qrLogin(u, "app=web")
	after := meUser(t, b.me())
	if after["nickname"] != "Alice" || after["avatar_url"] != first["avatar_url"] {
		t.Fatalf("after a login with WeChat's placeholders: %v, before %v", after, first)
	}
	st, err := h.store.GetUser(t.Context(), userIDOf(t, after))
	if err != nil || st.City != "Shenzhen" {
		t.Fatalf("stored user after placeholders: %+v %v", st, err)
	}
	// A first login with placeholders keeps them: there is nothing better.
	v := h.user(placeholderNickname)
	b2 := h.browser()
	b2.qrLogin(v, "app=web")
	if got := meUser(t, b2.me())["nickname"]; got != placeholderNickname {
		t.Fatalf("first login with the placeholder: %v", got)
	}
}

func TestMergeProfile(t *testing.T) {
	u := storage.User{Nickname: "Bo", Sex: 1, City: "Hangzhou"}
	mergeProfile(&u, placeholderNickname, 0, "", "", "")
	if u.Nickname != "Bo" || u.Sex != 1 || u.City != "Hangzhou" {
		t.Fatalf("placeholders overwrote: %+v", u)
	}
	mergeProfile(&u, "Bob", 2, "Zhejiang", "Ningbo", "CN")
	if u.Nickname != "Bob" || u.Sex != 2 || u.City != "Ningbo" {
		t.Fatalf("a real change was dropped: %+v", u)
	}
}

func userIDOf(t *testing.T, u map[string]any) string {
	t.Helper()
	id, _ := u["id"].(string)
	if id == "" {
		t.Fatalf("no user id in %v", u)
	}
	return id
}
