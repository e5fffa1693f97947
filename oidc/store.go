package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/storage"
)

// Lifetimes of what the provider keeps in the cache.
const (
	authRequestTTL = 10 * time.Minute // from /authorize to the code exchange
	codeTTL        = time.Minute      // RFC 6749 §4.1.2: a maximum of 10 minutes is recommended
	usedCodeTTL    = time.Hour        // how long a spent code is recognised
)

// The cache keys, by kind. Codes, tokens and refresh tokens appear only
// as SHA-256 hashes: a copy of the cache gives nobody a usable token.
func arKey(id string) string         { return "wxgate:oidc:ar:" + id }
func codeKey(code string) string     { return "wxgate:oidc:code:" + hashHex(code) }
func usedCodeKey(code string) string { return "wxgate:oidc:code-used:" + hashHex(code) }
func arCodeKey(id string) string     { return "wxgate:oidc:ar-code:" + id }
func atKey(tokenID string) string    { return "wxgate:oidc:at:" + hashHex(tokenID) }
func rtKey(token string) string      { return "wxgate:oidc:rt:" + hashHex(token) }
func usedRTKey(token string) string  { return "wxgate:oidc:rt-used:" + hashHex(token) }
func familyKey(f string) string      { return "wxgate:oidc:revoked:" + f }

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("oidc: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// refreshPrefix marks wxgate's refresh tokens, so scanners and people
// recognise one.
const refreshPrefix = "wxrt_"

// store implements op.Storage over the gateway's cache and users.
type store struct {
	p *Provider
}

var (
	_ op.Storage                        = (*store)(nil)
	_ op.CanSetUserinfoFromRequest      = (*store)(nil)
	_ op.CanTerminateSessionFromRequest = (*store)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*store)(nil)
)

type ctxKey int

const bindingCtxKey ctxKey = iota

// notFound is a storage miss the library recognises.
type notFound struct{ error }

func (notFound) IsNotFound() {}

func (s *store) kv() storage.KV { return s.p.host.KV() }
func (s *store) now() time.Time { return s.p.host.Now() }

func (s *store) getJSON(ctx context.Context, key string, v any) error {
	b, err := s.kv().Get(ctx, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *store) setJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.kv().Set(ctx, key, b, ttl)
}

// cacheError turns a cache failure into the library's server_error,
// keeping the cause for the log (never for the client).
func cacheError(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return notFound{err}
	}
	return oidc.ErrServerError().WithDescription("wxgate's cache is unreachable; retry shortly").WithParent(err)
}

// CreateAuthRequest stores a validated authorization request. It refuses,
// storing nothing, what the library lets through but wxgate does not:
// PKCE other than S256, no PKCE from a public client, scopes the client
// may not ask for.
func (s *store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	c, ok := s.p.clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidClient()
	}
	if req.CodeChallenge != "" {
		if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
			return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256 (plain is not accepted)")
		}
		if !validChallenge(req.CodeChallenge) {
			return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge must be 43 characters of base64url (the SHA-256 of the code_verifier)")
		}
	} else if c.cfg.Public {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required for this client: send code_challenge and code_challenge_method=S256")
	} else if req.CodeChallengeMethod != "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method without code_challenge")
	}
	var scopes []string
	for _, sc := range req.Scopes {
		if c.IsScopeAllowed(sc) && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the scope must include openid")
	}
	if len(req.State) > 2048 || len(req.Nonce) > 2048 {
		return nil, oidc.ErrInvalidRequest().WithDescription("state and nonce are limited to 2048 characters")
	}
	binding, _ := ctx.Value(bindingCtxKey).([]byte)
	if len(binding) == 0 {
		return nil, oidc.ErrServerError().WithDescription("the authorization request is not bound to a browser")
	}
	ar := &authRequest{
		ID:           "ar_" + randomToken(24),
		CreatedAt:    s.now().UTC(),
		ClientID:     req.ClientID,
		RedirectURI:  req.RedirectURI,
		Scopes:       scopes,
		State:        req.State,
		Nonce:        req.Nonce,
		ResponseType: req.ResponseType,
		ResponseMode: req.ResponseMode,
		Challenge:    req.CodeChallenge,
		ChallengeAlg: req.CodeChallengeMethod,
		Prompt:       req.Prompt,
		MaxAge:       req.MaxAge,
		HintSubject:  hintSubject,
		Binding:      binding,
	}
	if err := s.setJSON(ctx, arKey(ar.ID), ar, authRequestTTL); err != nil {
		return nil, cacheError(err)
	}
	return ar, nil
}

func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

func (s *store) authRequest(ctx context.Context, id string) (*authRequest, error) {
	if !strings.HasPrefix(id, "ar_") || len(id) > 64 {
		return nil, notFound{storage.ErrNotFound}
	}
	ar := new(authRequest)
	if err := s.getJSON(ctx, arKey(id), ar); err != nil {
		return nil, cacheError(err)
	}
	return ar, nil
}

func (s *store) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.authRequest(ctx, id)
}

// AuthRequestByCode spends a code: the first use gets its request, any
// later use fails and revokes every token issued with it (RFC 6749
// §4.1.2, RFC 9700 §4.5).
func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	if code == "" || len(code) > 1024 {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	id, err := s.kv().Take(ctx, codeKey(code))
	if errors.Is(err, storage.ErrNotFound) {
		if fam, err := s.kv().Get(ctx, usedCodeKey(code)); err == nil {
			s.revokeFamily(ctx, string(fam))
			s.p.log.Warn("an authorization code was used twice; the tokens issued with it are revoked", "family", string(fam))
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("the code is invalid, expired or already used")
	}
	if err != nil {
		return nil, cacheError(err)
	}
	if err := s.kv().Set(ctx, usedCodeKey(code), id, usedCodeTTL); err != nil {
		return nil, cacheError(err)
	}
	ar, err := s.authRequest(ctx, string(id))
	if err != nil || !ar.IsDone {
		return nil, oidc.ErrInvalidGrant().WithDescription("the code is invalid, expired or already used")
	}
	return ar, nil
}

// SaveAuthCode records the one code of a completed request.
func (s *store) SaveAuthCode(ctx context.Context, id, code string) error {
	ok, err := s.kv().SetNX(ctx, arCodeKey(id), []byte{1}, authRequestTTL)
	if err != nil {
		return cacheError(err)
	}
	if !ok {
		return oidc.ErrInvalidRequest().WithDescription("this authorization request already has its code; start again from the client")
	}
	if err := s.kv().Set(ctx, codeKey(code), []byte(id), codeTTL); err != nil {
		return cacheError(err)
	}
	return nil
}

func (s *store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.kv().Delete(ctx, arKey(id)); err != nil {
		return cacheError(err)
	}
	return nil
}

// grantOf is the grant a token request continues.
func grantOf(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *authRequest:
		return grant{Family: r.ID, ClientID: r.ClientID, UserID: r.UserID, Subject: r.Subject,
			Scopes: r.Scopes, AuthTime: r.AuthTime, AMR: r.AMR}, nil
	case *refreshRequest:
		g := r.grant
		return g, nil
	}
	return grant{}, oidc.ErrServerError().WithDescription("unexpected token request %T", req)
}

func (s *store) clientCfg(id string) (*config.OIDCClient, error) {
	c, ok := s.p.clients[id]
	if !ok {
		return nil, oidc.ErrInvalidClient()
	}
	return c.cfg, nil
}

// newAccessToken records an access token for g with the scopes.
func (s *store) newAccessToken(ctx context.Context, g grant, scopes []string) (string, time.Time, error) {
	c, err := s.clientCfg(g.ClientID)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC()
	rec := tokenRecord{grant: g, IssuedAt: now, ExpiresAt: now.Add(time.Duration(c.AccessTokenTTL))}
	rec.Scopes = scopes
	id := randomToken(32)
	if err := s.setJSON(ctx, atKey(id), rec, time.Duration(c.AccessTokenTTL)); err != nil {
		return "", time.Time{}, cacheError(err)
	}
	return id, rec.ExpiresAt, nil
}

func (s *store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	if s.familyRevoked(ctx, g.Family) {
		return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("this grant was revoked")
	}
	return s.newAccessToken(ctx, g, req.GetScopes())
}

// CreateAccessAndRefreshTokens issues an access token and a new refresh
// token; with currentRefreshToken set it spends that one (rotation).
func (s *store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	c, err := s.clientCfg(g.ClientID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if currentRefreshToken != "" {
		// Spend it exactly once: two concurrent uses cannot both succeed.
		if _, err := s.kv().Take(ctx, rtKey(currentRefreshToken)); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				s.revokeFamily(ctx, g.Family)
				return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used; every token of this grant is revoked")
			}
			return "", "", time.Time{}, cacheError(err)
		}
		if err := s.kv().Set(ctx, usedRTKey(currentRefreshToken), []byte(g.Family), time.Duration(c.RefreshTokenTTL)); err != nil {
			return "", "", time.Time{}, cacheError(err)
		}
	}
	if s.familyRevoked(ctx, g.Family) {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("this grant was revoked")
	}
	at, exp, err := s.newAccessToken(ctx, g, req.GetScopes())
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.now().UTC()
	rt := refreshPrefix + randomToken(32)
	rec := tokenRecord{grant: g, IssuedAt: now, ExpiresAt: now.Add(time.Duration(c.RefreshTokenTTL))}
	if err := s.setJSON(ctx, rtKey(rt), rec, time.Duration(c.RefreshTokenTTL)); err != nil {
		return "", "", time.Time{}, cacheError(err)
	}
	return at, rt, exp, nil
}

// TokenRequestByRefreshToken finds a live refresh token. A spent one
// revokes its whole family (RFC 9700 §4.14.2).
func (s *store) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	rec, err := s.refreshRecord(ctx, token)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{grant: rec.grant, token: token}, nil
}

func (s *store) refreshRecord(ctx context.Context, token string) (*tokenRecord, error) {
	if !strings.HasPrefix(token, refreshPrefix) || len(token) > 128 {
		return nil, op.ErrInvalidRefreshToken
	}
	rec := new(tokenRecord)
	err := s.getJSON(ctx, rtKey(token), rec)
	if errors.Is(err, storage.ErrNotFound) {
		if fam, err := s.kv().Get(ctx, usedRTKey(token)); err == nil {
			s.revokeFamily(ctx, string(fam))
			s.p.log.Warn("a refresh token was used twice; every token of its grant is revoked", "family", string(fam))
		}
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, cacheError(err)
	}
	if s.familyRevoked(ctx, rec.Family) || !s.now().Before(rec.ExpiresAt) {
		return nil, op.ErrInvalidRefreshToken
	}
	return rec, nil
}

// revokeFamily revokes every token issued from one authorization. The
// mark outlives the longest token any client can hold.
func (s *store) revokeFamily(ctx context.Context, family string) {
	if family == "" {
		return
	}
	if err := s.kv().Set(ctx, familyKey(family), []byte{1}, s.p.maxTokenTTL); err != nil {
		s.p.log.Error("revoking a grant's tokens failed", "family", family, "err", err)
	}
}

// familyRevoked reports whether the family was revoked; a cache failure
// counts as revoked (fail closed).
func (s *store) familyRevoked(ctx context.Context, family string) bool {
	_, err := s.kv().Get(ctx, familyKey(family))
	return !errors.Is(err, storage.ErrNotFound)
}

// accessRecord returns a live access token's record.
func (s *store) accessRecord(ctx context.Context, tokenID string) (*tokenRecord, error) {
	if tokenID == "" || len(tokenID) > 128 {
		return nil, notFound{storage.ErrNotFound}
	}
	rec := new(tokenRecord)
	if err := s.getJSON(ctx, atKey(tokenID), rec); err != nil {
		return nil, cacheError(err)
	}
	if s.familyRevoked(ctx, rec.Family) || !s.now().Before(rec.ExpiresAt) {
		return nil, notFound{storage.ErrNotFound}
	}
	return rec, nil
}

// TerminateSession is called by RP-initiated logout; the browser's wxgate
// session itself is ended by the logout handler, which has the cookie.
func (s *store) TerminateSession(ctx context.Context, userID, clientID string) error { return nil }

// TerminateSessionFromRequest keeps the validated post-logout redirect.
func (s *store) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	return req.RedirectURI, nil
}

// GetRefreshTokenInfo identifies a refresh token for revocation.
func (s *store) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rec, err := s.refreshRecord(ctx, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rec.Subject, token, nil
}

// RevokeToken revokes a refresh token (and with it its whole grant, RFC
// 7009 §2.1) or an access token, for the client it was issued to only.
func (s *store) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if strings.HasPrefix(tokenOrID, refreshPrefix) {
		rec, err := s.refreshRecord(ctx, tokenOrID)
		if err != nil {
			return nil // RFC 7009 §2.2: an invalid token is not an error
		}
		if rec.ClientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
		}
		s.revokeFamily(ctx, rec.Family)
		if err := s.kv().Delete(ctx, rtKey(tokenOrID)); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	rec, err := s.accessRecord(ctx, tokenOrID)
	if err != nil {
		return nil
	}
	if rec.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := s.kv().Delete(ctx, atKey(tokenOrID)); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *store) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.p.keys.signing(ctx)
}

func (s *store) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.p.keys.alg}, nil
}

func (s *store) KeySet(ctx context.Context) ([]op.Key, error) {
	return s.p.keys.published(ctx)
}

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, ok := s.p.clients[id]
	if !ok {
		return nil, notFound{errors.New("no such client")}
	}
	return c, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret in
// constant time.
func (s *store) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, ok := s.p.clients[id]
	if !ok || !c.checkSecret(secret) {
		return oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return nil
}

// SetUserinfoFromScopes does nothing: SetUserinfoFromRequest, which knows
// the user behind a pairwise subject, fills the claims.
func (s *store) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, userID, clientID string, scopes []string) error {
	return nil
}

func (s *store) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var g grant
	switch r := req.(type) {
	case *authRequest:
		g = grant{ClientID: r.ClientID, UserID: r.UserID, Subject: r.Subject}
	case *refreshRequest:
		g = r.grant
	default:
		return oidc.ErrServerError().WithDescription("unexpected request %T", req)
	}
	return s.p.claims(ctx, ui, g.UserID, g.Subject, g.ClientID, scopes)
}

// SetUserinfoFromToken answers /oauth2/userinfo for a live access token.
func (s *store) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	rec, err := s.accessRecord(ctx, tokenID)
	if err != nil || rec.Subject != subject {
		return oidc.ErrAccessDenied().WithDescription("the access token is invalid, expired or revoked")
	}
	if !slices.Contains(rec.Scopes, oidc.ScopeOpenID) {
		return oidc.ErrAccessDenied().WithDescription("the access token was not issued for openid")
	}
	return s.p.claims(ctx, ui, rec.UserID, rec.Subject, rec.ClientID, rec.Scopes)
}

// SetIntrospectionFromToken answers RFC 7662 introspection. A token is
// active only for the client it was issued to: one client cannot learn
// about another's tokens.
func (s *store) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	rec, err := s.accessRecord(ctx, tokenID)
	if err != nil || rec.Subject != subject || rec.ClientID != clientID {
		return notFound{storage.ErrNotFound}
	}
	resp.Active = true
	resp.Scope = rec.Scopes
	resp.ClientID = rec.ClientID
	resp.Subject = rec.Subject
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(rec.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(rec.IssuedAt)
	resp.Audience = []string{rec.ClientID}
	resp.Issuer = s.p.issuer
	return nil
}

func (s *store) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds to JWT access tokens what RFC 9068
// §2.2 lists beyond the registered claims: scope, auth_time and amr.
func (s *store) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	g, err := grantOf(req)
	if err != nil {
		return nil, err
	}
	c := map[string]any{"scope": strings.Join(req.GetScopes(), " ")}
	if !g.AuthTime.IsZero() {
		c["auth_time"] = g.AuthTime.Unix()
	}
	if len(g.AMR) > 0 {
		c["amr"] = g.AMR
	}
	return c, nil
}

func (s *store) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("JWT client authentication is not offered")
}

func (s *store) ValidateJWTProfileScopes(ctx context.Context, userID string, scopes []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s *store) Health(ctx context.Context) error { return s.kv().Ping(ctx) }
