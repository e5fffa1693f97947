package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestURLErrors logs the errors of real failed http.Client calls to
// URLs carrying secrets, as the WeChat client would make them, in both
// formats and every way a caller might log them: nothing secret is left.
func TestURLErrors(t *testing.T) {
	const jsCode, accessToken, openid = "081AbCdE2xYz0K3fGhIj", "ACCESS-TOKEN-81-xyz.abc", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"

	// A server that is gone: connection refused.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	// A server that hangs up without answering: EOF.
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer hangup.Close()
	// A server that redirects to a URL with the secret and an invalid
	// scheme: the redirect's error quotes it.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://elsewhere/?secret="+appSecret, http.StatusFound)
	}))
	defer redirect.Close()

	var errs []error
	for _, base := range []string{gone.URL, hangup.URL, redirect.URL} {
		for _, u := range []string{
			base + "/sns/jscode2session?appid=wx1&secret=" + appSecret + "&js_code=" + jsCode + "&grant_type=authorization_code",
			base + "/sns/userinfo?" + url.Values{"access_token": {accessToken}, "openid": {openid}}.Encode(),
			base + "/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=" + url.QueryEscape(appSecret),
		} {
			_, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
			var ue *url.Error
			if !errors.As(err, &ue) {
				t.Fatalf("GET %s: %v is not a *url.Error", base, err)
			}
			errs = append(errs, err, fmt.Errorf("wechat: calling WeChat: %w", err))
		}
	}
	// A dial error with the context's deadline.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", gone.URL+"/sns/oauth2/access_token?code="+jsCode+"&secret="+appSecret, nil)
	_, err := http.DefaultClient.Do(req)
	errs = append(errs, err)

	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := New(&buf, format, slog.LevelDebug, Options{HashKey: testHashKey}) // no exact-value list: the patterns alone
		for _, err := range errs {
			log.Error("calling WeChat failed", "err", err)
			log.Error("calling WeChat failed: " + err.Error())
			log.Debug("detail", "cause", fmt.Sprintf("%+v", err), slog.Any("wrapped", []error{err}))
			log.With("err", err).Warn("with")
			var ne net.Error
			if errors.As(err, &ne) {
				log.Info("net error", "timeout", ne.Timeout())
			}
		}
		out := buf.String()
		for _, secret := range []string{appSecret, jsCode, accessToken, openid, url.QueryEscape(accessToken)} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log shows %q:\n%s", format, secret, out)
			}
		}
		if !strings.Contains(out, "secret=[redacted]") || !strings.Contains(out, "jscode2session") {
			t.Errorf("%s log lacks the scrubbed URL:\n%s", format, out)
		}
	}
}
