package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// OIDC configures wxgate's OpenID Connect provider (docs/oidc.md). The
// provider is on when at least one client is configured.
type OIDC struct {
	// Issuer is the issuer identifier; "" means public_url.
	Issuer string `yaml:"issuer"`
	// SigningAlg signs id_tokens (and JWT access tokens): RS256 or ES256.
	SigningAlg string `yaml:"signing_alg"`
	// AccessTokenFormat is opaque (the default) or jwt (RFC 9068).
	AccessTokenFormat string `yaml:"access_token_format"`
	// LoginPage is how a browser without a session logs in: redirect
	// (to WeChat's full QR page) or embedded (wxgate's own sign-in page,
	// naming the client, with WeChat's QR in it).
	LoginPage string `yaml:"login_page"`
	// Clients are the relying parties allowed to use the provider.
	Clients []OIDCClient `yaml:"clients"`
}

// OIDCClient is one relying party.
type OIDCClient struct {
	// ID is the client_id; it also names the client in WXGATE_* variables.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// SecretEnv, SecretFile or (dev only) Secret hold a confidential
	// client's secret; Public marks a client without one (PKCE required).
	SecretEnv  string        `yaml:"secret_env"`
	SecretFile string        `yaml:"secret_file"`
	Secret     wechat.Secret `yaml:"secret"`
	Public     bool          `yaml:"public"`
	// RedirectURIs are matched exactly, character for character.
	RedirectURIs           []string `yaml:"redirect_uris"`
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	// Scopes the client may ask for; empty means openid and profile.
	Scopes []string `yaml:"scopes"`
	// SubjectType is public (sub = the wxgate user id) or pairwise.
	SubjectType string `yaml:"subject_type"`
	// ReleaseUnionID adds the person's WeChat unionid and openid claims.
	ReleaseUnionID  bool     `yaml:"release_unionid"`
	AccessTokenTTL  Duration `yaml:"access_token_ttl"`
	IDTokenTTL      Duration `yaml:"id_token_ttl"`
	RefreshTokenTTL Duration `yaml:"refresh_token_ttl"`

	secret string
}

// OIDC defaults and the scopes a client may be given.
const (
	OIDCSigningRS256    = "RS256"
	OIDCSigningES256    = "ES256"
	OIDCTokensOpaque    = "opaque"
	OIDCTokensJWT       = "jwt"
	OIDCSubjectPublic   = "public"
	OIDCSubjectPairwise = "pairwise"
	OIDCLoginRedirect   = "redirect"
	OIDCLoginEmbedded   = "embedded"
)

// OIDCScopes are the scopes the provider knows.
var OIDCScopes = []string{"openid", "profile", "phone", "offline_access"}

var validClientID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Enabled reports whether the provider is on.
func (o *OIDC) Enabled() bool { return len(o.Clients) > 0 }

// Client returns the client with the id.
func (o *OIDC) Client(id string) (*OIDCClient, bool) {
	for i := range o.Clients {
		if o.Clients[i].ID == id {
			return &o.Clients[i], true
		}
	}
	return nil, false
}

// ClientSecret is the confidential client's secret as read when the
// configuration was loaded ("" for a public client).
func (c *OIDCClient) ClientSecret() string { return c.secret }

// LoadSecret re-reads the client's secret from its source.
func (c *OIDCClient) LoadSecret(lookupEnv func(string) (string, bool)) (string, error) {
	if c.Public {
		return "", nil
	}
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	src := c.secretSource()
	v, f := src.read(lookupEnv)
	if f != nil {
		return "", fmt.Errorf("config: oidc client %s: %s: %s", c.ID, f.key, f.msg)
	}
	return v, nil
}

func (c *OIDCClient) secretSource() secretSource {
	return secretSource{what: "the client secret", envKey: "secret_env", fileKey: "secret_file",
		env: c.SecretEnv, file: c.SecretFile, literal: c.Secret}
}

func (c *Config) setOIDCDefaults() {
	o := &c.OIDC
	if o.Issuer == "" {
		o.Issuer = strings.TrimRight(c.PublicURL, "/")
	}
	if o.SigningAlg == "" {
		o.SigningAlg = OIDCSigningRS256
	}
	if o.AccessTokenFormat == "" {
		o.AccessTokenFormat = OIDCTokensOpaque
	}
	if o.LoginPage == "" {
		o.LoginPage = OIDCLoginRedirect
	}
	for i := range o.Clients {
		cl := &o.Clients[i]
		if cl.Name == "" {
			cl.Name = cl.ID
		}
		if len(cl.Scopes) == 0 {
			cl.Scopes = []string{"openid", "profile"}
		}
		if cl.SubjectType == "" {
			cl.SubjectType = OIDCSubjectPublic
		}
		if cl.AccessTokenTTL == 0 {
			cl.AccessTokenTTL = Duration(time.Hour)
		}
		if cl.IDTokenTTL == 0 {
			cl.IDTokenTTL = Duration(time.Hour)
		}
		if cl.RefreshTokenTTL == 0 {
			cl.RefreshTokenTTL = Duration(720 * time.Hour)
		}
	}
}

// maxOIDCTTL bounds every token lifetime.
const maxOIDCTTL = Duration(90 * 24 * time.Hour)

func (c *Config) checkOIDC(lookupEnv func(string) (string, bool), r *report) {
	o := &c.OIDC
	if o.Issuer != strings.TrimRight(c.PublicURL, "/") {
		u, err := url.Parse(o.Issuer)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			r.add("oidc.issuer", shown(o.Issuer)+" is not an https URL; the issuer is the URL clients discover the provider at, e.g. https://login.example.com (leave it out to use public_url)")
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			r.add("oidc.issuer", "an issuer has no query, fragment or user part (OpenID Connect Discovery §2); write scheme://host[/path]")
		case u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()):
			r.add("oidc.issuer", "a plain-http issuer is refused outside dev mode: clients would fetch keys and tokens unencrypted; use https")
		}
	}
	switch o.SigningAlg {
	case OIDCSigningRS256, OIDCSigningES256:
	default:
		r.add("oidc.signing_alg", shown(o.SigningAlg)+" is not a signing algorithm wxgate offers; use RS256 (every client supports it) or ES256")
	}
	switch o.AccessTokenFormat {
	case OIDCTokensOpaque, OIDCTokensJWT:
	default:
		r.add("oidc.access_token_format", shown(o.AccessTokenFormat)+" is not a token format; use opaque (revocable at once) or jwt (RFC 9068)")
	}
	switch o.LoginPage {
	case OIDCLoginRedirect, OIDCLoginEmbedded:
	default:
		r.add("oidc.login_page", shown(o.LoginPage)+" is not a login page; use redirect (WeChat's full QR page) or embedded (wxgate's sign-in page with the QR in it)")
	}
	ids := map[string]int{}
	sources := map[string]int{}
	for i := range o.Clients {
		cl := &o.Clients[i]
		p := indexPath("oidc.clients", i)
		at := func(k string) string { return joinPath(p, k) }
		switch {
		case cl.ID == "":
			r.add(at("id"), "missing; give the client an id such as grafana (lower-case letters, digits, - and _): it is the client_id")
		case !validClientID.MatchString(cl.ID):
			r.add(at("id"), shown(cl.ID)+" is not a valid client id; use 1 to 64 lower-case letters, digits, - and _, starting with a letter or digit")
		default:
			if j, dup := ids[cl.ID]; dup {
				r.add(at("id"), fmt.Sprintf("oidc.clients[%d] has the same id; give each client its own", j))
			} else {
				ids[cl.ID] = i
			}
		}
		if len(cl.RedirectURIs) == 0 {
			r.add(at("redirect_uris"), "missing; list the exact callback URLs of the client, e.g. https://grafana.example.com/login/generic_oauth")
		}
		for j, u := range cl.RedirectURIs {
			c.checkClientURI(indexPath(at("redirect_uris"), j), u, r)
		}
		for j, u := range cl.PostLogoutRedirectURIs {
			c.checkClientURI(indexPath(at("post_logout_redirect_uris"), j), u, r)
		}
		if !slices.Contains(cl.Scopes, "openid") {
			r.add(at("scopes"), "must include openid: without it a client gets no id_token")
		}
		for j, s := range cl.Scopes {
			if !slices.Contains(OIDCScopes, s) {
				r.add(indexPath(at("scopes"), j), shown(s)+" is not a scope wxgate offers; use "+strings.Join(OIDCScopes, ", "))
			}
		}
		switch cl.SubjectType {
		case OIDCSubjectPublic, OIDCSubjectPairwise:
		default:
			r.add(at("subject_type"), shown(cl.SubjectType)+" is not a subject type; use public (sub is the wxgate user id) or pairwise (each client its own)")
		}
		for k, d := range map[string]Duration{"access_token_ttl": cl.AccessTokenTTL, "id_token_ttl": cl.IDTokenTTL, "refresh_token_ttl": cl.RefreshTokenTTL} {
			if d > maxOIDCTTL {
				r.add(at(k), fmt.Sprintf("%s is longer than 90 days; shorten it (clients refresh tokens, people need not log in again)", d))
			}
		}
		if cl.ReleaseUnionID {
			r.warn(at("release_unionid"), "this client receives the person's WeChat openid and unionid: it can then recognise them across every app of your WeChat open-platform account, and whoever holds its tokens can too; turn it off unless the client must talk to WeChat itself")
		}
		c.checkClientSecret(cl, p, lookupEnv, sources, r)
	}
}

// checkClientURI checks a redirect or post-logout URI: absolute, no
// fragment, https outside loopback and dev.
func (c *Config) checkClientURI(path, s string, r *report) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		r.add(path, shown(s)+" is not an absolute URL; write the full URL, e.g. https://app.example.com/callback")
	case u.Fragment != "" || strings.Contains(s, "#"):
		r.add(path, shown(s)+" has a fragment, which OAuth forbids (RFC 6749 §3.1.2); remove the #...")
	case u.User != nil:
		r.add(path, shown(s)+" has a user part; remove it")
	case u.Scheme != "https" && u.Scheme != "http":
		r.add(path, shown(s)+" is not http(s); wxgate sends browsers to web URLs only")
	case u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()):
		r.add(path, shown(s)+" is plain http: codes would cross the network unencrypted; use https (http is accepted for loopback addresses and in dev mode)")
	}
}

func (c *Config) checkClientSecret(cl *OIDCClient, p string, lookupEnv func(string) (string, bool), sources map[string]int, r *report) {
	src := cl.secretSource()
	if cl.Public {
		if src.count() > 0 {
			r.add(p, "a public client has no secret; remove secret_env/secret_file/secret, or public: true")
		}
		return
	}
	switch src.count() {
	case 0:
		r.add(p, "no client secret; set secret_env to the name of an environment variable that holds it (or secret_file), or set public: true for a browser or mobile client that uses PKCE")
		return
	case 1:
	default:
		r.add(p, "set only one of secret_env, secret_file and secret")
		return
	}
	if !cl.Secret.IsZero() {
		if !c.Dev {
			r.add(joinPath(p, "secret"), "a literal secret is refused outside dev mode; put it in an environment variable and set secret_env, or in a file and set secret_file")
			return
		}
		r.warn(joinPath(p, "secret"), "a literal secret is accepted because dev is true; outside dev use secret_env or secret_file")
	}
	if key, val := src.ref(); key != "" {
		ref := key + "=" + val
		if j, dup := sources[ref]; dup {
			r.add(joinPath(p, key), fmt.Sprintf("oidc.clients[%d] reads its secret from the same place; give every client its own secret", j))
		}
		sources[ref] = len(sources)
	}
	v, f := src.read(lookupEnv)
	if f != nil {
		r.add(joinPath(p, f.key), f.msg)
		return
	}
	for _, w := range src.warnings {
		r.warn(joinPath(p, w.key), w.msg)
	}
	if len(v) < 32 && !c.Dev {
		r.add(joinPath(p, src.setKey()), "the client secret is shorter than 32 characters; generate one with: openssl rand -hex 32")
	}
	cl.secret = v
}
