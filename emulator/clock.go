package emulator

import (
	"sync"
	"sync/atomic"
	"time"
)

// clock is the emulator's virtual clock: a base clock plus an offset that
// only grows. Every expiry (codes, tokens, grants, quotas, watermarks) reads
// it; nothing in the package calls time.Now directly.
type clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds added to base

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every advance
}

func newClock(base func() time.Time) *clock {
	if base == nil {
		base = time.Now
	}
	return &clock{base: base, changed: make(chan struct{})}
}

// now returns the virtual time.
func (c *clock) now() time.Time {
	return c.base().Add(time.Duration(c.offset.Load()))
}

// advance moves the virtual clock forward by d (negative d counts as 0) and
// wakes everything waiting on a deadline.
func (c *clock) advance(d time.Duration) time.Time {
	if d > 0 {
		c.offset.Add(int64(d))
		c.mu.Lock()
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
	return c.now()
}

// wait returns a channel closed at the next advance.
func (c *clock) wait() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// chinaDay is the virtual calendar day in UTC+8, the day WeChat's daily
// quotas reset on.
func chinaDay(t time.Time) int64 {
	const offset = 8 * 60 * 60
	s := t.Unix() + offset
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return d
}

// minuteOf is the calendar minute of t, the window of per-minute quotas.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	m := s / 60
	if s < 0 && s%60 != 0 {
		m--
	}
	return m
}
