package wechat

import (
	"encoding/json"
	"errors"
	"strconv"
)

// Scope is an OAuth scope of WeChat's authorization pages.
type Scope string

// The scopes WeChat's login pages accept.
const (
	// ScopeLogin is the only scope of website QR login (qrconnect).
	ScopeLogin Scope = "snsapi_login"
	// ScopeBase is official-account web auth without consent: openid only.
	ScopeBase Scope = "snsapi_base"
	// ScopeUserInfo is official-account web auth with consent: profile too.
	// Mobile apps are granted it as well.
	ScopeUserInfo Scope = "snsapi_userinfo"
)

// AppType is the kind of WeChat app an AppID belongs to. It decides which
// login flows the app may use.
type AppType string

// The app types wxgate knows.
const (
	AppTypeWebsite         AppType = "website"
	AppTypeOfficialAccount AppType = "official_account"
	AppTypeMiniProgram     AppType = "miniprogram"
	AppTypeMobile          AppType = "mobile"
)

// Valid reports whether t is one of the known app types.
func (t AppType) Valid() bool {
	switch t {
	case AppTypeWebsite, AppTypeOfficialAccount, AppTypeMiniProgram, AppTypeMobile:
		return true
	}
	return false
}

// flexString decodes a JSON string or number into a string. WeChat's docs
// show countryCode both ways; clients must accept either.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("wechat: want a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

// flexInt decodes a JSON number or a numeric string into an int64.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return errors.New("wechat: want a number")
		}
		n = json.Number(s)
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return errors.New("wechat: want an integer")
	}
	*f = flexInt(v)
	return nil
}

// unmarshalSecretString decodes a JSON string without ever quoting it in an
// error.
func unmarshalSecretString(b []byte) (string, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", errors.New("want a JSON string")
	}
	return s, nil
}
