package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/wxgate/wxgate/seal"
)

// defaultKeysFile is where `wxgate keys` reads and writes the keyring unless
// told otherwise; it matches the default keys_file of the configuration.
const defaultKeysFile = "./wxgate.keys"

var keysCommand = command{
	summary: "create and inspect the at-rest encryption keyring",
	run:     runKeys,
}

// keysCommands are the subcommands of `wxgate keys`.
var keysCommands = map[string]command{
	"init": {summary: "create a new keyring file", run: runKeysInit},
	"show": {summary: "list a keyring's key ids, creation times and active key", run: runKeysShow},
}

// runKeys dispatches `wxgate keys <subcommand>`.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		keysUsage(stderr)
		return exitError{2}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		keysUsage(stderr)
		return flag.ErrHelp
	}
	c, ok := keysCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wxgate keys: unknown command %q\n\n", args[0])
		keysUsage(stderr)
		return exitError{2}
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func keysUsage(w io.Writer) {
	fmt.Fprint(w, "Usage: wxgate keys <command> [flags]\n\n"+
		"Manages the keyring that seals openids, unionids, phone numbers, session_keys\n"+
		"and WeChat tokens at rest, and keys their blind indexes.\n\nCommands:\n")
	names := make([]string, 0, len(keysCommands))
	for n := range keysCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-6s %s\n", n, keysCommands[n].summary)
	}
	fmt.Fprint(w, "\nRun `wxgate keys <command> -h` for a command's flags.\n")
}

// keysInitOptions are the flags of `wxgate keys init`.
type keysInitOptions struct {
	file  string
	force bool
}

func runKeysInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys init", "[--file PATH] [--force]",
		"Creates a keyring file (mode 0600) with one active AES-256 key and a blind-index\n"+
			"key, and prints its path and active key id. It never prints key material.\n"+
			"Back the file up: without it nothing sealed under it can be read again.", stderr)
	var o keysInitOptions
	fs.StringVar(&o.file, "file", defaultKeysFile, "the keyring `path` to create")
	fs.BoolVar(&o.force, "force", false, "replace an existing keyring (data sealed under it becomes unreadable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (keys init takes only flags)", fs.Arg(0))
	}
	return keysInit(o, stdout)
}

// keysInit creates the keyring file o.file.
func keysInit(o keysInitOptions, stdout io.Writer) error {
	_, statErr := os.Lstat(o.file)
	existed := statErr == nil
	k, err := seal.Generate()
	if err != nil {
		return err
	}
	if err := seal.WriteFile(o.file, k, o.force); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting it, since data sealed under its keys would become unreadable (pass --force to replace it)", o.file)
		}
		return err
	}
	verb := "created"
	if existed {
		verb = "replaced"
	}
	fmt.Fprintf(stdout, "%s keyring %s (mode 0600)\nactive key: %s\n", verb, o.file, k.ActiveKeyID())
	fmt.Fprintf(stdout, "Back this file up and keep it secret: nothing sealed under it can be read without it.\n"+
		"Point the gateway at it with `keys_file: %s`.\n", o.file)
	return nil
}

// keysShowOptions are the flags of `wxgate keys show`.
type keysShowOptions struct {
	file string
}

func runKeysShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys show", "[--file PATH]",
		"Prints a keyring's key ids, their creation times and which one is active.\n"+
			"It never prints key material.", stderr)
	var o keysShowOptions
	fs.StringVar(&o.file, "file", defaultKeysFile, "the keyring `path` to read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (keys show takes only flags)", fs.Arg(0))
	}
	return keysShow(o, stdout, stderr)
}

// keysShow lists the keys of the keyring file o.file.
func keysShow(o keysShowOptions, stdout, stderr io.Writer) error {
	k, err := seal.Load(o.file)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(o.file); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "warning: %s is readable by others (mode %04o); run: chmod 600 %s\n", o.file, fi.Mode().Perm(), o.file)
	}
	fmt.Fprintf(stdout, "keyring %s\nactive key: %s\n\n", o.file, k.ActiveKeyID())
	fmt.Fprintln(stdout, "KEY ID    CREATED")
	for _, ki := range k.Keys() {
		line := fmt.Sprintf("%-8s  %-20s  ", ki.ID, ki.Created.Format(time.RFC3339))
		if ki.Active {
			line += "active"
		}
		fmt.Fprintln(stdout, strings.TrimRight(line, " "))
	}
	return nil
}
