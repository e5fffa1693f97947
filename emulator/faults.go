package emulator

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Fault makes the next Count calls of a WeChat API path fail with ErrCode
// (with ErrMsg, or the errcode's usual text) and/or wait DelayMS first. The
// delay ends early when the caller goes away. Several faults on one path
// apply one after another, in the order they were set.
type Fault struct {
	Path    string `json:"path"`
	ErrCode int    `json:"errcode,omitempty"`
	ErrMsg  string `json:"errmsg,omitempty"`
	Count   int    `json:"count,omitempty"` // default 1
	DelayMS int    `json:"delay_ms,omitempty"`
}

const maxFaultDelayMS = 10 * 60 * 1000

// faultTable is the queue of pending faults per path.
type faultTable struct {
	pending atomic.Int64 // faults queued on any path: the hot path's fast check
	mu      sync.Mutex
	queues  map[string][]*Fault
}

// take consumes one call of the first fault queued on path.
func (t *faultTable) take(path string) (Fault, bool) {
	if t.pending.Load() == 0 {
		return Fault{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.queues[path]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	out := *f
	if f.Count--; f.Count <= 0 {
		t.queues[path] = q[1:]
		t.pending.Add(-1)
	}
	return out, true
}

// SetFault queues a fault. Only WeChat's JSON API paths take faults.
func (e *Emulator) SetFault(f Fault) error {
	var errs []string
	if !slices.Contains(apiPaths, f.Path) {
		errs = append(errs, "path: must be one of WeChat's API paths: "+strings.Join(apiPaths, ", "))
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < 0 || f.Count > 1_000_000 {
		errs = append(errs, "count: must be between 1 and 1000000")
	}
	if f.DelayMS < 0 || f.DelayMS > maxFaultDelayMS {
		errs = append(errs, "delay_ms: must be between 0 and 600000")
	}
	if f.ErrCode == 0 && f.DelayMS == 0 {
		errs = append(errs, "errcode or delay_ms: set at least one")
	}
	if msg := checkText("errmsg", f.ErrMsg, 256); msg != "" {
		errs = append(errs, msg)
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	t := &e.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.queues == nil {
		t.queues = make(map[string][]*Fault)
	}
	t.queues[f.Path] = append(t.queues[f.Path], &f)
	t.pending.Add(1)
	e.log.Info("fault set", "path", f.Path, "errcode", f.ErrCode, "count", f.Count, "delay_ms", f.DelayMS)
	return nil
}

// Faults returns the pending faults, each with its remaining count.
func (e *Emulator) Faults() []Fault {
	t := &e.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []Fault{}
	for _, p := range apiPaths {
		for _, f := range t.queues[p] {
			out = append(out, *f)
		}
	}
	return out
}

// ClearFaults drops every pending fault.
func (e *Emulator) ClearFaults() {
	t := &e.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queues = nil
	t.pending.Store(0)
}

// Stats counts the calls of every WeChat path (faulted calls included) and,
// per path, the errcodes answered.
type Stats struct {
	Calls  map[string]int64         `json:"calls"`
	Errors map[string]map[int]int64 `json:"errors"`
}

type pathStats struct {
	calls atomic.Int64
	mu    sync.Mutex
	errs  map[int]int64
}

func (p *pathStats) countError(code int) {
	p.mu.Lock()
	if p.errs == nil {
		p.errs = make(map[int]int64)
	}
	p.errs[code]++
	p.mu.Unlock()
}

// statsTable has one fixed entry per counted path; the map itself is never
// written after newStatsTable.
type statsTable struct {
	paths map[string]*pathStats
}

func newStatsTable() statsTable {
	t := statsTable{paths: make(map[string]*pathStats)}
	for _, p := range append(slices.Clone(apiPaths), pagePaths...) {
		t.paths[p] = &pathStats{}
	}
	return t
}

// Stats returns the call counts since start or the last ResetStats.
func (e *Emulator) Stats() Stats {
	s := Stats{Calls: make(map[string]int64), Errors: make(map[string]map[int]int64)}
	for p, ps := range e.stats.paths {
		s.Calls[p] = ps.calls.Load()
		ps.mu.Lock()
		if len(ps.errs) > 0 {
			m := make(map[int]int64, len(ps.errs))
			for c, n := range ps.errs {
				m[c] = n
			}
			s.Errors[p] = m
		}
		ps.mu.Unlock()
	}
	return s
}

// ResetStats sets every count back to zero.
func (e *Emulator) ResetStats() {
	for _, ps := range e.stats.paths {
		ps.calls.Store(0)
		ps.mu.Lock()
		ps.errs = nil
		ps.mu.Unlock()
	}
}
