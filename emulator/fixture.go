package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Fixture is the emulator's starting state, from a JSON or YAML file:
//
//	identity_salt: "a long random string"   # stable openids/unionids across restarts
//	apps:
//	  - {appid: wx0123456789abcdef, secret: ..., type: website, name: Demo, callback_domain: localhost:8080, open_account: acme}
//	users:
//	  - {user_id: alice, nickname: Alice, sex: 2, phone: "13800138000"}
//	behaviour:
//	  deny_redirect: none
//
// Unknown keys are refused. docs/emulator.md has the full format.
type Fixture struct {
	IdentitySalt string     `json:"identity_salt,omitempty" yaml:"identity_salt,omitempty"`
	Apps         []AppSpec  `json:"apps,omitempty" yaml:"apps,omitempty"`
	Users        []UserSpec `json:"users,omitempty" yaml:"users,omitempty"`
	Behaviour    Behaviour  `json:"behaviour" yaml:"behaviour,omitempty"`
}

// maxFixture bounds a fixture file.
const maxFixture = 4 << 20

// LoadFixture reads a fixture file. A .json file is JSON, a .yaml or .yml
// file YAML; any other name is JSON when its first non-blank character is
// '{', YAML otherwise.
func LoadFixture(path string) (*Fixture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: fixture: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFixture+1))
	if err != nil {
		return nil, fmt.Errorf("emulator: fixture: %w", err)
	}
	format := ""
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		format = "json"
	case ".yaml", ".yml":
		format = "yaml"
	}
	fx, err := ParseFixture(b, format)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return fx, nil
}

// ParseFixture parses a fixture in format "json" or "yaml"; "" decides by
// content. It checks the syntax, unknown keys and the behaviour options;
// New checks the apps and users.
func ParseFixture(b []byte, format string) (*Fixture, error) {
	if len(b) > maxFixture {
		return nil, errors.New("emulator: fixture: larger than 4 MiB")
	}
	if format == "" {
		format = "yaml"
		if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
			format = "json"
		}
	}
	var fx Fixture
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fx); err != nil {
			return nil, fmt.Errorf("emulator: fixture: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("emulator: fixture: trailing data after the JSON object")
		}
	case "yaml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&fx); err != nil && err != io.EOF {
			return nil, fmt.Errorf("emulator: fixture: %w", err)
		}
		var extra any
		if err := dec.Decode(&extra); err != io.EOF {
			return nil, errors.New("emulator: fixture: a fixture is one YAML document")
		}
	default:
		return nil, fmt.Errorf("emulator: fixture: unknown format %q", format)
	}
	if err := fx.Behaviour.Validate(); err != nil {
		return nil, err
	}
	if fx.IdentitySalt != "" && len(fx.IdentitySalt) < 16 {
		return nil, errors.New("emulator: fixture: identity_salt: at least 16 characters")
	}
	return &fx, nil
}
