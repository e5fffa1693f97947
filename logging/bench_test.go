package logging

import (
	"errors"
	"io"
	"log/slog"
	"testing"
)

// BenchmarkRequestLine is the cost of the gateway's access-log line, to
// JSON, without and with redaction: the difference is what redaction
// costs per request.
func BenchmarkRequestLine(b *testing.B) {
	json := slog.NewJSONHandler(io.Discard, nil)
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"plain", json},
		{"redacted", NewRedactingHandler(json, testOptions())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			log := slog.New(bc.h)
			b.ReportAllocs()
			for b.Loop() {
				log.Info("request", "request_id", "req_9f86d081884c7d659a2feaa0c55ad015", "method", "POST",
					"path", "/auth/miniprogram/login", "status", 200, "bytes", 312, "duration_ms", 4)
			}
		})
	}
}

// BenchmarkErrorLine is a failure line whose error embeds a WeChat URL
// with secrets: the slow path.
func BenchmarkErrorLine(b *testing.B) {
	err := errors.New(`wechat: calling jscode2session: Get "https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=0123456789abcdef0123456789abcdef&js_code=081xyz&grant_type=authorization_code": dial tcp 101.226.212.27:443: i/o timeout`)
	log := slog.New(NewRedactingHandler(slog.NewJSONHandler(io.Discard, nil), testOptions()))
	b.ReportAllocs()
	for b.Loop() {
		log.Warn("calling WeChat failed", "app", "shop", "openid", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "err", err)
	}
}
