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
