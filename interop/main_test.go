package interop

import (
	"log/slog"
	"os"
	"sync"
	"testing"
)

// shared holds what several benchmarks (and the b.N rounds of one) use: a
// provider started once per process, stopped after every test and
// benchmark has run.
var shared struct {
	mu     sync.Mutex
	stops  []func()
	hydra  *hydraStack
	wxgate *wxgateBench
}

// sharedStack returns *slot, starting it with start the first time.
func sharedStack[T any](tb testing.TB, slot **T, start func(testing.TB) (*T, func(), error)) *T {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if *slot == nil {
		s, stop, err := start(tb)
		if err != nil {
			tb.Fatal(err)
		}
		*slot = s
		shared.stops = append(shared.stops, stop)
	}
	return *slot
}

// libLogs receives what libraries log through slog's default logger (the
// OpenID protocol library does): the tests search it for leaks as they do
// the gateway's own logs.
var libLogs = &syncBuffer{}

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(libLogs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	code := m.Run()
	shared.mu.Lock()
	for _, stop := range shared.stops {
		stop()
	}
	shared.mu.Unlock()
	os.Exit(code)
}
