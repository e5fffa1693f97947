package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/wxgate/wxgate/wechat"
)

// maxSecretFile bounds a secret file: it holds one secret, not a document.
const maxSecretFile = 64 << 10

// fault is what is wrong with one key of a secret source. Its message
// never holds the secret.
type fault struct{ key, msg string }

// secretSource is where a secret comes from: a variable, a file or (apps in
// dev mode only) a literal.
type secretSource struct {
	what            string // "the AppSecret", "the key": for messages
	envKey, fileKey string // the keys' names, for messages
	env, file       string
	literal         wechat.Secret
	warnings        []fault // filled by read
}

func (a *App) secretSource() secretSource {
	return secretSource{what: "the AppSecret", envKey: "secret_env", fileKey: "secret_file",
		env: a.SecretEnv, file: a.SecretFile, literal: a.Secret}
}

func (in Internal) secretSource() secretSource {
	return secretSource{what: "the key", envKey: "api_key_env", fileKey: "api_key_file",
		env: in.APIKeyEnv, file: in.APIKeyFile}
}

// count is how many sources are set; exactly one must be.
func (s *secretSource) count() int {
	n := 0
	for _, set := range []bool{s.env != "", s.file != "", !s.literal.IsZero()} {
		if set {
			n++
		}
	}
	return n
}

// setKey names the key that is set.
func (s *secretSource) setKey() string {
	switch {
	case s.env != "":
		return s.envKey
	case s.file != "":
		return s.fileKey
	}
	return "secret"
}

// ref is the key and value of a variable or file source, to find two apps
// reading one place; "" for a literal.
func (s *secretSource) ref() (key, val string) {
	switch {
	case s.env != "":
		return s.envKey, s.env
	case s.file != "":
		return s.fileKey, s.file
	}
	return "", ""
}

// read reads the secret now, trimming a trailing newline.
func (s *secretSource) read(lookupEnv func(string) (string, bool)) (string, *fault) {
	s.warnings = nil
	switch s.count() {
	case 0:
		return "", &fault{s.envKey, "no source for " + s.what + "; set " + s.envKey + " or " + s.fileKey}
	case 1:
	default:
		return "", &fault{s.envKey, "more than one source for " + s.what + "; set only one"}
	}
	switch {
	case s.env != "":
		return s.readEnv(lookupEnv)
	case s.file != "":
		return s.readFile()
	}
	return s.literal.Reveal(), nil
}

func (s *secretSource) readEnv(lookupEnv func(string) (string, bool)) (string, *fault) {
	name := s.env
	if looksSecret(name) || !envVarName.MatchString(name) {
		if _, ok := lookupEnv(name); !ok {
			return "", &fault{s.envKey, s.envKey + " holds " + describeName(name) + ", not the name of an environment variable; put " + s.what + " in a variable and set " + s.envKey + " to the variable's name"}
		}
	}
	v, ok := lookupEnv(name)
	if !ok {
		return "", &fault{s.envKey, "the environment variable " + name + " is not set; set it to " + s.what + " (or correct the name)"}
	}
	v = strings.TrimRight(v, "\r\n")
	if v == "" {
		return "", &fault{s.envKey, "the environment variable " + name + " is empty; set it to " + s.what}
	}
	return v, nil
}

// describeName refers to a value that should have been a variable's name.
func describeName(s string) string {
	if looksSecret(s) {
		return "what looks like a secret (not shown)"
	}
	return shown(s)
}

func (s *secretSource) readFile() (string, *fault) {
	path := s.file
	bad := func(msg string) (string, *fault) { return "", &fault{s.fileKey, msg} }
	name := describeName(path)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if looksSecret(path) {
			return bad(s.fileKey + " holds what looks like a secret (not shown), not a file's path; put " + s.what + " in a file and set " + s.fileKey + " to its path")
		}
		if strings.HasPrefix(path, "~") {
			return bad(name + " does not exist: ~ is not expanded; write the full path")
		}
		return bad(name + " does not exist; create it holding " + s.what + ", or correct the path")
	case errors.Is(err, fs.ErrPermission):
		return bad(name + " cannot be read by this process (permission denied); let the user wxgate runs as read it")
	case err != nil:
		return bad(name + " cannot be read (" + describeErr(err) + "); check the path")
	case fi.IsDir():
		return bad(name + " is a directory; point " + s.fileKey + " at the file inside it that holds " + s.what)
	case !fi.Mode().IsRegular():
		return bad(name + " is not a regular file; point " + s.fileKey + " at a file that holds " + s.what)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return bad(name + " cannot be read by this process (permission denied); let the user wxgate runs as read it")
		}
		return bad(name + " cannot be opened (" + describeErr(err) + ")")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	switch {
	case err != nil:
		return bad(name + " cannot be read (" + describeErr(err) + ")")
	case len(b) > maxSecretFile:
		return bad(fmt.Sprintf("%s is larger than %d KiB; it must hold only %s", name, maxSecretFile>>10, s.what))
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return bad(name + " is empty; write " + s.what + " into it")
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o044 != 0 {
		s.warnings = append(s.warnings, fault{s.fileKey, fmt.Sprintf(
			"%s is readable by other users (mode %#o); restrict it: chmod 600 (in Kubernetes, defaultMode: 0400)", name, uint32(fi.Mode().Perm()))})
	}
	return v, nil
}

// describeErr is the innermost reason of a file error, without the path
// (the caller shows it).
func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
