package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	_ "github.com/wxgate/wxgate/storage/postgres"
	_ "github.com/wxgate/wxgate/storage/redis"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func withParam(u, k, v string) string {
	if strings.Contains(u, "?") {
		return u + "&" + k + "=" + v
	}
	return u + "?" + k + "=" + v
}

// sharedBackends returns a PostgreSQL schema and a Redis key prefix of
// this test's own, removed at its end.
func sharedBackends(t *testing.T) func(*stackOption) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	pg := envOr("WXGATE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	rd := envOr("WXGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	schema, prefix := "wxgate_oidc_"+suffix, "wxgate-oidc-"+suffix+":"
	t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, pg); err == nil {
			conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			conn.Close(ctx)
		}
		if opt, err := goredis.ParseURL(rd); err == nil {
			rc := goredis.NewClient(opt)
			iter := rc.Scan(ctx, 0, prefix+"*", 500).Iterator()
			for iter.Next(ctx) {
				rc.Del(ctx, iter.Val())
			}
			rc.Close()
		}
	})
	return func(o *stackOption) {
		o.db = withParam(pg, "schema", schema)
		o.cache = withParam(rd, "prefix", prefix)
	}
}

// TestInstancesShareEverything runs one login across two gateway
// instances on PostgreSQL and Redis: the request, the code, the tokens
// and the signing keys live in the shared stores, not in a process.
func TestInstancesShareEverything(t *testing.T) {
	s := newStack(t, sharedBackends(t))
	other := s.instance()
	alice := s.user("Alice")
	// The browser starts on instance A; instance B issues the tokens.
	_, code, verifier := s.login(alice, "site", siteCallback)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {siteCallback}, "code_verifier": {verifier}}
	req, _ := http.NewRequest("POST", other+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("site", siteSecret)
	st, body, _ := s.send(req)
	if st != 200 {
		t.Fatalf("token on instance B: %d %v", st, body)
	}
	// A verifies B's id_token with A's JWKS: one signing key for both.
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.Verifier(&gooidc.Config{ClientID: "site"}).Verify(ctx, str(body, "id_token")); err != nil {
		t.Fatalf("instance B's id_token against instance A's keys: %v", err)
	}
	at, rt := str(body, "access_token"), str(body, "refresh_token")
	if s.userinfo(at) != 200 {
		t.Fatal("instance A refused instance B's access token")
	}
	// Refresh on A, reuse on B: the reuse is caught and revokes the family.
	st, body = s.refresh(rt, "site", siteSecret)
	if st != 200 {
		t.Fatalf("refresh on A: %d %v", st, body)
	}
	req, _ = http.NewRequest("POST", other+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("site", siteSecret)
	if st, _, _ := s.send(req); st != 400 {
		t.Errorf("reuse on B: %d", st)
	}
	if s.userinfo(str(body, "access_token")) == 200 {
		t.Error("the family survived a reuse on another instance")
	}
	s.assertNoLeak(s.wechatSecrets(alice)...)
	s.assertLogsClean()
}

// TestSigningKeyRotation: a keyring rotation (wxgate keys rotate) makes
// a new signing key; the JWKS keeps the previous one, so tokens signed
// before still verify.
func TestSigningKeyRotation(t *testing.T) {
	s := newStack(t)
	alice := s.user("Alice")
	b, code, verifier := s.login(alice, "site", siteCallback)
	_, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
	oldToken := str(body, "id_token")
	before := s.jwks()
	if len(before.Keys) != 1 {
		t.Fatalf("jwks before: %d keys", len(before.Keys))
	}
	rotated, err := s.keyring.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	s.gw.SetKeyring(rotated)
	verifier2, challenge := pkce()
	q := s.callback(b.authorize(s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
		"state", "x", "code_challenge", challenge, "code_challenge_method", "S256"), ""), siteCallback)
	_, body = s.exchange(q.Get("code"), verifier2, siteCallback, "site", siteSecret)
	after := s.jwks()
	if len(after.Keys) != 2 || after.Keys[0].KeyID == after.Keys[1].KeyID {
		t.Fatalf("jwks after rotation: %+v", after.Keys)
	}
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	v := prov.Verifier(&gooidc.Config{ClientID: "site"})
	oldID, err := v.Verify(ctx, oldToken)
	if err != nil {
		t.Fatalf("an id_token from before the rotation: %v", err)
	}
	newID, err := v.Verify(ctx, str(body, "id_token"))
	if err != nil {
		t.Fatalf("an id_token from after the rotation: %v", err)
	}
	if kidOf(t, oldToken) == kidOf(t, str(body, "id_token")) || oldID.Subject != newID.Subject {
		t.Error("the rotation did not change the signing key")
	}
	// `wxgate keys retire` drops the old keyring key: the previous signing
	// key stays published and the provider keeps signing.
	retired, err := rotated.Retire(s.keyring.ActiveKeyID())
	if err != nil {
		t.Fatal(err)
	}
	s.gw.SetKeyring(retired)
	verifier3, challenge := pkce()
	q = s.callback(b.authorize(s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
		"state", "y", "code_challenge", challenge, "code_challenge_method", "S256"), ""), siteCallback)
	if st, body := s.exchange(q.Get("code"), verifier3, siteCallback, "site", siteSecret); st != 200 {
		t.Fatalf("after retiring the old keyring key: %d %v", st, body)
	}
	if n := len(s.jwks().Keys); n != 2 {
		t.Errorf("after retiring the old keyring key the JWKS has %d keys, want 2", n)
	}
	if _, err := v.Verify(ctx, oldToken); err != nil {
		t.Errorf("an id_token from before the rotation, after the retirement: %v", err)
	}
}

func kidOf(t *testing.T, jws string) string {
	t.Helper()
	h, err := decodeSegment(strings.Split(jws, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	return str(h, "kid")
}
