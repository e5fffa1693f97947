package logging_test

import (
	"errors"
	"log/slog"
	"os"

	"github.com/wxgate/wxgate/logging"
)

// Wrap any slog handler; logging.New does this for slog's text and JSON
// handlers.
func ExampleNewRedactingHandler() {
	appSecrets := []string{"0123456789abcdef0123456789abcdef"}
	text := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // for a stable example
			}
			return a
		},
	})
	log := slog.New(logging.NewRedactingHandler(text, logging.Options{
		HashKey: []byte("from the keyring, the same on every instance"),
		Secrets: func() []string { return appSecrets },
	}))

	err := errors.New(`Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=0123456789abcdef0123456789abcdef&js_code=081xyz&grant_type=authorization_code": dial tcp: i/o timeout`)
	log.Warn("calling WeChat failed", "app", "shop", "openid", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "session_key", "tiihtNczf5v6AKRyjwEUhQ==", "err", err)
	log.Info("the AppSecret 0123456789abcdef0123456789abcdef was reloaded")
	// Output:
	// level=WARN msg="calling WeChat failed" app=shop openid=oid:1355a0969c session_key=[redacted] err="Get \"https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=[redacted]&js_code=[redacted]&grant_type=authorization_code\": dial tcp: i/o timeout"
	// level=INFO msg="the AppSecret [redacted] was reloaded"
}
