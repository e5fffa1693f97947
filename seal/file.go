package seal

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	// fileVersion is the key file format this package reads and writes.
	fileVersion = 1
	// maxFileSize bounds the key files Parse and Load accept. A keyring of
	// maxKeys keys takes about 15 KiB.
	maxFileSize = 1 << 20
)

// keyFile is the JSON form of a keyring; see the package comment.
type keyFile struct {
	Version  int           `json:"version"`
	Active   string        `json:"active"`
	IndexKey string        `json:"index_key"`
	Keys     []keyFileItem `json:"keys"`
}

// keyFileItem is one key in a key file.
type keyFileItem struct {
	ID      string `json:"id"`
	Created string `json:"created"`
	Key     string `json:"key"`
}

// fileNames are the only object member names a key file may use, spelled
// exactly so.
var fileNames = map[string]bool{
	"version": true, "active": true, "index_key": true, "keys": true,
	"id": true, "created": true, "key": true,
}

// Marshal returns the key file for k, as described in the package comment.
// The result holds every key in clear: write it only with WriteFile.
func (k *Keyring) Marshal() ([]byte, error) {
	if !k.valid() {
		return nil, errZero
	}
	f := keyFile{
		Version:  fileVersion,
		Active:   k.r.active.id.String(),
		IndexKey: base64.StdEncoding.EncodeToString(k.r.indexKey[:]),
		Keys:     make([]keyFileItem, len(k.r.keys)),
	}
	for i, kk := range k.r.keys {
		f.Keys[i] = keyFileItem{
			ID:      kk.id.String(),
			Created: kk.created.Format(time.RFC3339Nano),
			Key:     base64.StdEncoding.EncodeToString(kk.secret),
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, errors.New("seal: cannot encode the key file")
	}
	return append(b, '\n'), nil
}

// Parse reads a key file (see the package comment). It is strict, and its
// errors never echo key material.
func Parse(data []byte) (*Keyring, error) {
	k, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	return k, nil
}

// Load reads and parses the key file at path. Its errors say what to do;
// when the file does not exist, the error matches fs.ErrNotExist.
func Load(path string) (*Keyring, error) {
	data, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &wrapError{
			msg: fmt.Sprintf("seal: no key file at %s: create one with `wxgate keys init --file %s`", path, path),
			err: err,
		}
	}
	if err != nil {
		return nil, fmt.Errorf("seal: cannot read the key file: %w", err)
	}
	k, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w (restore it from your backup; a new keyring cannot open data sealed under this one)", path, err)
	}
	return k, nil
}

// wrapError is an error with its own text that still matches, with
// errors.Is and errors.As, the error it wraps.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// readLimited reads a file of at most maxFileSize bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; it is not a key file", path, maxFileSize)
	}
	return data, nil
}

// parse does Parse's work; its errors lack the "seal: " prefix, which the
// callers add with context.
func parse(data []byte) (*Keyring, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	if err := checkNames(data); err != nil {
		return nil, err
	}
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("field %q has the wrong type", te.Field)
		}
		return nil, errors.New("not a valid key file")
	}

	// Collect every problem, so one edit fixes them all.
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if f.Version != fileVersion {
		if f.Version == 0 {
			bad("version is missing")
		} else {
			bad("version %d is not supported (this wxgate reads version %d)", f.Version, fileVersion)
		}
	}
	indexKey, ok := decodeKey(f.IndexKey)
	if !ok {
		bad("index_key must be 32 bytes in standard base64")
	}
	switch {
	case len(f.Keys) == 0:
		bad("keys is empty")
	case len(f.Keys) > maxKeys:
		bad("%d keys is more than the %d allowed", len(f.Keys), maxKeys)
		f.Keys = nil
	}
	keys := make([]*key, 0, len(f.Keys))
	seen := make(map[kid]bool, len(f.Keys))
	for i, item := range f.Keys {
		name := fmt.Sprintf("keys[%d]", i)
		id, idOK := parseKeyID(item.ID)
		switch {
		case !idOK:
			bad("%s: id must be 8 lowercase hex digits", name)
		case seen[id]:
			bad("%s: id %s is used twice", name, id)
		default:
			name = fmt.Sprintf("key %s", id)
			seen[id] = true
		}
		created, err := time.Parse(time.RFC3339, item.Created)
		if y := created.UTC().Year(); err != nil || y < 1 || y > 9999 {
			// The year bounds keep the time writable by Marshal, in UTC.
			bad("%s: created must be an RFC 3339 time such as 2026-01-02T03:04:05Z", name)
		}
		secret, ok := decodeKey(item.Key)
		if !ok {
			bad("%s: key must be 32 bytes in standard base64", name)
			continue
		}
		if indexKey != nil && subtle.ConstantTimeCompare(secret, indexKey) == 1 {
			bad("%s: key equals index_key; every key must be distinct", name)
		}
		for _, other := range keys {
			if subtle.ConstantTimeCompare(secret, other.secret) == 1 {
				bad("%s: key equals the key of %s; every key must be distinct", name, other.id)
			}
		}
		if !idOK {
			continue
		}
		kk, err := newKey(id, created, secret)
		if err != nil {
			bad("%s: unusable key", name)
			continue
		}
		keys = append(keys, kk)
	}
	active, ok := parseKeyID(f.Active)
	switch {
	case f.Active == "":
		bad("active is missing")
	case !ok:
		bad("active must be a key id (8 lowercase hex digits)")
	case !seen[active]:
		bad("active key %s is not in keys", active)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return build(keys, active, indexKey)
}

// decodeKey decodes 32 bytes of key material from standard, padded base64.
// It accepts only the canonical encoding (no line breaks, no stray padding
// bits) and refuses an all-zero key, which is a placeholder, not a key.
func decodeKey(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != keySize || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	var zero [keySize]byte
	if subtle.ConstantTimeCompare(b, zero[:]) == 1 {
		return nil, false
	}
	return b, true
}

// checkNames walks the JSON document and refuses anything but a single
// object, member names other than the key file's own (spelled exactly), and
// duplicate names. encoding/json alone would accept duplicates (the last one
// wins) and match names case-insensitively, so two programs reading the same
// file could disagree about which key is active.
func checkNames(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are checked later, by type
	var stack []*jsonFrame
	values := 0 // complete top-level values
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 || values == 0 {
				return errors.New("not a JSON object (it ends too soon)")
			}
			return nil
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("not valid JSON (near byte %d)", se.Offset)
			}
			return errors.New("not valid JSON")
		}
		if len(stack) == 0 {
			if values > 0 {
				return fmt.Errorf("unexpected data after the JSON object (near byte %d)", dec.InputOffset())
			}
			if tok != json.Delim('{') {
				return errors.New("not a JSON object")
			}
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			top := stack[n-1]
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				values += valueDone(stack)
				continue
			}
			name, _ := tok.(string) // the decoder only yields strings here
			if !fileNames[name] {
				return unknownName(name, dec.InputOffset())
			}
			if top.seen[name] {
				return fmt.Errorf("field %q appears twice", name)
			}
			top.seen[name] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{object: true, wantKey: true, seen: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &jsonFrame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			values += valueDone(stack)
		default:
			values += valueDone(stack)
		}
	}
}

// jsonFrame is an open object or array in checkNames.
type jsonFrame struct {
	object  bool
	wantKey bool // in an object, the next token is a member name
	seen    map[string]bool
}

// valueDone records that a value ended inside the innermost open container
// of stack, and returns 1 if it was a top-level value.
func valueDone(stack []*jsonFrame) int {
	if len(stack) == 0 {
		return 1
	}
	if top := stack[len(stack)-1]; top.object {
		top.wantKey = true
	}
	return 0
}

// unknownName reports a member name that has no place in a key file. The
// name is shown only if it looks like a misspelt field (lowercase letters
// and underscores, at most 16): anything else might be key material pasted
// in the wrong place.
func unknownName(name string, offset int64) error {
	plain := len(name) <= 16
	for _, c := range name {
		if (c < 'a' || c > 'z') && c != '_' {
			plain = false
		}
	}
	if plain && name != "" {
		return fmt.Errorf("unknown field %q", name)
	}
	if lower := strings.ToLower(name); fileNames[lower] {
		return fmt.Errorf("unknown field; did you mean %q? (names are lower case)", lower)
	}
	return fmt.Errorf("unknown field (near byte %d)", offset)
}

// WriteFile writes k's key file to path with mode 0600, atomically: it writes
// a temporary file in the same directory, syncs it, and moves it into place,
// so a reader sees the old file or the new one, never part of one. Unless
// overwrite is set it refuses, with an error that matches fs.ErrExist, to
// replace an existing file: a keyring holds the only keys to the data sealed
// under it.
func WriteFile(path string, k *Keyring, overwrite bool) error {
	data, err := k.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("seal: cannot write the key file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer func() {
		// After a successful rename there is nothing left to remove; after
		// a link, or any failure, the temporary file goes.
		os.Remove(tmpName)
	}()
	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("seal: cannot write the key file in %s: %w", dir, err)
	}
	if overwrite {
		err = os.Rename(tmpName, path)
	} else {
		// A hard link, unlike a rename, fails when path exists, so
		// checking and creating are one atomic step.
		err = os.Link(tmpName, path)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("seal: %s already exists; not overwriting it, since data sealed under it would become unreadable: %w", path, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("seal: cannot write the key file: %w", err)
	}
	syncDir(dir)
	return nil
}

// writeSynced writes data to f with mode 0600, syncs it and closes it.
func writeSynced(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename or link in dir durable where the system allows it.
// Failure is not an error: some systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
