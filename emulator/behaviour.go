package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Switch is a behaviour option that is on, off, or unset. Unset (the zero
// value) means the documented default, so a Behaviour literal only names
// the options it changes. It reads and writes as a JSON or YAML boolean.
type Switch uint8

// The values of a Switch.
const (
	SwitchDefault Switch = iota
	SwitchOn
	SwitchOff
)

// SwitchOf returns SwitchOn for true and SwitchOff for false.
func SwitchOf(on bool) Switch {
	if on {
		return SwitchOn
	}
	return SwitchOff
}

// On resolves s: def when s is unset.
func (s Switch) On(def bool) bool {
	switch s {
	case SwitchOn:
		return true
	case SwitchOff:
		return false
	}
	return def
}

func (s Switch) String() string {
	switch s {
	case SwitchOn:
		return "true"
	case SwitchOff:
		return "false"
	}
	return "default"
}

// MarshalJSON writes true, false or null.
func (s Switch) MarshalJSON() ([]byte, error) {
	if s == SwitchDefault {
		return []byte("null"), nil
	}
	return []byte(s.String()), nil
}

// UnmarshalJSON reads true, false or null.
func (s *Switch) UnmarshalJSON(b []byte) error {
	var v *bool
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("want true or false")
	}
	*s = SwitchDefault
	if v != nil {
		*s = SwitchOf(*v)
	}
	return nil
}

// UnmarshalYAML reads a YAML boolean.
func (s *Switch) UnmarshalYAML(n *yaml.Node) error {
	var v bool
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: want true or false", n.Line)
	}
	*s = SwitchOf(v)
	return nil
}

// MarshalYAML writes true or false, or nothing (null) for the default.
func (s Switch) MarshalYAML() (any, error) {
	if s == SwitchDefault {
		return nil, nil
	}
	return s == SwitchOn, nil
}

// IsZero lets YAML's omitempty leave out an unset Switch.
func (s Switch) IsZero() bool { return s == SwitchDefault }

// Set and IsBoolFlag make a Switch usable as a command-line flag.
func (s *Switch) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*s = SwitchOf(b)
	return nil
}

// IsBoolFlag lets `--flag` mean `--flag=true`.
func (s *Switch) IsBoolFlag() bool { return true }

// Values of Behaviour.DenyRedirect.
const (
	DenyRedirectStateOnly = "state_only"
	DenyRedirectNone      = "none"
)

// Values of Behaviour.JSCodeRateScope.
const (
	RateScopeUser = "user"
	RateScopeApp  = "app"
	RateScopeOff  = "off"
)

// Values of Behaviour.StableForceTooSoon.
const (
	TooSoonError   = "error"
	TooSoonCurrent = "current"
)

// Behaviour holds the options for the points of WeChat's behaviour that
// wechat-api.md marks unconfirmed or that tests want to vary. Every zero
// field means its documented default, which is the stricter reading.
// docs/emulator.md explains each option and why it exists.
type Behaviour struct {
	// DenyRedirect is what happens when the user refuses on qrconnect or the
	// official-account consent page: "state_only" (default) navigates to
	// redirect_uri?state=STATE with no code; "none" does not redirect.
	DenyRedirect string `json:"deny_redirect,omitempty" yaml:"deny_redirect,omitempty"`
	// StrictStateCharset refuses a state with characters outside [A-Za-z0-9]
	// (error page 10013). Default on.
	StrictStateCharset Switch `json:"strict_state_charset,omitempty" yaml:"strict_state_charset,omitempty"`
	// RequireState refuses an empty state (error page 10013). Default on.
	RequireState Switch `json:"require_state,omitempty" yaml:"require_state,omitempty"`
	// JSCodeRateScope is what jscode2session's 45011 limit counts: "user"
	// (default: per app and user), "app" (per app) or "off".
	JSCodeRateScope string `json:"jscode_rate_scope,omitempty" yaml:"jscode_rate_scope,omitempty"`
	// JSCodeRateLimit is the number of jscode2session calls allowed per
	// calendar minute in that scope. Default 100.
	JSCodeRateLimit int `json:"jscode_rate_limit,omitempty" yaml:"jscode_rate_limit,omitempty"`
	// CheckSessionPostBody lets wxa/checksession read its parameters from a
	// POST body (form or JSON) when the query lacks them. Default off.
	CheckSessionPostBody Switch `json:"checksession_post_body,omitempty" yaml:"checksession_post_body,omitempty"`
	// StableForceTooSoon is stable_token's answer to a force_refresh less
	// than 30 s after the previous one: "current" (default: the current
	// token, unchanged, as WeChat's documentation says: it "will not be
	// refreshed") or "error" (45011).
	StableForceTooSoon string `json:"stable_force_too_soon,omitempty" yaml:"stable_force_too_soon,omitempty"`
	// RevokeOnCodeReuse revokes the tokens issued from an OAuth code when the
	// code is presented again (RFC 6749 §4.1.2). Default off.
	RevokeOnCodeReuse Switch `json:"revoke_on_code_reuse,omitempty" yaml:"revoke_on_code_reuse,omitempty"`
	// BaseRevokesRefresh makes a new snsapi_base authorization revoke the
	// refresh tokens of the user's earlier snsapi_userinfo grants to the same
	// official account. Default off.
	BaseRevokesRefresh Switch `json:"base_revokes_refresh,omitempty" yaml:"base_revokes_refresh,omitempty"`
	// RotateRefreshToken makes sns/oauth2/refresh_token return a new
	// refresh_token string (same expiry; the old string stops working).
	// Default off: the same string comes back.
	RotateRefreshToken Switch `json:"rotate_refresh_token,omitempty" yaml:"rotate_refresh_token,omitempty"`
	// RefreshTokenDays is the lifetime of a user refresh_token. Default 30.
	RefreshTokenDays int `json:"refresh_token_days,omitempty" yaml:"refresh_token_days,omitempty"`
	// TokenDailyQuota is the number of cgi-bin/token calls per app and
	// virtual day (UTC+8). Default 2000; negative means unlimited.
	TokenDailyQuota int `json:"token_daily_quota,omitempty" yaml:"token_daily_quota,omitempty"`
	// ExpiredCodeErrcode is the errcode for an expired OAuth or js code:
	// 40029 (default) or 42003.
	ExpiredCodeErrcode int `json:"expired_code_errcode,omitempty" yaml:"expired_code_errcode,omitempty"`
}

// over returns b with every field that o sets replaced by o's value.
func (b Behaviour) over(o Behaviour) Behaviour {
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	sw := func(dst *Switch, v Switch) {
		if v != SwitchDefault {
			*dst = v
		}
	}
	num := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	str(&b.DenyRedirect, o.DenyRedirect)
	sw(&b.StrictStateCharset, o.StrictStateCharset)
	sw(&b.RequireState, o.RequireState)
	str(&b.JSCodeRateScope, o.JSCodeRateScope)
	num(&b.JSCodeRateLimit, o.JSCodeRateLimit)
	sw(&b.CheckSessionPostBody, o.CheckSessionPostBody)
	str(&b.StableForceTooSoon, o.StableForceTooSoon)
	sw(&b.RevokeOnCodeReuse, o.RevokeOnCodeReuse)
	sw(&b.BaseRevokesRefresh, o.BaseRevokesRefresh)
	sw(&b.RotateRefreshToken, o.RotateRefreshToken)
	num(&b.RefreshTokenDays, o.RefreshTokenDays)
	num(&b.TokenDailyQuota, o.TokenDailyQuota)
	num(&b.ExpiredCodeErrcode, o.ExpiredCodeErrcode)
	return b
}

// Effective returns b with every unset option replaced by its default.
func (b Behaviour) Effective() Behaviour {
	return Behaviour{
		DenyRedirect:         DenyRedirectStateOnly,
		StrictStateCharset:   SwitchOn,
		RequireState:         SwitchOn,
		JSCodeRateScope:      RateScopeUser,
		JSCodeRateLimit:      100,
		CheckSessionPostBody: SwitchOff,
		StableForceTooSoon:   TooSoonCurrent,
		RevokeOnCodeReuse:    SwitchOff,
		BaseRevokesRefresh:   SwitchOff,
		RotateRefreshToken:   SwitchOff,
		RefreshTokenDays:     30,
		TokenDailyQuota:      2000,
		ExpiredCodeErrcode:   40029,
	}.over(b)
}

// Validate reports every invalid option at once.
func (b Behaviour) Validate() error {
	var errs []string
	oneOf := func(name, v string, allowed ...string) {
		if v == "" {
			return
		}
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		errs = append(errs, fmt.Sprintf("%s: %q is not one of %s", name, v, strings.Join(allowed, ", ")))
	}
	oneOf("deny_redirect", b.DenyRedirect, DenyRedirectStateOnly, DenyRedirectNone)
	oneOf("jscode_rate_scope", b.JSCodeRateScope, RateScopeUser, RateScopeApp, RateScopeOff)
	oneOf("stable_force_too_soon", b.StableForceTooSoon, TooSoonError, TooSoonCurrent)
	for _, s := range []struct {
		name string
		v    Switch
	}{
		{"strict_state_charset", b.StrictStateCharset}, {"require_state", b.RequireState},
		{"checksession_post_body", b.CheckSessionPostBody}, {"revoke_on_code_reuse", b.RevokeOnCodeReuse},
		{"base_revokes_refresh", b.BaseRevokesRefresh}, {"rotate_refresh_token", b.RotateRefreshToken},
	} {
		if s.v > SwitchOff {
			errs = append(errs, s.name+": invalid switch value")
		}
	}
	if b.JSCodeRateLimit < 0 || b.JSCodeRateLimit > 1_000_000 {
		errs = append(errs, "jscode_rate_limit: must be between 1 and 1000000")
	}
	if b.RefreshTokenDays < 0 || b.RefreshTokenDays > 3650 {
		errs = append(errs, "refresh_token_days: must be between 1 and 3650")
	}
	if b.TokenDailyQuota > 100_000_000 {
		errs = append(errs, "token_daily_quota: must be at most 100000000 (negative for unlimited)")
	}
	if b.ExpiredCodeErrcode != 0 && b.ExpiredCodeErrcode != 40029 && b.ExpiredCodeErrcode != 42003 {
		errs = append(errs, "expired_code_errcode: must be 40029 or 42003")
	}
	if len(errs) > 0 {
		return errors.New("emulator: behaviour: " + strings.Join(errs, "; "))
	}
	return nil
}

// rules is the resolved behaviour the handlers read.
type rules struct {
	denyRedirect       bool
	strictStateCharset bool
	requireState       bool
	rateScope          string
	rateLimit          int
	checkSessionBody   bool
	tooSoonCurrent     bool
	revokeOnReuse      bool
	baseRevokesRefresh bool
	rotateRefresh      bool
	refreshTTL         time.Duration
	tokenQuota         int // < 0: unlimited
	expiredCode        int
}

func (b Behaviour) rules() rules {
	e := b.Effective()
	return rules{
		denyRedirect:       e.DenyRedirect == DenyRedirectStateOnly,
		strictStateCharset: e.StrictStateCharset.On(true),
		requireState:       e.RequireState.On(true),
		rateScope:          e.JSCodeRateScope,
		rateLimit:          e.JSCodeRateLimit,
		checkSessionBody:   e.CheckSessionPostBody.On(false),
		tooSoonCurrent:     e.StableForceTooSoon == TooSoonCurrent,
		revokeOnReuse:      e.RevokeOnCodeReuse.On(false),
		baseRevokesRefresh: e.BaseRevokesRefresh.On(false),
		rotateRefresh:      e.RotateRefreshToken.On(false),
		refreshTTL:         time.Duration(e.RefreshTokenDays) * 24 * time.Hour,
		tokenQuota:         e.TokenDailyQuota,
		expiredCode:        e.ExpiredCodeErrcode,
	}
}
