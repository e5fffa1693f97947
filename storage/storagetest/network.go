package storagetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// Helpers of the networked backends' failure tests (PostgreSQL, Redis):
// a server down at start, cut connections, a hung server. Each backend's
// test names its server and configuration key once, in a Network.

// Network describes a networked backend for its failure tests.
type Network struct {
	// Server is the name errors give the server ("PostgreSQL", "Redis").
	Server string
	// ConfigKey is the configuration key errors tell the operator to
	// check ("database:", "cache:").
	ConfigKey string
}

// Unavailable fails the test unless err wraps storage.ErrUnavailable and
// says which server (at addr) and what to check: the error reason every
// networked backend gives.
func (n Network) Unavailable(t testing.TB, what string, err error, addr string) {
	t.Helper()
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("%s: error %v, want one wrapping storage.ErrUnavailable", what, err)
	}
	if msg := err.Error(); !strings.Contains(msg, n.Server+" at "+addr) || !strings.Contains(msg, n.ConfigKey+" in the configuration") {
		t.Errorf("%s: %q does not name %s at %s and what to check (%s in the configuration)", what, msg, n.Server, addr, n.ConfigKey)
	}
}

// Within runs call and fails the test if it takes longer than limit.
func Within(t testing.TB, limit time.Duration, what string, call func() error) error {
	t.Helper()
	start := time.Now()
	err := call()
	if took := time.Since(start); took > limit {
		t.Errorf("%s took %v, more than %v", what, took.Round(time.Millisecond), limit)
	}
	return err
}

// Eventually polls cond until it returns nil, failing the test after
// timeout with cond's last error.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
