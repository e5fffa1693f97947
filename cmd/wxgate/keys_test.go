package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/seal"
)

// runKeysCmd runs `wxgate keys args...` and returns its output.
func runKeysCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = keysCommand.run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// keyMaterial returns the forms in which the key file at path might leak:
// every key and the index key in base64, hex and raw form.
func keyMaterial(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		IndexKey string `json:"index_key"`
		Keys     []struct {
			Key string `json:"key"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	b64 := []string{f.IndexKey}
	for _, k := range f.Keys {
		b64 = append(b64, k.Key)
	}
	var needles []string
	for _, s := range b64 {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("key file holds a bad key: %v", err)
		}
		needles = append(needles, s, s[:16], fmt.Sprintf("%x", b[:8]), fmt.Sprintf("%X", b[:8]), string(b[:8]))
	}
	return needles
}

func checkNoKeyMaterial(t *testing.T, path string, outputs ...string) {
	t.Helper()
	for _, n := range keyMaterial(t, path) {
		for _, out := range outputs {
			if strings.Contains(out, n) {
				t.Errorf("output shows key material:\n%s", out)
			}
		}
	}
}

func checkMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, fi.Mode().Perm())
	}
}

func TestKeysInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	out, errOut, err := runKeysCmd(t, "init", "--file", path)
	if err != nil {
		t.Fatalf("keys init: %v\n%s", err, errOut)
	}
	k, err := seal.Load(path)
	if err != nil {
		t.Fatalf("the new key file does not load: %v", err)
	}
	checkMode0600(t, path)
	for _, want := range []string{"created keyring " + path, "active key: " + k.ActiveKeyID(), "Back this file up"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if ids := k.KeyIDs(); len(ids) != 1 {
		t.Errorf("new keyring has keys %v, want one", ids)
	}
	checkNoKeyMaterial(t, path, out, errOut)
}

func TestKeysInitDefaultFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, errOut, err := runKeysCmd(t, "init"); err != nil {
		t.Fatalf("keys init: %v\n%s", err, errOut)
	}
	if _, err := seal.Load("wxgate.keys"); err != nil {
		t.Errorf("keys init without --file did not create ./wxgate.keys: %v", err)
	}
	out, errOut, err := runKeysCmd(t, "show")
	if err != nil || !strings.Contains(out, "keyring ./wxgate.keys") {
		t.Errorf("keys show without --file: %v\n%s%s", err, out, errOut)
	}
}

func TestKeysInitRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	if _, _, err := runKeysCmd(t, "init", "--file", path); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runKeysCmd(t, "init", "--file", path)
	if err == nil {
		t.Fatalf("second keys init succeeded:\n%s", out)
	}
	for _, want := range []string{path + " already exists", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the refused keys init changed the file")
	}
	checkNoKeyMaterial(t, path, out, errOut, err.Error())
}

func TestKeysInitForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	if _, _, err := runKeysCmd(t, "init", "--file", path); err != nil {
		t.Fatal(err)
	}
	old, err := seal.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runKeysCmd(t, "init", "--file", path, "--force")
	if err != nil {
		t.Fatalf("keys init --force: %v\n%s", err, errOut)
	}
	k, err := seal.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.ActiveKeyID() == old.ActiveKeyID() {
		t.Error("--force kept the old keyring")
	}
	if !strings.Contains(out, "replaced keyring "+path) || !strings.Contains(out, "active key: "+k.ActiveKeyID()) {
		t.Errorf("output:\n%s", out)
	}
	checkMode0600(t, path)
	checkNoKeyMaterial(t, path, out, errOut)
}

func TestKeysShow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	g, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := g.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	if err := seal.WriteFile(path, k, false); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runKeysCmd(t, "show", "--file", path)
	if err != nil {
		t.Fatalf("keys show: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"keyring " + path, "active key: " + k.ActiveKeyID(), "", "KEY ID    CREATED"}
	for _, ki := range k.Keys() {
		line := ki.ID + "  " + ki.Created.Format(time.RFC3339)
		if ki.Active {
			line += "  active"
		}
		want = append(want, line)
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("keys show printed\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
	checkNoKeyMaterial(t, path, out, errOut)
}

func TestKeysShowWarnsAboutLooseMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	if _, _, err := runKeysCmd(t, "init", "--file", path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runKeysCmd(t, "show", "--file", path)
	if err != nil || !strings.Contains(errOut, "chmod 600 "+path) {
		t.Errorf("keys show of a 0644 file: %v, stderr %q", err, errOut)
	}
}

func TestKeysShowErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.keys")
	broken := filepath.Join(dir, "broken.keys")
	if err := os.WriteFile(broken, []byte(`{"version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"missing", missing, "wxgate keys init --file " + missing},
		{"broken", broken, "keys is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runKeysCmd(t, "show", "--file", tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("keys show: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestKeysUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr func(error) bool
		stderr  string
	}{
		{"no command", nil, isExit(2), "Commands:\n  init"},
		{"help", []string{"-h"}, isHelp, "  show   list"},
		{"unknown command", []string{"frobnicate"}, isExit(2), `unknown command "frobnicate"`},
		{"init help", []string{"init", "-h"}, isHelp, "Usage: wxgate keys init [--file PATH] [--force]"},
		{"show help", []string{"show", "-help"}, isHelp, "Usage: wxgate keys show [--file PATH]"},
		{"bad flag", []string{"init", "--nope"}, func(err error) bool { return err != nil }, "flag provided but not defined"},
		{"extra argument", []string{"init", "--file", "x", "y"}, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), `unexpected argument "y"`)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			_, errOut, err := runKeysCmd(t, tt.args...)
			if !tt.wantErr(err) {
				t.Errorf("error = %v", err)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
			if _, err := os.Stat("x"); err == nil {
				t.Error("a failed command created a file")
			}
		})
	}
}

// TestKeysThroughMain runs the command the way the binary does.
func TestKeysThroughMain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxgate.keys")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"keys", "init", "--file", path}, &out, &errOut); code != 0 {
		t.Fatalf("wxgate keys init exited %d: %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"keys", "init", "--file", path}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "wxgate keys: "+path+" already exists") {
		t.Errorf("second wxgate keys init exited %d: %s", code, errOut.String())
	}
	out.Reset()
	run(context.Background(), []string{"help"}, &out, &errOut)
	if !strings.Contains(out.String(), "keys ") {
		t.Errorf("wxgate help does not list keys:\n%s", out.String())
	}
}

func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

func isExit(code int) func(error) bool {
	return func(err error) bool {
		var ee exitError
		return errors.As(err, &ee) && ee.code == code
	}
}
