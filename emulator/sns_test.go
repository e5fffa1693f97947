package emulator_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func TestOAuthAccessTokenWireFormat(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "acme")
	uid := v.user()
	m := v.get("/sns/oauth2/access_token", url.Values{"appid": {web.AppID}, "secret": {web.Secret}, "code": {v.oauthCode(web, uid)}, "grant_type": {"authorization_code"}})
	wantNoErrcode(t, m)
	wantNumber(t, m, "expires_in", 7200)
	id, _ := v.e.Identity(uid, web.AppID)
	if str(m, "openid") != id.OpenID || str(m, "unionid") != id.UnionID || str(m, "scope") != "snsapi_login" {
		t.Fatalf("answer %v, identity %+v", m, id)
	}
	if at := str(m, "access_token"); len(at) < 100 || strings.ContainsAny(at, "+/=") {
		t.Fatalf("access_token %q is not a long URL-safe string", at)
	}
	if len(str(m, "refresh_token")) < 100 {
		t.Fatalf("refresh_token too short")
	}
	if _, ok := m["is_snapshotuser"]; ok {
		t.Fatal("is_snapshotuser must be absent for normal users")
	}
}

func TestOAuthAccessTokenErrors(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	other := v.app(wechat.AppTypeWebsite, "")
	uid := v.user()
	used := v.oauthCode(web, uid)
	if _, err := v.client(web).ExchangeCode(context.Background(), used); err != nil {
		t.Fatal(err)
	}
	foreign := v.oauthCode(other, uid)
	expired := v.oauthCode(web, uid)
	fresh := v.oauthCode(web, uid)
	js := func() string {
		mp := v.app(wechat.AppTypeMiniProgram, "")
		c, _ := v.e.MiniProgramLogin(mp.AppID, uid)
		return c
	}()
	q := func(kv ...string) url.Values {
		out := url.Values{"appid": {web.AppID}, "secret": {web.Secret}, "code": {fresh}, "grant_type": {"authorization_code"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				out.Del(kv[i])
			} else {
				out.Set(kv[i], kv[i+1])
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		code string
	}{
		{"missing appid", q("appid", ""), "41002"},
		{"missing secret", q("secret", ""), "41004"},
		{"missing code", q("code", ""), "41008"},
		{"missing grant_type", q("grant_type", ""), "40002"},
		{"wrong grant_type", q("grant_type", "client_credential"), "40002"},
		{"unknown appid", q("appid", "wx0000000000000000"), "40013"},
		{"wrong secret", q("secret", strings.Repeat("0", 32)), "40125"},
		{"unknown code", q("code", "nope"), "40029"},
		{"another app's code", q("code", foreign), "40029"},
		{"a js_code", q("code", js), "40029"},
		{"used code", q("code", used), "40163"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.get("/sns/oauth2/access_token", tc.q), tc.code) })
	}
	// The foreign code was not consumed by the wrong app.
	if _, err := v.client(other).ExchangeCode(context.Background(), foreign); err != nil {
		t.Fatalf("foreign code burnt: %v", err)
	}
	v.e.Advance(5*time.Minute - time.Second)
	if _, err := v.client(web).ExchangeCode(context.Background(), fresh); err != nil {
		t.Fatalf("code at 4:59: %v", err)
	}
	v.e.Advance(time.Second)
	_, err := v.client(web).ExchangeCode(context.Background(), expired)
	wantWeChat(t, err, 40029)
}

func TestExpiredCodeErrcodeOption(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{ExpiredCodeErrcode: 42003}))
	web := v.app(wechat.AppTypeWebsite, "")
	c := v.oauthCode(web, v.user())
	v.e.Advance(5 * time.Minute)
	_, err := v.client(web).ExchangeCode(context.Background(), c)
	wantWeChat(t, err, 42003)
}

func TestOpenIDPerAppUnionIDPerOpenAccount(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "acme")
	mobile := v.app(wechat.AppTypeMobile, "acme")
	oa := v.app(wechat.AppTypeOfficialAccount, "acme")
	loner := v.app(wechat.AppTypeWebsite, "")
	other := v.app(wechat.AppTypeWebsite, "globex")
	u1, u2 := v.user(), v.user()
	ids := map[string]emulator.Identity{}
	for _, a := range []emulator.App{web, mobile, oa, loner, other} {
		for _, u := range []string{u1, u2} {
			id, err := v.e.Identity(u, a.AppID)
			if err != nil {
				t.Fatal(err)
			}
			if len(id.OpenID) != 28 || id.OpenID[0] != 'o' {
				t.Fatalf("openid %q is not 28 characters starting with o", id.OpenID)
			}
			ids[a.AppID+u] = id
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id.OpenID] {
			t.Fatalf("openid %s repeats across apps or users", id.OpenID)
		}
		seen[id.OpenID] = true
	}
	if ids[web.AppID+u1].UnionID == "" || ids[web.AppID+u1].UnionID != ids[mobile.AppID+u1].UnionID || ids[web.AppID+u1].UnionID != ids[oa.AppID+u1].UnionID {
		t.Fatal("apps of one open account must share the unionid")
	}
	if ids[web.AppID+u1].UnionID == ids[web.AppID+u2].UnionID || ids[other.AppID+u1].UnionID == ids[web.AppID+u1].UnionID {
		t.Fatal("unionid must differ per user and per open account")
	}
	if ids[loner.AppID+u1].UnionID != "" {
		t.Fatal("an app without open account has no unionid")
	}
	// The token exchange of the mobile app reports the same identity.
	mc, err := v.e.MobileAuthorize(mobile.AppID, u1, "s")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.client(mobile).ExchangeCode(context.Background(), mc.Code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.OpenID != ids[mobile.AppID+u1].OpenID || tok.UnionID != ids[mobile.AppID+u1].UnionID || tok.Scope != "snsapi_userinfo" {
		t.Fatalf("mobile token %+v", tok)
	}
}

func TestIdentitySaltMakesIdentitiesStable(t *testing.T) {
	fx := &emulator.Fixture{
		IdentitySalt: "0123456789abcdef0123",
		Apps:         []emulator.AppSpec{{AppID: "wx1111111111111111", Type: wechat.AppTypeMiniProgram, OpenAccount: "acme"}},
		Users:        []emulator.UserSpec{{UserID: "alice"}},
	}
	var got []emulator.Identity
	for i := 0; i < 2; i++ {
		e, err := emulator.New(emulator.Options{Fixture: fx})
		if err != nil {
			t.Fatal(err)
		}
		id, err := e.Identity("alice", "wx1111111111111111")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if got[0] != got[1] {
		t.Fatalf("identities differ across restarts: %+v", got)
	}
}

func TestOfficialAccountUnionIDOnlyForUserInfo(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "acme")
	uid := v.user()
	for _, tc := range []struct {
		scope   wechat.Scope
		unionid bool
	}{{wechat.ScopeBase, false}, {wechat.ScopeUserInfo, true}} {
		resp, _ := v.page("/connect/oauth2/authorize", authorizeQuery(oa, "https://example.com/cb", tc.scope, "s"), "")
		to, err := v.e.Confirm(resp.Header.Get("X-Wxemu-Uuid"), uid)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(to)
		m := v.get("/sns/oauth2/access_token", url.Values{"appid": {oa.AppID}, "secret": {oa.Secret}, "code": {u.Query().Get("code")}, "grant_type": {"authorization_code"}})
		wantNoErrcode(t, m)
		if _, has := m["unionid"]; has != tc.unionid || str(m, "scope") != string(tc.scope) {
			t.Fatalf("%s: %v", tc.scope, m)
		}
	}
}

func TestRefreshSemantics(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	wc := v.client(web)
	ctx := context.Background()
	tok, err := wc.ExchangeCode(ctx, v.oauthCode(web, v.user()))
	if err != nil {
		t.Fatal(err)
	}
	// Unexpired: the same access token, with a fresh 7200 s.
	v.e.Advance(7000 * time.Second)
	r1 := v.get("/sns/oauth2/refresh_token", url.Values{"appid": {web.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken.Reveal()}})
	wantNoErrcode(t, r1)
	wantNumber(t, r1, "expires_in", 7200)
	if str(r1, "access_token") != tok.AccessToken.Reveal() || str(r1, "refresh_token") != tok.RefreshToken.Reveal() || str(r1, "openid") != tok.OpenID || str(r1, "scope") != "snsapi_login" {
		t.Fatalf("renewal changed the tokens: %v", r1)
	}
	v.e.Advance(7199 * time.Second) // 14199 s after issue: alive only thanks to the renewal
	if err := wc.CheckAuth(ctx, tok.AccessToken, tok.OpenID); err != nil {
		t.Fatalf("renewed token: %v", err)
	}
	v.e.Advance(time.Second)
	wantWeChat(t, wc.CheckAuth(ctx, tok.AccessToken, tok.OpenID), 42001)
	// Expired: a new access token; the refresh token string stays.
	t2, err := wc.RefreshToken(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if t2.AccessToken.Equal(tok.AccessToken) || !t2.RefreshToken.Equal(tok.RefreshToken) {
		t.Fatal("expired access token must be replaced, refresh token kept")
	}
	if err := wc.CheckAuth(ctx, t2.AccessToken, tok.OpenID); err != nil {
		t.Fatal(err)
	}
	wantWeChat(t, wc.CheckAuth(ctx, tok.AccessToken, tok.OpenID), 42001)
	// The refresh token keeps its original 30 days.
	v.e.Advance(30*24*time.Hour - 14200*time.Second - time.Second)
	if _, err := wc.RefreshToken(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("refresh token at 30 days minus 1 s: %v", err)
	}
	v.e.Advance(time.Second)
	_, err = wc.RefreshToken(ctx, tok.RefreshToken)
	wantWeChat(t, err, 42002)
}

func TestRefreshErrors(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "")
	other := v.app(wechat.AppTypeWebsite, "")
	tok, err := v.client(web).ExchangeCode(context.Background(), v.oauthCode(web, v.user()))
	if err != nil {
		t.Fatal(err)
	}
	rt := tok.RefreshToken.Reveal()
	for _, tc := range []struct {
		name string
		q    url.Values
		code string
	}{
		{"missing appid", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "41002"},
		{"missing refresh_token", url.Values{"appid": {web.AppID}, "grant_type": {"refresh_token"}}, "41003"},
		{"wrong grant_type", url.Values{"appid": {web.AppID}, "grant_type": {"authorization_code"}, "refresh_token": {rt}}, "40002"},
		{"unknown appid", url.Values{"appid": {"wxnope"}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}, "40013"},
		{"unknown token", url.Values{"appid": {web.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {"garbage"}}, "40030"},
		{"another app", url.Values{"appid": {other.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}, "40030"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, v.get("/sns/oauth2/refresh_token", tc.q), tc.code) })
	}
}

func TestRotateRefreshTokenOption(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{RotateRefreshToken: emulator.SwitchOn, RefreshTokenDays: 180}))
	mobile := v.app(wechat.AppTypeMobile, "")
	mc, _ := v.e.MobileAuthorize(mobile.AppID, v.user(), "")
	ctx := context.Background()
	wc := v.client(mobile)
	tok, err := wc.ExchangeCode(ctx, mc.Code)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := wc.RefreshToken(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if t2.RefreshToken.Equal(tok.RefreshToken) {
		t.Fatal("rotate_refresh_token: want a new string")
	}
	_, err = wc.RefreshToken(ctx, tok.RefreshToken)
	wantWeChat(t, err, 40030)
	v.e.Advance(179 * 24 * time.Hour)
	t3, err := wc.RefreshToken(ctx, t2.RefreshToken)
	if err != nil {
		t.Fatalf("180-day refresh token at day 179: %v", err)
	}
	v.e.Advance(24 * time.Hour) // rotation keeps the original expiry
	_, err = wc.RefreshToken(ctx, t3.RefreshToken)
	wantWeChat(t, err, 42002)
}

func TestRevokeOnCodeReuseOption(t *testing.T) {
	for _, on := range []bool{false, true} {
		v := newEnv(t, withBehaviour(emulator.Behaviour{RevokeOnCodeReuse: emulator.SwitchOf(on)}))
		web := v.app(wechat.AppTypeWebsite, "")
		wc := v.client(web)
		ctx := context.Background()
		c := v.oauthCode(web, v.user())
		tok, err := wc.ExchangeCode(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = wc.ExchangeCode(ctx, c)
		wantWeChat(t, err, 40163)
		err = wc.CheckAuth(ctx, tok.AccessToken, tok.OpenID)
		if on {
			wantWeChat(t, err, 40014)
			_, err = wc.RefreshToken(ctx, tok.RefreshToken)
			wantWeChat(t, err, 40030)
		} else if err != nil {
			t.Fatalf("default keeps tokens after a reuse: %v", err)
		}
	}
}

func TestBaseRevokesRefreshOption(t *testing.T) {
	v := newEnv(t, withBehaviour(emulator.Behaviour{BaseRevokesRefresh: emulator.SwitchOn}))
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	uid := v.user()
	wc := v.client(oa)
	ctx := context.Background()
	code := func(scope wechat.Scope) string {
		resp, _ := v.page("/connect/oauth2/authorize", authorizeQuery(oa, "https://example.com/", scope, "s"), "")
		to, err := v.e.Confirm(resp.Header.Get("X-Wxemu-Uuid"), uid)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(to)
		return u.Query().Get("code")
	}
	info, err := wc.ExchangeCode(ctx, code(wechat.ScopeUserInfo))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wc.ExchangeCode(ctx, code(wechat.ScopeBase)); err != nil {
		t.Fatal(err)
	}
	_, err = wc.RefreshToken(ctx, info.RefreshToken)
	wantWeChat(t, err, 40030)
}

func TestSnsAuthAndUserInfo(t *testing.T) {
	v := newEnv(t)
	web := v.app(wechat.AppTypeWebsite, "acme")
	mp := v.app(wechat.AppTypeMiniProgram, "")
	uid := v.user()
	ctx := context.Background()
	wc := v.client(web)
	tok, err := wc.ExchangeCode(ctx, v.oauthCode(web, uid))
	if err != nil {
		t.Fatal(err)
	}
	at := tok.AccessToken.Reveal()
	wantOK(t, v.get("/sns/auth", url.Values{"access_token": {at}, "openid": {tok.OpenID}}))

	m := v.get("/sns/userinfo", url.Values{"access_token": {at}, "openid": {tok.OpenID}, "lang": {"zh_CN"}})
	wantNoErrcode(t, m)
	wantNumber(t, m, "sex", 2)
	if p, ok := m["privilege"].([]any); !ok || len(p) != 0 {
		t.Fatalf("privilege = %#v, want an empty JSON array", m["privilege"])
	}
	if str(m, "nickname") != "Alice" || str(m, "province") != "Guangdong" || str(m, "city") != "Shenzhen" || str(m, "country") != "CN" || str(m, "unionid") != tok.UnionID || str(m, "openid") != tok.OpenID {
		t.Fatalf("userinfo %v", m)
	}
	if h := str(m, "headimgurl"); !strings.HasPrefix(h, v.srv.URL+"/mmopen/") || !strings.HasSuffix(h, "/132") {
		t.Fatalf("headimgurl %q does not point at the emulator", h)
	}
	info, err := wc.UserInfo(ctx, tok.AccessToken, tok.OpenID, "")
	if err != nil || info.Nickname != "Alice" || info.Sex != 2 {
		t.Fatalf("wechat client: %+v %v", info, err)
	}

	mpTok := v.appToken(mp).Reveal()
	other, _ := v.e.Identity(v.user(), web.AppID)
	for _, path := range []string{"/sns/auth", "/sns/userinfo"} {
		for _, tc := range []struct {
			name string
			q    url.Values
			code string
		}{
			{"missing token", url.Values{"openid": {tok.OpenID}}, "41001"},
			{"missing openid", url.Values{"access_token": {at}}, "41009"},
			{"unknown token", url.Values{"access_token": {"x"}, "openid": {tok.OpenID}}, "40014"},
			{"app token", url.Values{"access_token": {mpTok}, "openid": {tok.OpenID}}, "40001"},
			{"other openid", url.Values{"access_token": {at}, "openid": {other.OpenID}}, "40003"},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) { wantCode(t, v.get(path, tc.q), tc.code) })
		}
	}
	v.e.Advance(7200 * time.Second)
	wantCode(t, v.get("/sns/userinfo", url.Values{"access_token": {at}, "openid": {tok.OpenID}}), "42001")
}

func TestUserInfoRefusesBaseScope(t *testing.T) {
	v := newEnv(t)
	oa := v.app(wechat.AppTypeOfficialAccount, "")
	uid := v.user()
	resp, _ := v.page("/connect/oauth2/authorize", authorizeQuery(oa, "https://example.com/", wechat.ScopeBase, "s"), uid)
	u, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := v.client(oa).ExchangeCode(context.Background(), u.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.client(oa).UserInfo(context.Background(), tok.AccessToken, tok.OpenID, "")
	wantWeChat(t, err, 48001)
	if err := v.client(oa).CheckAuth(context.Background(), tok.AccessToken, tok.OpenID); err != nil {
		t.Fatalf("sns/auth works for snsapi_base: %v", err)
	}
}

func TestAvatarURLDiesOnChange(t *testing.T) {
	v := newEnv(t)
	uid := v.user()
	users, err := v.ctl.Users(context.Background())
	if err != nil || len(users) != 1 {
		t.Fatal(users, err)
	}
	old := users[0].HeadImgURL
	for _, size := range []string{"0", "46", "64", "96", "132"} {
		resp, err := v.srv.Client().Get(strings.TrimSuffix(old, "132") + size)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("avatar size %s: %v %v", size, resp, err)
		}
		resp.Body.Close()
	}
	resp, _ := v.srv.Client().Get(strings.TrimSuffix(old, "132") + "100")
	if resp.StatusCode != 404 {
		t.Fatalf("size 100: %d", resp.StatusCode)
	}
	resp.Body.Close()
	u, err := v.ctl.UpdateUser(context.Background(), uid, emulator.UserPatch{RegenerateAvatar: true, Nickname: ptr("Bob")})
	if err != nil || u.Nickname != "Bob" || u.HeadImgURL == old {
		t.Fatalf("UpdateUser: %+v %v", u, err)
	}
	resp, _ = v.srv.Client().Get(old)
	if resp.StatusCode != 404 {
		t.Fatalf("old avatar: %d, want 404", resp.StatusCode)
	}
	resp.Body.Close()
	resp, _ = v.srv.Client().Get(u.HeadImgURL)
	if resp.StatusCode != 200 {
		t.Fatalf("new avatar: %d", resp.StatusCode)
	}
	resp.Body.Close()
	u, err = v.ctl.UpdateUser(context.Background(), uid, emulator.UserPatch{HeadImgURL: ptr("")})
	if err != nil || u.HeadImgURL != "" {
		t.Fatalf("no avatar: %+v %v", u, err)
	}
}

func ptr[T any](v T) *T { return &v }
