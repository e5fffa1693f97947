package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

var versionCommand = command{
	summary: "print the version and exit",
	run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("version", "", "Prints wxgate's version, the Go version and the VCS revision it was built from.", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		rev := "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					rev = s.Value
				}
			}
		}
		fmt.Fprintf(stdout, "wxgate %s (%s, %s)\n", version, runtime.Version(), rev)
		return nil
	},
}
