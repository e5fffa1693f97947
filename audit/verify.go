package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// APIBase is api.weixin.qq.com's base URL (an emulator's in tests).
	// Empty means wechat.DefaultAPIBase.
	APIBase string
	// HTTPClient makes the calls; nil means one with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each check; 0 means 10 s.
	Timeout time.Duration
}

// Verify checks each AppSecret finding that has an appid next to it by
// asking WeChat for the app's stable access token in normal mode
// (cgi-bin/stable_token with force_refresh false), which hands back the
// current token without rotating anything. It never calls cgi-bin/token,
// which would invalidate the owner's production token. Each distinct
// (appid, secret) pair is checked once. The token obtained is discarded.
//
// Verified becomes "valid: ...", "invalid: ..." or "unverified: ...".
func Verify(ctx context.Context, fs []Finding, opts VerifyOptions) error {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	type pair struct{ appid, secret string }
	done := map[pair]string{}
	for i := range fs {
		f := &fs[i]
		if f.Kind != KindAppSecret || f.value == "" {
			continue
		}
		if f.appID == "" {
			f.Verified = "unverified: no appid next to it"
			continue
		}
		p := pair{f.appID, f.value}
		if v, ok := done[p]; ok {
			f.Verified = v
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		v := verifyPair(ctx, p.appid, p.secret, opts)
		done[p] = v
		f.Verified = v
	}
	return nil
}

func verifyPair(ctx context.Context, appid, secret string, opts VerifyOptions) string {
	c, err := wechat.New(wechat.Config{AppID: appid, Secret: wechat.NewSecret(secret), APIBase: opts.APIBase, HTTPClient: opts.HTTPClient})
	if err != nil {
		return "unverified: " + scrub(err.Error(), secret)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	_, err = c.StableAccessToken(ctx, false)
	var we *wechat.Error
	switch {
	case err == nil:
		return "valid: WeChat accepts this appid and secret; reset the secret now"
	case errors.As(err, &we) && (we.Code == 40125 || we.Code == 40013 || we.Code == 40001 || we.Code == 41004 || we.Code == 40243):
		return fmt.Sprintf("invalid: WeChat refused it (errcode %d)", we.Code)
	case errors.As(err, &we):
		return fmt.Sprintf("unverified: WeChat answered errcode %d", we.Code)
	}
	return "unverified: " + scrub(err.Error(), secret)
}

// scrub removes a secret from an error text.
func scrub(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, Redact(secret))
	}
	return redactRuns(s)
}
