package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/audit/internal/benchgen"
)

// The benchmarks scan a generated corpus of realistic code, configuration,
// mini-program sources, minified bundles and logs (benchCorpusSize bytes,
// generated once per test binary, only when a benchmark runs) with a known
// set of planted leaks, and compare wxgate with gitleaks on it and on the
// labelled corpus.

const benchCorpusSize = 210 << 20

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

var (
	benchOnce sync.Once
	bench     struct {
		dir     string
		bytes   int64
		planted map[locKey]bool
		err     error
	}
)

func benchCorpus(b *testing.B) (string, int64, map[locKey]bool) {
	b.Helper()
	benchOnce.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "wxgate-bench-")
		if bench.err == nil {
			var leaks map[benchgen.Leak]bool
			bench.bytes, leaks, bench.err = benchgen.Generate(bench.dir, benchCorpusSize)
			bench.planted = map[locKey]bool{}
			for l := range leaks {
				bench.planted[locKey{l.File, l.Line, Kind(l.Kind)}] = true
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.dir, bench.bytes, bench.planted
}

// plantedScore compares findings (paths under root) with the planted
// leaks: the recall, and the findings that are not planted leaks.
func plantedScore(root string, fs []Finding, planted map[locKey]bool) (recall float64, extra int) {
	found := map[locKey]bool{}
	for _, f := range fs {
		k := locKey{strings.TrimPrefix(f.File, filepath.ToSlash(root)+"/"), f.Line, f.Kind}
		if planted[k] {
			found[k] = true
		} else {
			extra++
		}
	}
	return float64(len(found)) / float64(len(planted)), extra
}

// BenchmarkScan: wxgate's throughput (MB/s) on the generated corpus, its
// recall of the planted leaks and the findings beyond them, and its recall
// on the labelled corpus.
func BenchmarkScan(b *testing.B) {
	dir, size, planted := benchCorpus(b)
	s := mustScanner(b, Options{})
	b.SetBytes(size)
	var res *Result
	for b.Loop() {
		var err error
		if res, err = s.Scan(context.Background(), []string{dir}); err != nil {
			b.Fatal(err)
		}
	}
	recall, extra := plantedScore(dir, res.Findings, planted)
	b.ReportMetric(recall, "planted-recall")
	b.ReportMetric(float64(extra), "extra-findings")
	lab, err := s.Scan(context.Background(), []string{corpusDir})
	if err != nil {
		b.Fatal(err)
	}
	sc, _ := scoreFindings(loadManifest(b), relToCorpus(lab.Findings))
	tp, all := 0, 0
	for _, v := range sc {
		tp += v.tp
		all += v.tp + v.fn
	}
	b.ReportMetric(float64(tp)/float64(all), "recall")
}

// gitleaksBin is where `make bench` installs gitleaks.
const gitleaksBin = "../.bin/gitleaks"

type gitleaksFinding struct {
	RuleID    string
	File      string
	StartLine int
}

func runGitleaks(b *testing.B, dir string) []gitleaksFinding {
	b.Helper()
	report := filepath.Join(b.TempDir(), "report.json")
	cmd := exec.Command(gitleaksBin, "dir", "--no-banner", "--redact", "--exit-code", "0", "--log-level", "error",
		"--report-format", "json", "--report-path", report, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("gitleaks: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var fs []gitleaksFinding
	if err := json.Unmarshal(raw, &fs); err != nil {
		b.Fatal(err)
	}
	return fs
}

// BenchmarkGitleaks runs gitleaks (its default rules, `gitleaks dir`) on
// the same generated corpus: throughput (MB/s), its recall of the planted
// leaks, wxgate's speed relative to it (one wxgate scan of the same tree
// in the same run: wxgate-speedup, issue 14's bar is 50), and its recall
// on the labelled corpus (a labelled leak counts as
// found when gitleaks reports anything on its line). `make bench`
// installs gitleaks into .bin; without it this benchmark fails.
func BenchmarkGitleaks(b *testing.B) {
	if _, err := os.Stat(gitleaksBin); err != nil {
		b.Fatalf("%s not found: `make bench` installs it (the version the Makefile pins)", gitleaksBin)
	}
	dir, size, planted := benchCorpus(b)
	b.SetBytes(size)
	var fs []gitleaksFinding
	start := time.Now()
	runs := 0
	for b.Loop() {
		fs = runGitleaks(b, dir)
		runs++
	}
	gitleaksTime := time.Since(start) / time.Duration(runs)
	// wxgate on the same tree in the same run: how many times faster.
	s := mustScanner(b, Options{})
	start = time.Now()
	if _, err := s.Scan(context.Background(), []string{dir}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(gitleaksTime)/float64(time.Since(start)), "wxgate-speedup")
	hit := map[string]bool{}
	for _, f := range fs {
		hit[fmt.Sprintf("%s:%d", strings.TrimPrefix(filepath.ToSlash(f.File), filepath.ToSlash(dir)+"/"), f.StartLine)] = true
	}
	n := 0
	for k := range planted {
		if hit[fmt.Sprintf("%s:%d", k.file, k.line)] {
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(len(planted)), "planted-recall")
	b.ReportMetric(float64(len(fs)), "findings")
	lab := runGitleaks(b, corpusDir)
	hit = map[string]bool{}
	for _, f := range lab {
		hit[fmt.Sprintf("%s:%d", strings.TrimPrefix(filepath.ToSlash(f.File), corpusDir+"/"), f.StartLine)] = true
	}
	want := loadManifest(b)
	n = 0
	for _, w := range want {
		if hit[fmt.Sprintf("%s:%d", w.File, w.Line)] {
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(len(want)), "recall")
}

// BenchmarkScanCorpus: the recall and precision of every kind on the
// labelled corpus and on the real-world corpus (issue 14's bar: 0.95
// each), and the time a scan of each takes.
func BenchmarkScanCorpus(b *testing.B) {
	for _, dir := range []string{corpusDir, realWorldDir} {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			s := mustScanner(b, Options{})
			var res *Result
			for b.Loop() {
				var err error
				if res, err = s.Scan(context.Background(), []string{dir}); err != nil {
					b.Fatal(err)
				}
			}
			scores, _ := scoreFindings(loadManifestOf(b, dir), relTo(dir, res.Findings))
			for _, k := range ScanKinds {
				b.ReportMetric(scores[k].recall(), string(k)+"-recall")
				b.ReportMetric(scores[k].precision(), string(k)+"-precision")
			}
		})
	}
}
