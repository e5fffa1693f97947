package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

func withOIDC(y string) func(*stackOption) { return func(o *stackOption) { o.yaml = y } }

// jwks fetches the provider's published keys.
func (s *stack) jwks() jose.JSONWebKeySet {
	s.t.Helper()
	resp, err := http.Get(s.url + "/oauth2/jwks")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &set); err != nil {
		s.t.Fatalf("jwks: %v\n%s", err, raw)
	}
	return set
}

// forgeries returns tokens that carry payload but are not signed by the
// provider: alg none, HS256 keyed with every encoding of the provider's
// public key, a stranger's key under the provider's kid, and a tampered
// signature.
func forgeries(t *testing.T, legit string, set jose.JSONWebKeySet) map[string]string {
	t.Helper()
	parts := strings.Split(legit, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %.20q", legit)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	kid := set.Keys[0].KeyID
	out := map[string]string{}
	for _, alg := range []string{"none", "None", "NONE"} {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"JWT"}`))
		out["alg "+alg] = h + "." + parts[1] + "."
		out["alg "+alg+" with signature"] = h + "." + parts[1] + "." + parts[2]
	}
	pub := set.Keys[0].Key
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	jwkJSON, _ := set.Keys[0].MarshalJSON()
	hmacKeys := map[string][]byte{
		"pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"der": der, "jwk": jwkJSON,
	}
	if rk, ok := pub.(*rsa.PublicKey); ok {
		hmacKeys["pkcs1 pem"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rk)})
	}
	for name, key := range hmacKeys {
		for _, alg := range []jose.SignatureAlgorithm{jose.HS256, jose.HS512} {
			out[string(alg)+" keyed with the public key ("+name+")"] = sign(t, alg, key, kid, payload)
		}
	}
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	out["ES256 by another key, same kid"] = sign(t, jose.ES256, stranger, kid, payload)
	strangerRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	out["RS256 by another key, same kid"] = sign(t, jose.RS256, strangerRSA, kid, payload)
	out["embedded jwk"] = signEmbedded(t, strangerRSA, payload)
	sig := []byte(parts[2])
	sig[len(sig)/2] ^= 1
	out["tampered signature"] = parts[0] + "." + parts[1] + "." + string(sig)
	return out
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signEmbedded(t *testing.T, key *rsa.PrivateKey, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := jws.CompactSerialize()
	return c
}

// TestAlgorithmConfusion presents forged tokens to every path that
// verifies a signature: JWT access tokens at userinfo and introspection,
// and id_token_hint at authorize and at logout. RS256 and ES256 keys.
func TestAlgorithmConfusion(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			s := newStack(t, withOIDC("oidc:\n  signing_alg: "+alg+"\n  access_token_format: jwt\n"))
			alice := s.user("Alice")
			b, code, verifier := s.login(alice, "site", siteCallback)
			st, body := s.exchange(code, verifier, siteCallback, "site", siteSecret)
			if st != 200 {
				t.Fatalf("exchange: %d %v", st, body)
			}
			at, idt := str(body, "access_token"), str(body, "id_token")
			set := s.jwks()
			if len(set.Keys) != 1 || set.Keys[0].Algorithm != alg || !set.Keys[0].IsPublic() {
				t.Fatalf("jwks: %+v", set.Keys)
			}
			// The genuine tokens pass every path.
			ctx := context.Background()
			prov, err := gooidc.NewProvider(ctx, s.url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := prov.Verifier(&gooidc.Config{ClientID: "site", SupportedSigningAlgs: []string{alg}}).Verify(ctx, idt); err != nil {
				t.Fatalf("id_token: %v", err)
			}
			if st := s.userinfo(at); st != 200 {
				t.Fatalf("userinfo with the genuine JWT access token: %d", st)
			}
			if _, body, _ := s.post("/oauth2/introspect", url.Values{"token": {at}}, "site", siteSecret); body["active"] != true || !slices.Contains(strings.Fields(str(body, "scope")), "openid") {
				t.Fatalf("introspection of the genuine token: %v", body)
			}
			// The JWT access token's claims (RFC 9068 §2.2).
			var claims map[string]any
			if p, err := base64.RawURLEncoding.DecodeString(strings.Split(at, ".")[1]); err != nil || json.Unmarshal(p, &claims) != nil {
				t.Fatalf("access token payload: %v", err)
			}
			if claims["scope"] != "openid profile offline_access" || claims["client_id"] != "site" {
				t.Errorf("JWT access token scope/client_id: %v", claims)
			}
			for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "auth_time", "amr"} {
				if claims[k] == nil {
					t.Errorf("JWT access token lacks %s: %v", k, claims)
				}
			}
			hintOK := s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
				"prompt", "none", "state", "h", "id_token_hint", idt, "code_challenge", pkceChallenge(), "code_challenge_method", "S256")
			if q := s.callback(b.follow(hintOK), siteCallback); q.Get("code") == "" {
				t.Fatalf("prompt=none with the genuine id_token_hint: %v", q)
			}

			for name, forged := range forgeries(t, at, set) {
				if st := s.userinfo(forged); st == 200 {
					t.Errorf("userinfo accepted an access token with %s", name)
				}
				if _, body, _ := s.post("/oauth2/introspect", url.Values{"token": {forged}}, "site", siteSecret); body["active"] != false {
					t.Errorf("introspection called a token with %s active: %v", name, body)
				}
			}
			for name, forged := range forgeries(t, idt, set) {
				u := s.authURL("client_id", "site", "redirect_uri", siteCallback, "response_type", "code", "scope", "openid",
					"prompt", "none", "state", "h", "id_token_hint", forged, "code_challenge", pkceChallenge(), "code_challenge_method", "S256")
				a := b.follow(u)
				if q := s.callback(a, siteCallback); q.Get("code") != "" || q.Get("error") == "" {
					t.Errorf("authorize accepted an id_token_hint with %s: %v", name, q)
				}
				lo := b.get("/oauth2/logout?" + url.Values{"id_token_hint": {forged}, "post_logout_redirect_uri": {siteLoggedOut}}.Encode())
				if lo.status >= 300 && lo.status < 400 {
					t.Errorf("logout accepted an id_token_hint with %s: %d %s", name, lo.status, lo.location())
				}
			}
			// The session survived every forged logout.
			if q := s.callback(b.follow(hintOK), siteCallback); q.Get("code") == "" {
				t.Errorf("after the forged logouts, prompt=none: %v", q)
			}
			s.assertNoLeak(s.wechatSecrets(alice)...)
			s.assertLogsClean()
		})
	}
}

func pkceChallenge() string { _, c := pkce(); return c }

func decodeSegment(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
