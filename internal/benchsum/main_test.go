package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	in := `goos: linux
pkg: example.com/a
BenchmarkX-2   	 100	 30.0 ns/op	 5000 req/s
BenchmarkX-2   	 100	 10.0 ns/op	 7000 req/s
BenchmarkX-2   	 100	 20.0 ns/op	 6000 req/s
BenchmarkY/sub-case-2 	 1	 4.0 ns/op
PASS
`
	var out strings.Builder
	if err := summarize(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"example.com/a", "BenchmarkX", "20.00", "6000", "(3, 10.00..30.00)", "BenchmarkY/sub-case", "req/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "BenchmarkX-2") {
		t.Error("GOMAXPROCS suffix kept")
	}
	if err := summarize(strings.NewReader("PASS\n"), &out); err == nil {
		t.Error("no error on input without benchmarks")
	}
}

func TestMedianEven(t *testing.T) {
	if m := median([]float64{1, 2, 3, 10}); m != 2.5 {
		t.Errorf("median = %v", m)
	}
}

func TestSideBySide(t *testing.T) {
	in := `pkg: example.com/interop
BenchmarkRT/wxgate-2 	 10	 100 ns/op	 900 logins/s	 5.0 p99_ms
BenchmarkRT/wxgate-2 	 10	 100 ns/op	 1100 logins/s	 4.0 p99_ms
BenchmarkRT/hydra-2 	 10	 100 ns/op	 500 logins/s	 10.0 p99_ms
BenchmarkRT/hydra-2 	 10	 100 ns/op	 500 logins/s	 12.0 p99_ms
BenchmarkOther/wxgate-2 	 10	 100 ns/op
`
	var out strings.Builder
	if err := summarize(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	_, side, ok := strings.Cut(got, "Side by side")
	if !ok {
		t.Fatalf("no side-by-side section:\n%s", got)
	}
	for _, want := range []string{
		"BenchmarkRT logins/s wxgate 1000 hydra 500 x2.00",
		"BenchmarkRT p99_ms wxgate 4.50 hydra 11.00 x2.44",
		"BenchmarkRT ns/op wxgate 100 hydra 100 x1.00",
	} {
		if !strings.Contains(strings.Join(strings.Fields(side), " "), want) {
			t.Errorf("side by side lacks %q:\n%s", want, side)
		}
	}
	if strings.Contains(side, "BenchmarkOther") {
		t.Errorf("a benchmark without a sibling is compared:\n%s", side)
	}
}

// Sub-benchmarks X/NAME=off and X/NAME=on are printed as before and after.
func TestBeforeAfter(t *testing.T) {
	in := `pkg: example.com/store
BenchmarkLogin/group=off-2 	 10	 100 logins/s	 40.0 p99_ms
BenchmarkLogin/group=off-2 	 10	 120 logins/s	 60.0 p99_ms
BenchmarkLogin/group=on-2 	 10	 300 logins/s	 20.0 p99_ms
BenchmarkLogin/group=on-2 	 10	 360 logins/s	 30.0 p99_ms
BenchmarkOther/x=on-2 	 10	 5 logins/s
`
	var out strings.Builder
	if err := summarize(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	_, section, ok := strings.Cut(got, "Before and after")
	if !ok {
		t.Fatalf("no before/after section:\n%s", got)
	}
	for _, want := range []string{"store BenchmarkLogin/group", "110", "330", "x3.00", "50.00", "25.00", "x2.00"} {
		if !strings.Contains(section, want) {
			t.Errorf("before/after lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, "BenchmarkOther") {
		t.Errorf("a benchmark without an =off sibling is in before/after:\n%s", section)
	}
}
