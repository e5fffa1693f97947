package config

import (
	"regexp"
	"strings"

	"github.com/wxgate/wxgate/wechat"
)

// The keys of the scan logins (mini-program code, follow-the-account,
// OpenSDK QR): which type each belongs to, and the secrets of the
// account's event pushes.

var scanPagePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)

// checkScanLogin validates an app's scan-login keys.
func checkScanLogin(a *App, at func(string) string, lookupEnv func(string) (string, bool), r *report) {
	if !a.Type.Valid() {
		return
	}
	only := func(key string, set bool, t wechat.AppType) bool {
		if set && a.Type != t {
			r.add(at(key), "applies to "+string(t)+" apps only; remove it from this "+string(a.Type)+" app")
			return false
		}
		return set
	}
	if only("scan_page", a.ScanPage != "", wechat.AppTypeMiniProgram) {
		if strings.HasPrefix(a.ScanPage, "/") || len(a.ScanPage) > 128 || !scanPagePattern.MatchString(a.ScanPage) {
			r.add(at("scan_page"), shown(a.ScanPage)+" is not a mini-program page path; write it as in app.json, without a leading slash (pages/login/scan)")
		}
	}
	if a.ScanEnvVersion != "" && a.ScanPage == "" && a.Type == wechat.AppTypeMiniProgram {
		r.add(at("scan_env_version"), "is set but scan_page is not; set scan_page to turn on mini-program code login")
	}
	if only("scan_env_version", a.ScanEnvVersion != "", wechat.AppTypeMiniProgram) {
		switch wechat.EnvVersion(a.ScanEnvVersion) {
		case wechat.EnvRelease, wechat.EnvTrial, wechat.EnvDevelop:
		default:
			r.add(at("scan_env_version"), shown(a.ScanEnvVersion)+" is not a mini-program version; use release, trial or develop")
		}
	}
	only("follow_login", a.FollowLogin, wechat.AppTypeOfficialAccount)
	only("sdk_qr_login", a.SDKQRLogin, wechat.AppTypeMobile)
	tokenSet := only("event_token_env", a.EventTokenEnv != "", wechat.AppTypeOfficialAccount)
	aesSet := only("event_aes_key_env", a.EventAESKeyEnv != "", wechat.AppTypeOfficialAccount)
	if a.Type != wechat.AppTypeOfficialAccount {
		return
	}
	if a.FollowLogin && !tokenSet {
		r.add(at("event_token_env"), "follow_login needs the Token of the account's server configuration; put it in an environment variable and name the variable here")
	}
	if aesSet && !tokenSet {
		r.add(at("event_aes_key_env"), "safe mode needs event_token_env as well (messages are signed with the Token)")
	}
	token, aesKey, f := a.eventSecrets(lookupEnv)
	switch {
	case f != nil:
		r.add(at(f.key), f.msg)
	case tokenSet && !validEventToken(token):
		r.add(at("event_token_env"), "the Token in "+a.EventTokenEnv+" must be 3 to 32 letters and digits, as the platform's server configuration requires")
	case aesSet && !validAESKey(aesKey):
		r.add(at("event_aes_key_env"), "the EncodingAESKey in "+a.EventAESKeyEnv+" must be the 43 letters and digits the platform shows")
	}
}

var (
	eventTokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyPattern     = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

func validEventToken(s string) bool { return eventTokenPattern.MatchString(s) }
func validAESKey(s string) bool     { return aesKeyPattern.MatchString(s) }

// eventSecrets reads the Token and EncodingAESKey, each "" when unset.
func (a *App) eventSecrets(lookupEnv func(string) (string, bool)) (token, aesKey string, f *fault) {
	if a.EventTokenEnv != "" {
		src := secretSource{what: "the Token", envKey: "event_token_env", fileKey: "event_token_env", env: a.EventTokenEnv}
		if token, f = src.read(lookupEnv); f != nil {
			return "", "", f
		}
	}
	if a.EventAESKeyEnv != "" {
		src := secretSource{what: "the EncodingAESKey", envKey: "event_aes_key_env", fileKey: "event_aes_key_env", env: a.EventAESKeyEnv}
		if aesKey, f = src.read(lookupEnv); f != nil {
			return "", "", f
		}
	}
	return token, aesKey, nil
}

// EventSecrets reads an official account's event Token and EncodingAESKey
// from the environment (each "" when not configured).
func (a *App) EventSecrets(lookupEnv func(string) (string, bool)) (token, aesKey string, err error) {
	t, k, f := a.eventSecrets(lookupEnv)
	if f != nil {
		return "", "", &fieldError{key: f.key, msg: f.msg}
	}
	return t, k, nil
}

type fieldError struct{ key, msg string }

func (e *fieldError) Error() string { return "config: " + e.key + ": " + e.msg }
