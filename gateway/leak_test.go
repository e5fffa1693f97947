package gateway

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/session"
)

// TestFullRunLeaksNothing runs every flow of the gateway, good and bad, with
// debug logging, then searches every response body, header and log line for
// every secret the run involved: AppSecrets, session_keys, the app access
// token, the users' WeChat access and refresh tokens, openids, unionids and
// every single-use code, in plain, URL-encoded and base64 forms.
func TestFullRunLeaksNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	alice, bob := h.user("Alice"), h.user("Bob")

	// Mini-program: login, re-login, decrypt (userinfo, phone), stale key,
	// phone by code, me, verify, logout, and failures.
	h.mpLogin("mp", alice) // and again: a new session_key replaces the first
	tok := h.mpLogin("mp", alice).str("token")
	ui, _ := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp"].AppID, alice)
	h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": ui.EncryptedData, "iv": ui.IV}, bearer(tok)...)
	ph, _ := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, alice)
	h.noteCode(ph.Code)
	h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": ph.EncryptedData, "iv": ph.IV}, bearer(tok)...)
	h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": ph.Code}, bearer(tok)...)
	h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": ph.Code}, bearer(tok)...) // reused
	h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": ui.EncryptedData[8:], "iv": ui.IV}, bearer(tok)...)
	h.wxLogin("mp", alice) // the stored key goes stale
	ui2, _ := h.ctl.MiniProgramUserInfo(ctx, h.apps["mp"].AppID, alice)
	h.do("POST", "/auth/miniprogram/decrypt", map[string]string{"encrypted_data": ui2.EncryptedData, "iv": ui2.IV}, bearer(tok)...)
	used := h.wxLogin("mp", bob)
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": used})
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": used}) // reused
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp2", "code": h.wxLogin("mp", bob)})
	h.ctl.SetFault(ctx, emulator.Fault{Path: "/sns/jscode2session", ErrCode: 40125})
	h.do("POST", "/auth/miniprogram/login", map[string]string{"app": "mp", "code": h.wxLogin("mp", bob)})
	h.ctl.SetFault(ctx, emulator.Fault{Path: "/wxa/business/getuserphonenumber", ErrCode: 40001})
	ph2, _ := h.ctl.MiniProgramPhoneNumber(ctx, h.apps["mp"].AppID, alice)
	h.noteCode(ph2.Code)
	tok = h.mpLogin("mp", alice).str("token")
	h.do("POST", "/auth/miniprogram/phone", map[string]string{"code": ph2.Code}, bearer(tok)...)

	// Mobile app: login, reused code, profile, linking.
	mc, _ := h.ctl.MobileAuthorize(ctx, h.apps["ios"].AppID, alice, "s1")
	h.noteCode(mc.Code)
	mtok := h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code}).str("token")
	h.do("POST", "/auth/mobile/login", map[string]string{"app": "ios", "code": mc.Code})
	h.do("GET", "/auth/me", nil, bearer(mtok)...)
	h.do("GET", "/auth/verify", nil, bearer(mtok)...)
	h.do("POST", "/auth/logout", nil, bearer(mtok)...)
	h.do("GET", "/auth/me", nil, bearer(mtok)...)
	h.do("GET", "/readyz", nil)

	// Gather every secret value the run involved.
	secrets := h.secretsSeen(alice, bob)
	h.mu.Lock()
	secrets = append(secrets, h.codes...)
	h.mu.Unlock()
	appTok, _, err := h.gw.Credentials().Token(ctx, h.apps["mp"].AppID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, appTok.Reveal())
	idents, err := h.store.ScanIdentities(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var userTokens int
	for _, i := range idents {
		for field, blob := range map[string][]byte{fieldAccessToken: i.AccessToken, fieldRefreshToken: i.RefreshToken} {
			v, err := h.gw.open(field, i.OpenIDIndex, blob)
			if err != nil {
				t.Fatal(err)
			}
			if v != "" {
				secrets = append(secrets, v)
				userTokens++
			}
		}
	}
	if userTokens < 2 {
		t.Fatalf("the run obtained %d user tokens; the test would prove nothing", userTokens)
	}
	if len(h.codes) < 8 || len(secrets) < 20 {
		t.Fatalf("the run gathered %d codes and %d secrets; too few to prove anything", len(h.codes), len(secrets))
	}
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)))
	}
	h.assertNoLeak(forms...)
	// Session tokens appear only in the login answers that issue them,
	// never in a log line.
	logs := h.logs.String()
	if len(logs) < 1000 {
		t.Fatalf("only %d bytes of logs: debug logging is not on", len(logs))
	}
	for _, s := range []string{tok, mtok} {
		if !session.WellFormed(s) {
			t.Fatalf("no session token obtained")
		}
		if strings.Contains(logs, s) || strings.Contains(logs, s[5:]) {
			t.Error("a session token is in the log")
		}
	}
}
