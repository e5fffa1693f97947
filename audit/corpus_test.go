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

const (
	corpusDir    = "testdata/corpus"
	realWorldDir = "testdata/realworld"
)

// labelled is one expected finding of the corpus manifest.
type labelled struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Kind Kind   `json:"kind"`
	Note string `json:"note"`
}

func loadManifest(t testing.TB) []labelled { return loadManifestOf(t, corpusDir) }

func loadManifestOf(t testing.TB, dir string) []labelled {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
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

func relToCorpus(fs []Finding) []Finding { return relTo(corpusDir, fs) }

func relTo(dir string, fs []Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		f.File = strings.TrimPrefix(f.File, dir+"/")
		out[i] = f
	}
	return out
}

// scanCorpus scans a labelled corpus and scores the findings per kind.
func scanCorpus(t testing.TB, dir string) (map[Kind]*score, []string, Stats) {
	t.Helper()
	s, err := NewScanner(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	scores, problems := scoreFindings(loadManifestOf(t, dir), relTo(dir, res.Findings))
	return scores, problems, res.Stats
}

// scoreTable prints recall and precision per kind.
func scoreTable(scores map[Kind]*score) string {
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-26s %8s %4s %4s %4s %7s %9s\n", "kind", "expected", "tp", "fp", "fn", "recall", "precision")
	for _, k := range ScanKinds {
		sc := scores[k]
		fmt.Fprintf(&tbl, "%-26s %8d %4d %4d %4d %7.2f %9.2f\n", k, sc.tp+sc.fn, sc.tp, sc.fp, sc.fn, sc.recall(), sc.precision())
	}
	return tbl.String()
}

// TestCorpusRecallPrecision scans the labelled corpus: every WeChat leak
// in it must be found (recall 1.0 per kind) and almost nothing else
// (precision at least 0.95 per kind, which on a corpus this size means no
// false positive at all).
func TestCorpusRecallPrecision(t *testing.T) {
	scores, problems, stats := scanCorpus(t, corpusDir)
	for _, p := range problems {
		t.Error(p)
	}
	for _, k := range ScanKinds {
		sc := scores[k]
		if sc.recall() < 1 {
			t.Errorf("%s: recall %.2f, want 1.0", k, sc.recall())
		}
		if sc.precision() < 0.95 {
			t.Errorf("%s: precision %.2f, want at least 0.95", k, sc.precision())
		}
	}
	t.Log(scoreTable(scores))
	if stats.Files < 30 {
		t.Errorf("scanned %d files, want the whole corpus", stats.Files)
	}
}

// TestRealWorldCorpus scans the corpus of code shaped like real projects
// (issue 14: secrets logged through URLs, misspelled names, tokens in API
// collections, passthroughs by data flow in nine frameworks, uni-app and
// Taro, and their clean look-alikes): recall and precision must each be
// at least 0.95 for every kind, and every kind must be labelled.
func TestRealWorldCorpus(t *testing.T) {
	scores, problems, stats := scanCorpus(t, realWorldDir)
	for _, p := range problems {
		t.Log(p)
	}
	for _, k := range ScanKinds {
		sc := scores[k]
		if sc.tp+sc.fn == 0 {
			t.Errorf("the real-world corpus has no labelled %s", k)
		}
		if sc.recall() < 0.95 {
			t.Errorf("%s: recall %.2f, want at least 0.95", k, sc.recall())
		}
		if sc.precision() < 0.95 {
			t.Errorf("%s: precision %.2f, want at least 0.95", k, sc.precision())
		}
	}
	t.Log(scoreTable(scores))
	if stats.Files < 50 {
		t.Errorf("scanned %d files, want the whole corpus", stats.Files)
	}
}
