package oidc

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// authRequest is an authorization request between /oauth2/authorize and
// the code exchange, kept in the shared cache (single use, short-lived).
type authRequest struct {
	ID            string                   `json:"id"`
	CreatedAt     time.Time                `json:"created"`
	ClientID      string                   `json:"client"`
	RedirectURI   string                   `json:"redirect_uri"`
	Scopes        []string                 `json:"scopes"`
	State         string                   `json:"state,omitempty"`
	Nonce         string                   `json:"nonce,omitempty"`
	ResponseType  oidc.ResponseType        `json:"response_type"`
	ResponseMode  oidc.ResponseMode        `json:"response_mode,omitempty"`
	Challenge     string                   `json:"challenge,omitempty"`
	ChallengeAlg  oidc.CodeChallengeMethod `json:"challenge_alg,omitempty"`
	Prompt        []string                 `json:"prompt,omitempty"`
	MaxAge        *uint                    `json:"max_age,omitempty"`
	HintSubject   string                   `json:"hint_sub,omitempty"`
	Binding       []byte                   `json:"binding"`
	LoginAttempts int                      `json:"attempts,omitempty"`
	// Set once the person is known.
	IsDone   bool      `json:"done,omitempty"`
	UserID   string    `json:"user,omitempty"`
	Subject  string    `json:"sub,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`
	AMR      []string  `json:"amr,omitempty"`
}

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return acrWeChat }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.Challenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.Challenge, Method: a.ChallengeAlg}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.Subject }
func (a *authRequest) Done() bool                         { return a.IsDone }

// grant is what every token issued from one authorization shares: the
// family that a reused code or refresh token revokes as a whole.
type grant struct {
	Family   string    `json:"family"`
	ClientID string    `json:"client"`
	UserID   string    `json:"user"`
	Subject  string    `json:"sub"`
	Scopes   []string  `json:"scopes"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr,omitempty"`
}

// tokenRecord is an access token (by the hash of its id) or a refresh
// token (by the hash of the token).
type tokenRecord struct {
	grant
	IssuedAt  time.Time `json:"iat"`
	ExpiresAt time.Time `json:"exp"`
}

// refreshRequest is a refresh-token grant in progress.
type refreshRequest struct {
	grant
	token  string
	scopes []string
}

func (r *refreshRequest) GetAMR() []string       { return r.AMR }
func (r *refreshRequest) GetAudience() []string  { return []string{r.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time { return r.AuthTime }
func (r *refreshRequest) GetClientID() string    { return r.ClientID }
func (r *refreshRequest) GetScopes() []string {
	if r.scopes != nil {
		return r.scopes
	}
	return r.Scopes
}
func (r *refreshRequest) GetSubject() string               { return r.Subject }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// acrWeChat is the acr of every login: a WeChat account confirmed on the
// person's phone.
const acrWeChat = "urn:wxgate:acr:wechat"
