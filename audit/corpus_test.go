package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusDir = "testdata/corpus"

// labelled is one expected finding of the corpus manifest.
type labelled struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Kind Kind   `json:"kind"`
	Note string `json:"note"`
}

func loadManifest(t testing.TB) []labelled {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Findings []labelled `json:"findings"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Findings
}

type locKey struct {
	file string
	line int
	kind Kind
}

// score compares findings (file names relative to the corpus) with the
// manifest, per kind.
type score struct{ tp, fp, fn int }

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func scoreFindings(want []labelled, got []Finding) (map[Kind]*score, []string) {
	exp := map[locKey]bool{}
	scores := map[Kind]*score{}
	for _, k := range ScanKinds {
		scores[k] = &score{}
	}
	for _, w := range want {
		exp[locKey{w.File, w.Line, w.Kind}] = true
	}
	var problems []string
	seen := map[locKey]bool{}
	for _, f := range got {
		k := locKey{f.File, f.Line, f.Kind}
		if seen[k] {
			continue
		}
		seen[k] = true
		if exp[k] {
			scores[f.Kind].tp++
			continue
		}
		scores[f.Kind].fp++
		problems = append(problems, fmt.Sprintf("false positive %s:%d %s: %s | %s", f.File, f.Line, f.Kind, f.Message, f.Excerpt))
	}
	for _, w := range want {
		if !seen[locKey{w.File, w.Line, w.Kind}] {
			scores[w.Kind].fn++
			problems = append(problems, fmt.Sprintf("missed %s:%d %s (%s)", w.File, w.Line, w.Kind, w.Note))
		}
	}
	return scores, problems
}

func relToCorpus(fs []Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		f.File = strings.TrimPrefix(f.File, corpusDir+"/")
		out[i] = f
	}
	return out
}

// TestCorpusRecallPrecision scans the labelled corpus: every WeChat leak
// in it must be found (recall 1.0 per kind) and almost nothing else
// (precision at least 0.95 per kind, which on a corpus this size means no
// false positive at all).
func TestCorpusRecallPrecision(t *testing.T) {
	want := loadManifest(t)
	s, err := NewScanner(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), []string{corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	scores, problems := scoreFindings(want, relToCorpus(res.Findings))
	for _, p := range problems {
		t.Error(p)
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-26s %8s %4s %4s %4s %7s %9s\n", "kind", "expected", "tp", "fp", "fn", "recall", "precision")
	for _, k := range ScanKinds {
		sc := scores[k]
		fmt.Fprintf(&tbl, "%-26s %8d %4d %4d %4d %7.2f %9.2f\n", k, sc.tp+sc.fn, sc.tp, sc.fp, sc.fn, sc.recall(), sc.precision())
		if sc.tp+sc.fn == 0 {
			t.Errorf("the corpus has no labelled %s", k)
		}
		if sc.recall() < 1 {
			t.Errorf("%s: recall %.2f, want 1.0", k, sc.recall())
		}
		if sc.precision() < 0.95 {
			t.Errorf("%s: precision %.2f, want at least 0.95", k, sc.precision())
		}
	}
	t.Log(tbl.String())
	if res.Stats.Files < 30 {
		t.Errorf("scanned %d files, want the whole corpus", res.Stats.Files)
	}
}
