package wechat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Error is every failure of a WeChat API call that reached WeChat (or
// something answering in its place): an errcode in the body, a non-200
// status, or a body that is neither the expected answer nor an error.
//
// Code is WeChat's errcode; it is 0 when WeChat sent none (Err then says
// what was wrong). Msg is errmsg without its request id, RID the request id
// WeChat appended ("rid: ..."), HTTPStatus the status code, and Path the API
// path that was called. No field ever holds a secret, token or code.
type Error struct {
	Code       int
	Msg        string
	RID        string
	HTTPStatus int
	Path       string
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wechat: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "errcode %d", e.Code)
		if e.Msg != "" {
			b.WriteString(" (")
			b.WriteString(e.Msg)
			b.WriteString(")")
		}
	case e.Err != nil:
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "wechat: "))
		if e.Msg != "" {
			b.WriteString(": ")
			b.WriteString(e.Msg)
		}
	default:
		b.WriteString(e.Msg)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != 200 {
		fmt.Fprintf(&b, " [HTTP %d]", e.HTTPStatus)
	}
	if e.RID != "" {
		b.WriteString(" rid: ")
		b.WriteString(e.RID)
	}
	return b.String()
}

// Unwrap returns the underlying cause, such as ErrBadResponse.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same non-zero Code, so
// errors.Is(err, wechat.ErrCodeUsed) works on any error chain.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != 0 && t.Code == e.Code
}

// Sentinels for the errcodes callers branch on. Compare with errors.Is.
var (
	ErrSystemBusy          = &Error{Code: -1, Msg: "system error"}
	ErrInvalidCredential   = &Error{Code: 40001, Msg: "invalid credential, access_token is invalid or not latest"}
	ErrInvalidGrantType    = &Error{Code: 40002, Msg: "invalid grant_type"}
	ErrInvalidOpenID       = &Error{Code: 40003, Msg: "invalid openid"}
	ErrInvalidAppID        = &Error{Code: 40013, Msg: "invalid appid"}
	ErrInvalidAccessToken  = &Error{Code: 40014, Msg: "invalid access_token"}
	ErrInvalidCode         = &Error{Code: 40029, Msg: "invalid code"}
	ErrInvalidRefreshToken = &Error{Code: 40030, Msg: "invalid refresh_token"}
	ErrInvalidAppSecret    = &Error{Code: 40125, Msg: "invalid appsecret"}
	ErrCodeUsed            = &Error{Code: 40163, Msg: "code been used"}
	ErrIPNotAllowed        = &Error{Code: 40164, Msg: "invalid ip, not in whitelist"}
	ErrCodeBlocked         = &Error{Code: 40226, Msg: "code blocked"}
	ErrAppSecretFrozen     = &Error{Code: 40243, Msg: "appsecret frozen"}
	ErrAccessTokenMissing  = &Error{Code: 41001, Msg: "access_token missing"}
	ErrAccessTokenExpired  = &Error{Code: 42001, Msg: "access_token expired"}
	ErrRefreshTokenExpired = &Error{Code: 42002, Msg: "refresh_token expired"}
	ErrCodeExpired         = &Error{Code: 42003, Msg: "code expired"}
	ErrPasswordChanged     = &Error{Code: 42007, Msg: "user changed password"}
	ErrDailyQuota          = &Error{Code: 45009, Msg: "reach max api daily quota limit"}
	ErrMinuteQuota         = &Error{Code: 45011, Msg: "api minute-quota reach limit, must slower, retry next minute"}
	ErrDataFormat          = &Error{Code: 47001, Msg: "data format error"}
	ErrUnauthorized        = &Error{Code: 48001, Msg: "api unauthorized"}
	ErrInvalidSignature    = &Error{Code: 87009, Msg: "invalid signature"}
)

// ErrBadResponse is the cause (see Error.Unwrap) when a response carries
// neither the expected fields nor an errcode: not JSON, too large, a
// success body missing a required field, or a non-200 status without an
// errcode.
var ErrBadResponse = errors.New("wechat: unexpected response")

// StaleToken reports whether err says the app access token used for the call
// is no longer valid (40001, 40014 or 42001), so a caller holding a cached
// token should refresh it (once, and only if the cache still holds the token
// that failed) and retry.
func StaleToken(err error) bool {
	return errors.Is(err, ErrInvalidCredential) ||
		errors.Is(err, ErrAccessTokenExpired) ||
		errors.Is(err, ErrInvalidAccessToken)
}

// Temporary reports whether err is worth retrying later with the same
// input: WeChat's "system busy" (-1), its per-minute limit (45011), a 5xx
// status, or a failure to reach WeChat or read its answer. A cancelled or
// expired context, a refused input and the client's own validation errors
// are not. Temporary says nothing about whether a retry is safe: a call
// that may have consumed a single-use code must not be repeated.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code == -1 || e.Code == 45011 || (e.Code == 0 && e.HTTPStatus >= 500)
	}
	var te *transportErr
	return errors.As(err, &te)
}

// transportErr marks a failure to reach WeChat or to read its answer.
type transportErr struct{ err error }

func (t *transportErr) Error() string { return t.err.Error() }
func (t *transportErr) Unwrap() error { return t.err }

// ridPattern finds the request id WeChat appends to errmsg in its current
// form ("..., rid: 652d44d0-1d0af18b-5b069232" or "... rid: ...") and its
// older ones ("hints: [ req_id: X ]", "hint: [X]").
var ridPattern = regexp.MustCompile(`,?\s*(?:rid:\s*([0-9A-Za-z-]+)|hints?:\s*\[\s*(?:req_id:\s*)?([^\]\s]+)\s*\])\s*$`)

// splitRID separates the request id from an errmsg.
func splitRID(msg string) (text, rid string) {
	m := ridPattern.FindStringSubmatchIndex(msg)
	if m == nil {
		return strings.TrimSpace(msg), ""
	}
	for _, g := range []int{2, 4} {
		if m[g] >= 0 {
			rid = msg[m[g]:m[g+1]]
		}
	}
	return strings.TrimSpace(msg[:m[0]]), rid
}
