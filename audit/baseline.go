package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// Baseline is a set of accepted findings, by fingerprint. A baseline file
// is a JSON list whose items are fingerprints or objects with a
// "fingerprint" member (WriteBaseline writes the latter, with the kind and
// file for the reviewer). Fingerprints are hashes: a baseline holds no
// secret.
type Baseline struct {
	set map[string]bool
}

// baselineEntry is one accepted finding as a baseline file holds it.
type baselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Kind        Kind   `json:"kind,omitempty"`
	File        string `json:"file,omitempty"`
}

// LoadBaseline reads a baseline file.
func LoadBaseline(path string) (*Baseline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: baseline: %w", err)
	}
	return ParseBaseline(b)
}

// ParseBaseline parses a baseline: a JSON list of fingerprints, of
// {"fingerprint": ...} objects, or an object {"findings": [...]} as the
// JSON report writes it.
func ParseBaseline(b []byte) (*Baseline, error) {
	bl := &Baseline{set: map[string]bool{}}
	b = bytes.TrimSpace(b)
	var items []json.RawMessage
	if bytes.HasPrefix(b, []byte("{")) {
		var obj struct {
			Findings []json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("audit: baseline: %w", err)
		}
		items = obj.Findings
	} else if err := json.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("audit: baseline: want a JSON list of fingerprints: %w", err)
	}
	for i, raw := range items {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			bl.set[s] = true
			continue
		}
		var e baselineEntry
		if err := json.Unmarshal(raw, &e); err != nil || e.Fingerprint == "" {
			return nil, fmt.Errorf("audit: baseline: item %d is neither a fingerprint nor an object with one", i)
		}
		bl.set[e.Fingerprint] = true
	}
	return bl, nil
}

// Len is the number of accepted fingerprints.
func (b *Baseline) Len() int { return len(b.set) }

// Filter drops the accepted findings and returns the others and how many
// were dropped.
func (b *Baseline) Filter(fs []Finding) ([]Finding, int) {
	if b == nil || len(b.set) == 0 {
		return fs, 0
	}
	out := fs[:0:0]
	n := 0
	for _, f := range fs {
		if b.set[f.Fingerprint] {
			n++
			continue
		}
		out = append(out, f)
	}
	return out, n
}

// WriteBaseline writes the findings' fingerprints as a baseline file.
func WriteBaseline(path string, fs []Finding) error {
	entries := []baselineEntry{}
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.Fingerprint] {
			continue
		}
		seen[f.Fingerprint] = true
		entries = append(entries, baselineEntry{Fingerprint: f.Fingerprint, Kind: f.Kind, File: f.File})
	}
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("audit: baseline: %w", err)
	}
	return nil
}
