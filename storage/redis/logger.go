package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own messages (failed dials, pool trouble),
// which it otherwise prints to stderr, to l as warnings, so they pass
// through the process's handler (wxgate's redacts). go-redis keeps its
// logger process-wide: call this once, from main.
func SetLogger(l *slog.Logger) {
	goredis.SetLogger(slogPrinter{l})
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.l.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...), "component", "redis")
}
