// Command wxgate is the WeChat login gateway, its emulator of WeChat's
// login servers, and the tools around them. Run `wxgate help` for the list
// of subcommands.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: a one-line summary for `wxgate help`, and run,
// which parses its own flags from args and does the work until ctx ends.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the table of subcommands; each lives in its own file.
var commands = map[string]command{
	"version":  versionCommand,
	"emulator": emulatorCommand,
	"serve":    serveCommand,
	"events":   eventsCommand,
	"keys":     keysCommand,
	"demo":     demoCommand,
	"scan":     scanCommand,
	"audit":    auditCommand,
	"oidc":     oidcCommand,
	"users":    usersCommand,
}

// exitError carries a specific exit status out of a subcommand.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				_ = c.run(ctx, []string{"-h"}, stdout, stderr)
				return 0
			}
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wxgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ew := &usageWriter{Writer: stderr}
	err := c.run(ctx, args[1:], stdout, ew)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case ew.flagError:
		// The flag package has printed the error and the usage already.
		return 2
	default:
		// Errors of the packages behind a command may start with the
		// command's own name ("demo: ..."): say it once.
		msg, _ := strings.CutPrefix(err.Error(), args[0]+": ")
		fmt.Fprintf(stderr, "wxgate %s: %s\n", args[0], msg)
		return 1
	}
}

// usageWriter is the stderr a command gets; it notes whether the flag
// package reported a parse error (which it prints itself, with the usage),
// so that run does not print it a second time.
type usageWriter struct {
	io.Writer
	flagError bool
}

// flagErrorPrefixes start the messages of the flag package's parse errors.
var flagErrorPrefixes = []string{"flag provided but not defined", "invalid value", "invalid boolean", "bad flag syntax", "flag needs an argument"}

func (w *usageWriter) Write(p []byte) (int, error) {
	for _, pre := range flagErrorPrefixes {
		if bytes.HasPrefix(p, []byte(pre)) {
			w.flagError = true
		}
	}
	return w.Writer.Write(p)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "wxgate: a secure-by-default WeChat login gateway, emulator and leak auditor.\n\nUsage: wxgate <command> [flags]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\nRun `wxgate <command> -h` for a command's flags.\n")
}

// newFlagSet returns a flag set that writes its usage to stderr and returns
// errors instead of exiting, with a usage header naming the command.
func newFlagSet(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wxgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\n%s\n", strings.TrimSpace("wxgate "+name+" "+synopsis), description)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}
