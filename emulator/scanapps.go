package emulator

import (
	"net/url"
	"regexp"

	"github.com/wxgate/wxgate/wechat"
)

// ServerSpec is what the scan logins add to an app: where a mini-program's
// pages run in the phone simulator, and an official account's server
// configuration (服务器配置), where WeChat pushes its events.
type ServerSpec struct {
	// PageURL (miniprogram) is a web page that stands in for the
	// mini-program's pages: the phone simulator opens
	// PageURL#page=...&scene=...&code=... when a person scans one of the
	// app's codes. Empty: the simulator shows the scene and code instead.
	PageURL string `json:"page_url,omitempty" yaml:"page_url,omitempty"`
	// ServerURL (official_account) receives the account's event pushes.
	ServerURL string `json:"server_url,omitempty" yaml:"server_url,omitempty"`
	// Token (official_account) signs the pushes: 3 to 32 letters and digits.
	Token string `json:"token,omitempty" yaml:"token,omitempty"`
	// EncodingAESKey (official_account) encrypts them in safe mode: 43
	// letters and digits.
	EncodingAESKey string `json:"encoding_aes_key,omitempty" yaml:"encoding_aes_key,omitempty"`
	// EncryptMode (official_account) is plaintext (default) or safe.
	EncryptMode string `json:"encrypt_mode,omitempty" yaml:"encrypt_mode,omitempty"`
}

// Encrypt modes of an official account's server configuration.
const (
	EncryptPlaintext = "plaintext"
	EncryptSafe      = "safe"
)

var (
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// validateServerSpec returns the problems of a ServerSpec for an app type.
func validateServerSpec(t wechat.AppType, s *ServerSpec) []string {
	var errs []string
	oa := t == wechat.AppTypeOfficialAccount
	if s.PageURL != "" {
		if t != wechat.AppTypeMiniProgram {
			errs = append(errs, "page_url: applies to miniprogram apps only")
		} else if u, err := url.Parse(s.PageURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, "page_url: an absolute http(s) URL without a fragment")
		}
	}
	if !oa {
		if s.ServerURL != "" || s.Token != "" || s.EncodingAESKey != "" || s.EncryptMode != "" {
			errs = append(errs, "server_url, token, encoding_aes_key, encrypt_mode: apply to official_account apps only")
		}
		return errs
	}
	if s.ServerURL != "" {
		if u, err := url.Parse(s.ServerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, "server_url: an absolute http(s) URL")
		}
		if s.Token == "" {
			errs = append(errs, "token: required with server_url")
		}
	}
	if s.Token != "" && !tokenPattern.MatchString(s.Token) {
		errs = append(errs, "token: 3 to 32 letters and digits")
	}
	if s.EncodingAESKey != "" && !aesKeyPattern.MatchString(s.EncodingAESKey) {
		errs = append(errs, "encoding_aes_key: 43 letters and digits")
	}
	switch s.EncryptMode {
	case "", EncryptPlaintext:
	case EncryptSafe:
		if s.EncodingAESKey == "" {
			errs = append(errs, "encoding_aes_key: required in safe mode")
		}
	default:
		errs = append(errs, `encrypt_mode: "plaintext" or "safe"`)
	}
	return errs
}
