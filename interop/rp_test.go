package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// rpClient is a relying party registered with a provider: what the
// benchmarks' load generator needs to run the authorization code flow
// with PKCE by hand. (The interop tests use real client software instead;
// this is a load generator, and checks only what it must to be honest:
// every step's status and the presence of the tokens.)
type rpClient struct {
	id, secret, redirect               string
	issuer, authorize, token, userinfo string
}

// discover fills the client's endpoints from the provider's discovery
// document.
func (c *rpClient) discover(ctx context.Context) error {
	var meta struct {
		Issuer    string `json:"issuer"`
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
		UserInfo  string `json:"userinfo_endpoint"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery: %d %s", resp.StatusCode, truncate(body, 300))
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	if strings.TrimRight(meta.Issuer, "/") != strings.TrimRight(c.issuer, "/") {
		return fmt.Errorf("discovery: issuer %q, want %q", meta.Issuer, c.issuer)
	}
	c.authorize, c.token, c.userinfo = meta.Authorize, meta.Token, meta.UserInfo
	return nil
}

// tokens is a token endpoint's answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	TokenType    string `json:"token_type"`
}

// authRequest is one authorization request: its URL and the PKCE verifier
// and state it was built with.
type authRequest struct {
	url, verifier, state string
}

func (c *rpClient) newAuthRequest(scope string) authRequest {
	verifier := randHex(32)
	sum := sha256.Sum256([]byte(verifier))
	ar := authRequest{verifier: verifier, state: randHex(16)}
	q := url.Values{
		"client_id":             {c.id},
		"response_type":         {"code"},
		"scope":                 {scope},
		"redirect_uri":          {c.redirect},
		"state":                 {ar.state},
		"nonce":                 {randHex(16)},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	ar.url = c.authorize + "?" + q.Encode()
	return ar
}

// codeFrom checks the redirect back to the client and returns its code.
func (c *rpClient) codeFrom(ar authRequest, back *url.URL) (string, error) {
	if !strings.HasPrefix(back.String(), c.redirect+"?") {
		return "", fmt.Errorf("the provider redirected to %s, not to the client's redirect_uri", back.Redacted())
	}
	q := back.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("the provider answered the authorization request with %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != ar.state {
		return "", fmt.Errorf("the provider returned state %q, want %q", q.Get("state"), ar.state)
	}
	if q.Get("code") == "" {
		return "", fmt.Errorf("the provider redirected back without a code")
	}
	return q.Get("code"), nil
}

// exchange redeems an authorization code.
func (c *rpClient) exchange(ctx context.Context, hc *http.Client, ar authRequest, code string) (tokens, error) {
	return c.tokenRequest(ctx, hc, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.redirect},
		"code_verifier": {ar.verifier},
	})
}

// refresh redeems a refresh token (which the provider rotates).
func (c *rpClient) refresh(ctx context.Context, hc *http.Client, refreshToken string) (tokens, error) {
	return c.tokenRequest(ctx, hc, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

func (c *rpClient) tokenRequest(ctx context.Context, hc *http.Client, form url.Values) (tokens, error) {
	var t tokens
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.token, strings.NewReader(form.Encode()))
	if err != nil {
		return t, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	resp, err := hc.Do(req)
	if err != nil {
		return t, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return t, fmt.Errorf("token endpoint (%s): %d %s", form.Get("grant_type"), resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return t, fmt.Errorf("token endpoint: %w", err)
	}
	if t.AccessToken == "" || t.RefreshToken == "" || (form.Get("grant_type") == "authorization_code" && t.IDToken == "") {
		return t, fmt.Errorf("token endpoint: an answer without the tokens: %s", body)
	}
	return t, nil
}

// userInfo fetches the userinfo endpoint and returns its sub.
func (c *rpClient) userInfo(ctx context.Context, hc *http.Client, accessToken string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.userinfo, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("userinfo: %d %s", resp.StatusCode, body)
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(body, &claims); err != nil || claims.Sub == "" {
		return "", fmt.Errorf("userinfo: no sub in %s", body)
	}
	return claims.Sub, nil
}

// requestTimeout bounds every request of the load generator, so a stuck
// provider fails the benchmark instead of hanging it.
const requestTimeout = 2 * time.Minute

// browser is a person's user agent for the load generator: its own cookie
// jar, redirects followed one by one, connections shared with the others.
type browser struct {
	hc *http.Client
}

func newBrowser(rt http.RoundTripper) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{hc: &http.Client{
		Transport:     rt,
		Jar:           jar,
		Timeout:       requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// walk GETs u and follows redirects until stop accepts the next location
// (returned, not fetched) or a page answers (its URL and header returned;
// an error unless 200).
func (b *browser) walk(ctx context.Context, u string, stop func(*url.URL) bool) (*url.URL, http.Header, error) {
	cur, err := url.Parse(u)
	if err != nil {
		return nil, nil, err
	}
	for hop := 0; hop < 10; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cur.String(), nil)
		if err != nil {
			return nil, nil, err
		}
		resp, err := b.hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
			next, err := cur.Parse(resp.Header.Get("Location"))
			if err != nil {
				return nil, nil, fmt.Errorf("%s redirected to a bad location: %w", cur.Redacted(), err)
			}
			if stop(next) {
				return next, resp.Header, nil
			}
			cur = next
		case http.StatusOK:
			return cur, resp.Header, nil
		default:
			return nil, nil, fmt.Errorf("GET %s: %d %s", cur.Redacted(), resp.StatusCode, truncate(body, 300))
		}
	}
	return nil, nil, fmt.Errorf("more than 10 redirects from %s", u)
}

// follow walks from u until a location carrying the query parameter param.
func (b *browser) follow(ctx context.Context, u, param string) (*url.URL, error) {
	got, _, err := b.walk(ctx, u, func(n *url.URL) bool { return n.Query().Has(param) })
	if err != nil {
		return nil, err
	}
	if !got.Query().Has(param) {
		return nil, fmt.Errorf("from %s the browser ended on %s, which has no %s", u, got.Redacted(), param)
	}
	return got, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// syncBuffer collects a child process's output (both pipes) or logs,
// safe to read while it is written.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
