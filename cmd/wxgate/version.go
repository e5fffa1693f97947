package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
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
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
		}
		bi, _ := debug.ReadBuildInfo()
		fmt.Fprintln(stdout, versionLine(version, bi))
		return nil
	},
}

// versionLine is what `wxgate version` prints: the version set at build
// time, else the module version Go recorded (a tagged `go install` gives
// v1.2.3, a build in a checkout "(devel)"), then the Go version and the
// commit with its time, "+dirty" when the checkout had changes.
func versionLine(set string, bi *debug.BuildInfo) string {
	v, commit, when, dirty := set, "", "", false
	if bi != nil {
		if v == "dev" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	parts := []string{runtime.Version()}
	switch {
	case commit == "":
		parts = append(parts, "commit unknown (built without VCS information)")
	case dirty:
		parts = append(parts, "commit "+commit+"+dirty")
	default:
		parts = append(parts, "commit "+commit)
	}
	if when != "" {
		parts = append(parts, when)
	}
	return "wxgate " + v + " (" + strings.Join(parts, ", ") + ")"
}
