// Command benchgen writes the benchmark corpus of `make bench` at any size,
// for measuring a scan outside the benchmarks (its peak memory on a 1 GB
// tree with /usr/bin/time -v, as `make bench-memory` does).
//
//	go run ./audit/internal/cmd/benchgen -out /tmp/corpus -mb 1024
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wxgate/wxgate/audit/internal/benchgen"
)

func main() {
	out := flag.String("out", "", "the folder to write the corpus to (created; must be empty or missing)")
	mb := flag.Int64("mb", 210, "the corpus's size in MiB")
	flag.Parse()
	if *out == "" || *mb <= 0 {
		fmt.Fprintln(os.Stderr, "benchgen: give -out FOLDER and a positive -mb SIZE")
		os.Exit(2)
	}
	if ents, err := os.ReadDir(*out); err == nil && len(ents) > 0 {
		fmt.Fprintf(os.Stderr, "benchgen: %s is not empty: give a new folder\n", *out)
		os.Exit(2)
	}
	n, leaks, err := benchgen.Generate(*out, *mb<<20)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d bytes with %d planted leaks under %s\n", n, len(leaks), *out)
}
