package gateway

import (
	"fmt"
	"net/http"
	"sort"
)

// The catalogue of every error the gateway answers a client with, as JSON
// {"error":"code","message":"..."} or as an error page whose
// X-Wxgate-Error header carries the code. Each code has one status; the
// message is a default that a call site may make more precise (never with
// a secret, token, code or openid). Metric labels that name an outcome use
// these codes and nothing else. docs/gateway.md lists every code (a test
// checks it): add a code here and there together.
//
// To answer an error: errFoo.New(), errFoo.Msg("...%s", x) for a precise
// message, .Because(err) to log a cause the client never sees.
var (
	// Requests the gateway does not serve.
	errNotFound         = defineError(http.StatusNotFound, "not_found", "no such endpoint")
	errMethodNotAllowed = defineError(http.StatusMethodNotAllowed, "method_not_allowed", "this endpoint does not take this method; the Allow header lists those it takes")

	// Malformed requests.
	errMalformedBody        = defineError(http.StatusBadRequest, "malformed_body", "the request body could not be read")
	errBodyTooLarge         = defineError(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is too large")
	errUnsupportedMediaType = defineError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
	errMalformedJSON        = defineError(http.StatusBadRequest, "malformed_json", "the body must be one JSON object with the documented fields")
	errMissingField         = defineError(http.StatusBadRequest, "missing_field", "a required field is missing")
	errMissingCode          = defineError(http.StatusBadRequest, "missing_code", "set \"code\" to the code WeChat gave the client")
	errInvalidScope         = defineError(http.StatusBadRequest, "invalid_scope", "scope must be snsapi_base or snsapi_userinfo")

	// Apps.
	errMissingApp       = defineError(http.StatusBadRequest, "missing_app", "set \"app\" to the name of a configured app")
	errUnknownApp       = defineError(http.StatusBadRequest, "unknown_app", "no app of this name is configured")
	errWrongAppType     = defineError(http.StatusBadRequest, "wrong_app_type", "this endpoint does not serve apps of this type")
	errNoApp            = defineError(http.StatusNotFound, "no_app", "no app of the type this endpoint needs is configured")
	errAppNotConfigured = defineError(http.StatusForbidden, "app_not_configured", "the app this login or session belongs to is no longer configured; log in again")
	errSessionWrongApp  = defineError(http.StatusForbidden, "session_wrong_app", "this session belongs to an app of another type than this endpoint needs")

	// Authentication and protection.
	errUnauthenticated = defineError(http.StatusUnauthorized, "unauthenticated", "log in first, then send the session token as \"Authorization: Bearer <token>\" (or the wxgate_session cookie)")
	errSessionExpired  = defineError(http.StatusUnauthorized, "session_expired", "the session has expired or was revoked; log in again")
	errDuplicateCookie = defineError(http.StatusUnauthorized, "duplicate_cookie", "the request carries more than one wxgate session cookie (another site may have set one); clear this site's cookies and log in again")
	errUnauthorized    = defineError(http.StatusUnauthorized, "unauthorized", "send the internal API key as \"Authorization: Bearer <key>\"")
	errBadSignature    = defineError(http.StatusUnauthorized, "bad_signature",
		"this app requires signed requests: send X-Wxgate-Timestamp, X-Wxgate-Nonce (fresh for every request) and X-Wxgate-Signature as docs/signing.md describes")
	errCrossOrigin  = defineError(http.StatusForbidden, "cross_origin", "this request must come from the gateway's own origin")
	errRateLimited  = defineRetryError(http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the time the Retry-After header gives")
	errInternalKey  = defineError(http.StatusServiceUnavailable, "internal_key_unavailable", "the gateway cannot read its internal API key; the operator must fix it")
	errLoginBlocked = defineError(http.StatusForbidden, "login_blocked", "WeChat blocked this login as high-risk")

	// Mini-program data.
	errDecryptFailed   = defineError(http.StatusBadRequest, "decrypt_failed", "the data could not be decrypted with this session's key; call wx.login, log in again, fetch the data again and resend it")
	errSessionKeyStale = defineError(http.StatusConflict, "session_key_stale", "WeChat issued a newer session_key for this user (wx.login was called again); call wx.login, log in again with the new code, then fetch the data again and resend it")
	errDataExpired     = defineError(http.StatusBadRequest, "data_expired", "the encrypted data is older than allowed; get it again")

	// Codes from WeChat and WeChat's own failures.
	errInvalidCode         = defineError(http.StatusBadRequest, "invalid_code", "WeChat refused the code: it is wrong, expired or already used; get a new one")
	errWeChatBusy          = defineRetryError(http.StatusServiceUnavailable, "wechat_busy", "WeChat is busy; retry in a moment")
	errWeChatRateLimited   = defineRetryError(http.StatusServiceUnavailable, "wechat_rate_limited", "WeChat's rate limit was reached; retry later")
	errWeChatMisconfigured = defineError(http.StatusBadGateway, "wechat_misconfigured", "the gateway's WeChat configuration for this app is not accepted by WeChat; the operator must fix it")
	errWeChatTimeout       = defineError(http.StatusGatewayTimeout, "wechat_timeout", "WeChat did not answer in time; retry")
	errWeChatError         = defineError(http.StatusBadGateway, "wechat_error", "WeChat refused the request")
	errWeChatUnavailable   = defineError(http.StatusBadGateway, "wechat_unavailable", "WeChat could not be reached or answered unexpectedly; retry later")
	errCanceled            = defineError(499, "canceled", "the request was canceled")

	// The gateway's own failures.
	errStorageUnavailable = defineError(http.StatusServiceUnavailable, "storage_unavailable", "wxgate's storage is unreachable; retry shortly")
	errInternal           = defineError(http.StatusInternalServerError, "internal_error", "wxgate failed to handle the request; the gateway's log has the details")

	// Browser logins (error pages of the callback).
	errStateMissing       = defineError(http.StatusBadRequest, "state_missing", "the login link is missing its state; start the login again")
	errStateInvalid       = defineError(http.StatusBadRequest, "state_invalid", "the login link's state was not issued by this site; start the login again")
	errStateCookieMissing = defineError(http.StatusBadRequest, "state_cookie_missing", "the login must end in the browser where it started, with cookies enabled; start the login again")
	errStateExpired       = defineError(http.StatusBadRequest, "state_expired", "login links work once and for ten minutes; start the login again")
	errStateMismatch      = defineError(http.StatusForbidden, "state_mismatch", "this login was started in another browser; nobody was logged in")
	errLoginDeclined      = defineError(http.StatusForbidden, "login_declined", "WeChat says the login was not authorized; nobody was logged in")
	errCallbackPending    = defineError(http.StatusServiceUnavailable, "callback_pending", "the login is still being completed; reload the page")
)

// Scan logins (scan*.go): mini-program code and follow-the-account.
var (
	errScanExpired       = defineError(http.StatusGone, "scan_expired", "this login code has expired or was already used; start the login again in the browser")
	errScanWrongBrowser  = defineError(http.StatusForbidden, "scan_wrong_browser", "this login was started in another browser; a scan login ends in the browser where it started")
	errScanTaken         = defineError(http.StatusConflict, "scan_taken", "someone else already scanned this login code; start the login again in the browser")
	errScanState         = defineError(http.StatusConflict, "scan_state", "this login is no longer waiting for that step; start the login again in the browser")
	errScanBusy          = defineError(http.StatusConflict, "scan_busy", "this login is being changed by another request; try again")
	errInvalidScan       = defineError(http.StatusBadRequest, "invalid_scan", "id must be the id of a scan login this gateway started")
	errInvalidSeq        = defineError(http.StatusBadRequest, "invalid_seq", "seq must be the seq of the previous answer")
	errInvalidMethod     = defineError(http.StatusBadRequest, "invalid_method", "method must be miniprogram (mini-program code) or follow (the official account's QR code)")
	errScanLoginOff      = defineError(http.StatusBadRequest, "scan_login_off", "this app does not offer scan login; the operator turns it on with scan_page (miniprogram) or follow_login (official_account)")
	errNoScanLogin       = defineError(http.StatusNotFound, "no_scan_login", "no app offers this scan login; the operator turns it on with scan_page (miniprogram) or follow_login (official_account)")
	errMissingScene      = defineError(http.StatusBadRequest, "missing_scene", "set \"scene\" to options.scene (decodeURIComponent(options.scene)) of the page the code opened")
	errInvalidScene      = defineError(http.StatusBadRequest, "invalid_scene", "the scene was not made by this gateway; pass options.scene exactly (after decodeURIComponent)")
	errWrongApp          = defineError(http.StatusBadRequest, "wrong_app", "this login code belongs to another app")
	errInvalidConfirmTok = defineError(http.StatusForbidden, "invalid_confirm_token", "this confirm_token does not belong to this scan; scan the code again")
	errEventAppUnknown   = defineError(http.StatusNotFound, "event_app_unknown", "no official account receives events at this URL; the path names an app with event_token_env")
	errEventBadSignature = defineError(http.StatusForbidden, "event_bad_signature", "the push's signature does not match the account's Token")
	errEventStale        = defineError(http.StatusForbidden, "event_stale", "the push's timestamp is outside the replay window")
	errMalformedPush     = defineError(http.StatusBadRequest, "malformed_push", "the push is not one well-formed <xml> message (no DTD, at most 64 KiB)")
)

// errorKind is one entry of the catalogue.
type errorKind struct {
	Status  int
	Code    string
	Message string
	// RetryAfter: answers of this code carry a Retry-After header.
	RetryAfter bool
}

// catalogue holds every errorKind by code.
var catalogue = map[string]*errorKind{}

func defineError(status int, code, msg string) *errorKind {
	if _, dup := catalogue[code]; dup {
		panic("gateway: error code defined twice: " + code)
	}
	k := &errorKind{Status: status, Code: code, Message: msg}
	catalogue[code] = k
	return k
}

func defineRetryError(status int, code, msg string) *errorKind {
	k := defineError(status, code, msg)
	k.RetryAfter = true
	return k
}

// errorCodes lists the catalogue's codes, sorted.
func errorCodes() []string {
	out := make([]string, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// New is this error with its default message.
func (k *errorKind) New() *apiError {
	return &apiError{Status: k.Status, Code: k.Code, Message: k.Message}
}

// Msg is this error with a message of its own (fmt.Sprintf).
func (k *errorKind) Msg(format string, args ...any) *apiError {
	return &apiError{Status: k.Status, Code: k.Code, Message: fmt.Sprintf(format, args...)}
}

// Because is this error with its default message and a cause for the log.
func (k *errorKind) Because(cause error) *apiError {
	e := k.New()
	e.cause = cause
	return e
}

// Because sets the cause the log shows (never the client).
func (e *apiError) Because(cause error) *apiError { e.cause = cause; return e }

// After sets the Retry-After seconds.
func (e *apiError) After(seconds int) *apiError { e.RetryAfter = seconds; return e }

// kindByCode is the catalogue entry of code; errInternal if none.
func kindByCode(code string) *errorKind {
	if k, ok := catalogue[code]; ok {
		return k
	}
	return errInternal
}

// outcomeLabel is the catalogue code of err for metric labels and events:
// "ok" for nil, "internal_error" for anything outside the catalogue.
func outcomeLabel(err error) string {
	if err == nil {
		return "ok"
	}
	if ae, ok := asAPIError(err); ok {
		if _, known := catalogue[ae.Code]; known {
			return ae.Code
		}
	}
	return errInternal.Code
}
