package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/wxgate/wxgate/wechat"
)

// The YAML decoder and the environment overrides both walk Config's yaml
// tags by reflection, so a key added to the structs is covered by both at
// once. Leaves are strings (and string types such as wechat.AppType),
// bools, Durations, wechat.Secrets and string lists; a list of structs is
// addressed in the environment by each element's "name" key.

var (
	durationType = reflect.TypeFor[Duration]()
	secretType   = reflect.TypeFor[wechat.Secret]()
)

// field is one yaml-tagged field of a struct.
type field struct {
	key   string // the YAML key
	index int    // the struct field's index
}

// fieldsOf lists the yaml-tagged exported fields of struct type t.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		fs = append(fs, field{key: key, index: i})
	}
	return fs
}

// keysOf lists the YAML keys of struct type t.
func keysOf(t reflect.Type) []string {
	var keys []string
	for _, f := range fieldsOf(t) {
		keys = append(keys, f.key)
	}
	return keys
}

// isLeaf reports whether a value of type t is set from one scalar (or, for
// a string list, from one comma-separated environment variable).
func isLeaf(t reflect.Type) bool {
	switch {
	case t == durationType, t == secretType:
		return true
	case t.Kind() == reflect.String, t.Kind() == reflect.Bool, t.Kind() == reflect.Int:
		return true
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return true
	}
	return false
}

// isSecretLeaf reports whether a leaf holds a literal secret: its value is
// never quoted, and it is never suggested as a fix.
func isSecretLeaf(t reflect.Type) bool { return t == secretType }

// namesEnvVar reports whether the key's value is the name of an
// environment variable (secret_env, api_key_env): such variables are
// secrets, not overrides.
func namesEnvVar(key string) bool { return strings.HasSuffix(key, "_env") }

// setScalar stores the scalar s in the leaf v. It returns what is wrong
// with s, or "". Values from the file and from the environment both pass
// through here, so they are checked alike.
func setScalar(v reflect.Value, s string) string {
	t := v.Type()
	switch {
	case t == durationType:
		d, msg := parseDuration(s)
		if msg != "" {
			return msg
		}
		if d <= 0 {
			return "must be positive; write a duration such as 90s, 5m or 24h (or remove the key for the default)"
		}
		v.SetInt(int64(d))
	case t == secretType:
		v.Set(reflect.ValueOf(wechat.NewSecret(strings.TrimRight(s, "\r\n"))))
	case t.Kind() == reflect.String:
		v.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return shown(s) + " is not a boolean; write true or false"
		}
		v.SetBool(b)
	case t.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return shown(s) + " is not a whole number"
		}
		v.SetInt(int64(n))
	default:
		panic(fmt.Sprintf("config: setScalar on %v", t))
	}
	return ""
}

// setting is one leaf that an environment variable can override.
type setting struct {
	path string        // canonical key path: "wechat.api_base", "apps[0].appid"
	env  string        // WXGATE_WECHAT_API_BASE, WXGATE_APPS_WEB_APPID
	key  string        // the last YAML key
	v    reflect.Value // the leaf
}

// envPrefix starts every variable that overrides a key.
const envPrefix = "WXGATE"

// envWord is how a key or an app name appears in a variable's name.
func envWord(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// settings lists every leaf of cfg with the variable that overrides it.
// Apps without a name have no variables.
func settings(cfg *Config) []setting {
	var out []setting
	collect(reflect.ValueOf(cfg).Elem(), "", envPrefix, &out)
	return out
}

func collect(v reflect.Value, path, env string, out *[]setting) {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		fp, fe := joinPath(path, f.key), env+"_"+envWord(f.key)
		switch t := fv.Type(); {
		case isLeaf(t):
			*out = append(*out, setting{path: fp, env: fe, key: f.key, v: fv})
		case t.Kind() == reflect.Struct:
			collect(fv, fp, fe, out)
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
			for i := 0; i < fv.Len(); i++ {
				name := elemName(fv.Index(i))
				if name == "" {
					continue
				}
				collect(fv.Index(i), indexPath(fp, i), fe+"_"+envWord(name), out)
			}
		default:
			panic(fmt.Sprintf("config: unsupported field type %v at %s", t, fp))
		}
	}
}

// elemName is the value of a struct's "id" key (OIDC clients) or else its
// "name" key (apps), or "".
func elemName(v reflect.Value) string {
	for _, f := range fieldsOf(v.Type()) {
		if f.key == "id" && v.Field(f.index).Kind() == reflect.String {
			return v.Field(f.index).String()
		}
	}
	for _, f := range fieldsOf(v.Type()) {
		if f.key == "name" && v.Field(f.index).Kind() == reflect.String {
			return v.Field(f.index).String()
		}
	}
	return ""
}

// EnvNames lists the environment variable of every key, in the order of
// the structs, with <NAME> standing for an app's name:
// WXGATE_LISTEN, ..., WXGATE_APPS_<NAME>_APPID, ...
func EnvNames() []string {
	cfg := &Config{Apps: []App{{Name: "<name>"}}, OIDC: OIDC{Clients: []OIDCClient{{ID: "<id>"}}}}
	var names []string
	for _, s := range settings(cfg) {
		names = append(names, s.env)
	}
	return names
}
