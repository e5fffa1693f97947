package wechat

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	busy := &Error{Code: -1}
	tests := []struct {
		name    string
		errs    []error
		calls   int
		wantErr error
	}{
		{"success at once", []error{nil}, 1, nil},
		{"busy then ok", []error{busy, nil}, 2, nil},
		{"permanent error not retried", []error{ErrInvalidCode, nil}, 1, ErrInvalidCode},
		{"gives up after attempts", []error{busy, busy, busy, nil}, 3, ErrSystemBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(context.Background(), 3, func() error {
				calls++
				return tt.errs[calls-1]
			})
			if calls != tt.calls || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("calls %d err %v", calls, err)
			}
		})
	}
}

func TestRetryRespectsDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	calls := 0
	err := Retry(ctx, 10, func() error { calls++; return &Error{Code: -1} })
	if calls != 1 || !errors.Is(err, ErrSystemBusy) {
		t.Fatalf("calls %d err %v: retried past the deadline", calls, err)
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	calls = 0
	Retry(cancelled, 10, func() error { calls++; return &Error{Code: -1} })
	if calls != 1 {
		t.Fatalf("calls %d after cancel", calls)
	}
}
