package gateway

import (
	"context"
	"errors"
	"strings"

	"github.com/wxgate/wxgate/credential"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// wechatFailure turns a failed WeChat call into the client's answer. what
// names the thing the client sent ("login code", "phone code"). Problems
// with the client's input are 4xx; problems with wxgate's own WeChat
// configuration (wrong secret, unknown appid, IP allow-list) are 502 and
// logged as errors for the operator, since the client cannot fix them.
func (s *Server) wechatFailure(a *app, what string, err error) error {
	s.metrics.wechatError(err)
	wrap := func(k *errorKind, msg string) *apiError { return k.Msg("%s", msg).Because(err) }
	if errors.Is(err, storage.ErrUnavailable) {
		// Not WeChat's failure: the token cache (central control) is down.
		return storageFailure(err)
	}
	switch {
	case errors.Is(err, wechat.ErrInvalidCode), errors.Is(err, wechat.ErrCodeUsed), errors.Is(err, wechat.ErrCodeExpired):
		return wrap(errInvalidCode,
			"WeChat refused the "+what+": it is wrong, expired (codes live 5 minutes) or already used (codes are single-use); get a new one and retry with it")
	case errors.Is(err, wechat.ErrCodeBlocked):
		return wrap(errLoginBlocked, "WeChat blocked this login as high-risk")
	case errors.Is(err, wechat.ErrSystemBusy):
		return wrap(errWeChatBusy, "WeChat is busy; retry in a moment"+retryHint(what)).After(1)
	case errors.Is(err, wechat.ErrMinuteQuota):
		return wrap(errWeChatRateLimited, "WeChat's per-minute limit was reached; retry in a minute"+retryHint(what)).After(60)
	case errors.Is(err, wechat.ErrDailyQuota):
		s.log.Error("WeChat's daily quota for this app is used up", "app", a.Name(), "err", err)
		return wrap(errWeChatRateLimited, "WeChat's daily quota for this app is used up; retry later").After(3600)
	case errors.Is(err, wechat.ErrInvalidOpenID):
		return wrap(errInvalidCode, "WeChat says the "+what+" does not belong to this user")
	case errors.Is(err, wechat.ErrInvalidAppSecret), errors.Is(err, wechat.ErrInvalidAppID),
		errors.Is(err, wechat.ErrAppSecretFrozen), errors.Is(err, wechat.ErrIPNotAllowed),
		errors.Is(err, wechat.ErrUnauthorized), errors.Is(err, wechat.ErrInvalidGrantType),
		errors.Is(err, credential.ErrUnknownApp):
		if errors.Is(err, wechat.ErrInvalidAppSecret) && s.reloadSecret(a) {
			// The operator reset the secret: the next call uses the new
			// one. This one is not retried (its code may be spent).
			return wrap(errWeChatMisconfigured, "the gateway's AppSecret had just been changed; retry"+retryHint(what))
		}
		s.log.Error("WeChat refused wxgate's credentials: check the app's appid, its secret (rotate it with SIGHUP after changing it) and the IP allow-list in the WeChat console",
			"app", a.Name(), "err", err)
		return errWeChatMisconfigured.Because(err)
	case errors.Is(err, context.DeadlineExceeded):
		return wrap(errWeChatTimeout, "WeChat did not answer in time; retry"+retryHint(what))
	case errors.Is(err, context.Canceled):
		return errCanceled.Because(err)
	default:
		var we *wechat.Error
		if errors.As(err, &we) && we.Code != 0 && we.Code != -1 && !wechat.StaleToken(err) {
			return errWeChatError.Because(err)
		}
		return wrap(errWeChatUnavailable, "WeChat could not be reached or answered unexpectedly; retry later"+retryHint(what))
	}
}

// retryHint reminds the client that a code it sent may be spent: a retry
// needs a new one.
func retryHint(what string) string {
	if strings.HasSuffix(what, "code") {
		return " with a new " + what
	}
	return ""
}
