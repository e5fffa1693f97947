// Command benchsum reads `go test -bench -count N` output on stdin and
// prints, for every benchmark and metric, the median and the spread of the
// N runs, so figures from a noisy machine are reported as medians. Where a
// benchmark has sub-benchmarks named wxgate and another product (such as
// .../wxgate and .../hydra), it also prints them side by side with wxgate's
// speed relative to the other's.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

type key struct{ pkg, bench, unit string }

func main() {
	if err := summarize(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchsum:", err)
		os.Exit(1)
	}
}

func summarize(r io.Reader, w io.Writer) error {
	samples := map[key][]float64{}
	var order []key
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		name := trimProcs(f[0])
		// f[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			k := key{pkg, name, f[i+1]}
			if _, seen := samples[k]; !seen {
				order = append(order, k)
			}
			samples[k] = append(samples[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark lines on input")
	}
	fmt.Fprintf(w, "\nMedians (runs, min..max):\n")
	last := ""
	for _, k := range order {
		if k.pkg != last {
			fmt.Fprintf(w, "%s\n", k.pkg)
			last = k.pkg
		}
		s := samples[k]
		sort.Float64s(s)
		fmt.Fprintf(w, "  %-58s %14s %-10s (%d, %s..%s)\n", k.bench, format(median(s)), k.unit, len(s), format(s[0]), format(s[len(s)-1]))
	}
	sideBySide(w, order, samples)
	beforeAfter(w, order, samples)
	return nil
}

// beforeAfter prints, for every pair of sub-benchmarks X/NAME=off (before:
// the code as it was, kept behind an option) and X/NAME=on (after), both
// medians and the factor of improvement: the ratio of rates (units ending
// in /s), the inverse ratio of times (ns/op, *_ms); above 1 is better.
func beforeAfter(w io.Writer, order []key, samples map[key][]float64) {
	header := false
	for _, k := range order {
		prefix, ok := strings.CutSuffix(k.bench, "=off")
		if !ok {
			continue
		}
		on := key{k.pkg, prefix + "=on", k.unit}
		after, found := samples[on]
		if !found {
			continue
		}
		before, now := median(sorted(samples[k])), median(sorted(after))
		ratio := 0.0
		switch {
		case strings.HasSuffix(k.unit, "/s") && before > 0:
			ratio = now / before
		case (k.unit == "ns/op" || strings.HasSuffix(k.unit, "_ms")) && now > 0:
			ratio = before / now
		default:
			continue
		}
		if !header {
			fmt.Fprintf(w, "\nBefore and after (medians; x = improvement, above 1 is better):\n")
			header = true
		}
		fmt.Fprintf(w, "  %-40s %-10s before %10s  after %10s  x%s\n", k.pkg[strings.LastIndexByte(k.pkg, '/')+1:]+" "+prefix, k.unit,
			format(before), format(now), strconv.FormatFloat(ratio, 'f', 2, 64))
	}
}

// sideBySide prints, for every benchmark X/wxgate with a sibling X/other
// measured in the same unit, both medians and how many times faster wxgate
// is: the ratio of rates (units ending in /s), the inverse ratio of times
// (ns/op, *_ms); above 1 means wxgate is ahead.
func sideBySide(w io.Writer, order []key, samples map[key][]float64) {
	header := false
	for _, k := range order {
		prefix, ok := strings.CutSuffix(k.bench, "/wxgate")
		if !ok {
			continue
		}
		for _, o := range order {
			other, ok := strings.CutPrefix(o.bench, prefix+"/")
			if !ok || o.pkg != k.pkg || o.unit != k.unit || other == "wxgate" || strings.Contains(other, "/") {
				continue
			}
			ours, theirs := median(sorted(samples[k])), median(sorted(samples[o]))
			ratio := 0.0
			switch {
			case strings.HasSuffix(k.unit, "/s") && theirs > 0:
				ratio = ours / theirs
			case (k.unit == "ns/op" || strings.HasSuffix(k.unit, "_ms")) && ours > 0:
				ratio = theirs / ours
			default:
				continue
			}
			if !header {
				fmt.Fprintf(w, "\nSide by side (medians; x = how many times wxgate is ahead, above 1 is better):\n")
				header = true
			}
			fmt.Fprintf(w, "  %-40s %-10s wxgate %10s  %-8s %10s  x%s\n", prefix, k.unit, format(ours), other, format(theirs), strconv.FormatFloat(ratio, 'f', 2, 64))
		}
	}
}

func sorted(s []float64) []float64 {
	c := append([]float64(nil), s...)
	sort.Float64s(c)
	return c
}

// trimProcs drops the -GOMAXPROCS suffix go test adds to benchmark names.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
