package config

import (
	"fmt"
	"os"
)

// Accounts says how logins become wxgate users.
type Accounts struct {
	// Merge is what happens when a login shows that two users are one
	// person (an identity without unionid, say from an official
	// account's snsapi_base login, gets the unionid another user holds):
	// auto (the default) merges them in that login; manual records a
	// merge_conflict event for an operator and keeps them apart.
	Merge string `yaml:"merge"`
	// Signup says who may become a user: open (the default: anyone who
	// logs in), allowlist (only logins carrying an invitation code of
	// InvitationCodesFile) or closed (nobody new; known users still log
	// in, also through new apps sharing their unionid).
	Signup string `yaml:"signup"`
	// InvitationCodesFile holds the invitation codes, one a line, for
	// signup: allowlist.
	InvitationCodesFile string `yaml:"invitation_codes_file"`
	// WebhookURL, if set, receives user.merged events (HMAC-signed with
	// the webhook secret, retried with backoff).
	WebhookURL string `yaml:"webhook_url"`
	// WebhookSecretEnv names the environment variable holding the
	// webhook's HMAC secret.
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	// WebhookSecretFile is a file holding the webhook's HMAC secret.
	WebhookSecretFile string `yaml:"webhook_secret_file"`
}

func (a Accounts) webhookSecretSource() secretSource {
	return secretSource{what: "the webhook secret", envKey: "webhook_secret_env", fileKey: "webhook_secret_file",
		env: a.WebhookSecretEnv, file: a.WebhookSecretFile}
}

// WebhookSecret reads the webhook's HMAC secret now.
func (c *Config) WebhookSecret(lookupEnv func(string) (string, bool)) (string, error) {
	lookup := lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	src := c.Accounts.webhookSecretSource()
	v, f := src.read(lookup)
	if f != nil {
		return "", fmt.Errorf("config: accounts.%s: %s", f.key, f.msg)
	}
	return v, nil
}

// Signup policies.
const (
	SignupOpen      = "open"
	SignupAllowlist = "allowlist"
	SignupClosed    = "closed"
)

// Merge policies.
const (
	MergeAuto   = "auto"
	MergeManual = "manual"
)

func (c *Config) defaultAccounts() {
	if c.Accounts.Merge == "" {
		c.Accounts.Merge = MergeAuto
	}
	if c.Accounts.Signup == "" {
		c.Accounts.Signup = SignupOpen
	}
}

func (c *Config) checkAccounts(lookupEnv func(string) (string, bool), r *report) {
	c.checkAdmin(lookupEnv, r)
	switch c.Accounts.Signup {
	case SignupOpen, SignupClosed:
	case SignupAllowlist:
		if c.Accounts.InvitationCodesFile == "" {
			r.add("accounts.invitation_codes_file", "signup is allowlist: set the file of invitation codes (one a line) that let a new person sign up")
		} else if _, err := os.Stat(c.Accounts.InvitationCodesFile); err != nil {
			r.add("accounts.invitation_codes_file", shown(c.Accounts.InvitationCodesFile)+" cannot be read; create it with one invitation code a line")
		}
	default:
		r.add("accounts.signup", shown(c.Accounts.Signup)+" is not a signup policy; use open, allowlist (invitation codes) or closed")
	}
	src := c.Accounts.webhookSecretSource()
	switch {
	case c.Accounts.WebhookURL == "" && src.count() > 0:
		r.add("accounts.webhook_url", "a webhook secret is set but no webhook_url; set the URL that receives user.merged events, or remove the secret")
	case c.Accounts.WebhookURL != "":
		c.checkURL("accounts.webhook_url", c.Accounts.WebhookURL, "the signed account events travel to it", r)
		if src.count() != 1 {
			r.add("accounts", "set exactly one of webhook_secret_env and webhook_secret_file: receivers check the events' HMAC signature with it")
		} else if v, f := src.read(lookupEnv); f != nil {
			r.add(joinPath("accounts", f.key), f.msg)
		} else if len(v) < minInternalKeyLen {
			r.add(joinPath("accounts", src.setKey()), fmt.Sprintf("the webhook secret is shorter than %d characters; generate one with: openssl rand -hex 32", minInternalKeyLen))
		}
	}
	switch c.Accounts.Merge {
	case MergeAuto, MergeManual:
	default:
		r.add("accounts.merge", shown(c.Accounts.Merge)+" is not a merge policy; use auto (one person, one user: merge at once) or manual (an operator merges)")
	}
}

// Admin configures the administration API under /admin/api/.
type Admin struct {
	// APIKeyEnv names the environment variable that holds the admin key.
	APIKeyEnv string `yaml:"api_key_env"`
	// APIKeyFile is a file that holds the admin key.
	APIKeyFile string `yaml:"api_key_file"`
	// RevealIDs lets the API show identities' openids and unionids and
	// users' phone numbers (off: apps, times and ids only).
	RevealIDs bool `yaml:"reveal_ids"`
}

func (a Admin) secretSource() secretSource {
	return secretSource{what: "the admin key", envKey: "api_key_env", fileKey: "api_key_file",
		env: a.APIKeyEnv, file: a.APIKeyFile}
}

// AdminAPIKey reads the key that guards /admin/api/ now, as InternalAPIKey
// does for /internal/. ok is false when none is configured: the admin API
// is then off.
func (c *Config) AdminAPIKey(lookupEnv func(string) (string, bool)) (key string, ok bool, err error) {
	lookup := lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	src := c.Admin.secretSource()
	if src.count() == 0 {
		return "", false, nil
	}
	v, f := src.read(lookup)
	if f != nil {
		return "", true, fmt.Errorf("config: admin.%s: %s", f.key, f.msg)
	}
	return v, true, nil
}

func (c *Config) checkAdmin(lookupEnv func(string) (string, bool), r *report) {
	src := c.Admin.secretSource()
	switch src.count() {
	case 0:
		return
	case 1:
	default:
		r.add("admin", "set only one of api_key_env and api_key_file")
		return
	}
	v, f := src.read(lookupEnv)
	if f != nil {
		r.add(joinPath("admin", f.key), f.msg)
		return
	}
	for _, w := range src.warnings {
		r.warn(joinPath("admin", w.key), w.msg)
	}
	if len(v) < minInternalKeyLen {
		msg := fmt.Sprintf("the admin key is shorter than %d characters, and it guards every user's account; generate one with: openssl rand -hex 32", minInternalKeyLen)
		if c.Dev {
			r.warn(joinPath("admin", src.setKey()), msg)
		} else {
			r.add(joinPath("admin", src.setKey()), msg)
		}
	}
}
