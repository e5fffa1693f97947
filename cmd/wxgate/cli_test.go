package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"
	"testing"
)

// A bad flag is reported once, with the usage, and exits 2.
func TestBadFlagIsPrintedOnce(t *testing.T) {
	for _, cmd := range []string{"serve", "demo", "version", "events", "emulator"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{cmd, "--no-such-flag"}, &stdout, &stderr)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", cmd, code)
		}
		if n := strings.Count(stderr.String(), "no-such-flag"); n != 1 {
			t.Errorf("%s: the bad flag is named %d times:\n%s", cmd, n, stderr.String())
		}
	}
}

// A command without flags shows no empty "Flags:" section.
func TestUsageWithoutFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"version", "-h"}, &stdout, &stderr)
	if strings.Contains(stderr.String(), "Flags:") || strings.Contains(stderr.String(), "wxgate version \n") {
		t.Errorf("version -h:\n%q", stderr.String())
	}
}

// `serve config.yaml` says to use --config.
func TestServePositionalConfigHint(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "config.yaml"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "wxgate serve --config config.yaml") {
		t.Errorf("exit %d:\n%s", code, stderr.String())
	}
}

func TestVersionLine(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionLine("dev", bi)
	for _, want := range []string{"wxgate v1.4.0 (", "commit 0123abcd+dirty", "2026-12-01T10:00:00Z"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if got := versionLine("v2.0.0", bi); !strings.HasPrefix(got, "wxgate v2.0.0 (") {
		t.Errorf("a version set at build time: %q", got)
	}
	if got := versionLine("dev", nil); !strings.Contains(got, "commit unknown") {
		t.Errorf("no build info: %q", got)
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, &bytes.Buffer{}); code != 0 || !strings.HasPrefix(stdout.String(), "wxgate ") {
		t.Errorf("wxgate version: %d %q", code, stdout.String())
	}
}

// An error that already names the command is not prefixed twice.
func TestErrorPrefixOnce(t *testing.T) {
	commands["failing"] = command{summary: "x", run: func(context.Context, []string, io.Writer, io.Writer) error {
		return errors.New("failing: port taken")
	}}
	defer delete(commands, "failing")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"failing"}, &bytes.Buffer{}, &stderr); code != 1 || stderr.String() != "wxgate failing: port taken\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
