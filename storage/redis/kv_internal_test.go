package redis

import (
	"testing"
	"time"
)

// TTLs go to Redis in whole milliseconds, rounded up: a key never lives
// less than asked.
func TestTTL(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{time.Nanosecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{1500 * time.Microsecond, 2 * time.Millisecond},
		{150 * time.Millisecond, 150 * time.Millisecond},
		{time.Hour + time.Nanosecond, time.Hour + time.Millisecond},
	}
	for _, tc := range tests {
		if got, err := ttl("set", tc.in); err != nil || got != tc.want {
			t.Errorf("ttl(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := ttl("set", d); err == nil {
			t.Errorf("ttl(%v) accepted", d)
		}
	}
}
