package config

import (
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Variables that start with WXGATE_ but are not settings, so they are not
// reported as misspelt ones:
//   - WXGATE_CONFIG: the configuration file of `wxgate serve`.
//   - WXGATE_TEST_*: free for tests and tools (the storage tests' server
//     URLs, say).
const (
	configFileEnv = "WXGATE_CONFIG"
	testEnvPrefix = "WXGATE_TEST_"
)

// applyEnv applies the WXGATE_* overrides to cfg. Apps are addressed by the
// names they have in the file. It runs in two phases: first the keys that
// name an environment variable (secret_env, api_key_env), then the rest;
// a variable that such a key names holds a secret, so it is never applied
// as an override nor reported as misspelt.
func applyEnv(cfg *Config, lookupEnv func(string) (string, bool), environ []string, r *report) {
	byEnv := map[string][]setting{}
	var names []string
	for _, s := range settings(cfg) {
		if byEnv[s.env] == nil {
			names = append(names, s.env)
		}
		byEnv[s.env] = append(byEnv[s.env], s)
	}
	apply := func(name string) {
		val, ok := lookupEnv(name)
		if !ok {
			return
		}
		ss := byEnv[name]
		if len(ss) > 1 {
			var apps []string
			for _, s := range ss {
				apps = append(apps, displayPath(cfg, parentPath(s.path)))
			}
			r.add(name, "matches "+strings.Join(apps, " and ")+": their names are the same in variable names (upper case, - as _); rename one app so each can be addressed")
			return
		}
		s := ss[0]
		r.origins[s.path] = origin{env: name}
		if msg := setEnv(s.v, val); msg != "" {
			r.add(s.path, msg)
		}
	}

	for _, name := range names {
		if namesEnvVar(byEnv[name][0].key) {
			apply(name)
		}
	}
	secretVars := referencedVars(cfg)
	for _, name := range names {
		if !namesEnvVar(byEnv[name][0].key) && !secretVars[name] {
			apply(name)
		}
	}

	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix+"_") || byEnv[name] != nil || secretVars[name] ||
			name == configFileEnv || strings.HasPrefix(name, testEnvPrefix) {
			continue
		}
		if _, ok := lookupEnv(name); ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range slices.Compact(unknown) {
		r.add(name, unknownVar(cfg, name, names, byEnv))
	}
}

// setEnv stores an environment variable's value in a leaf. An empty value
// clears the key (so the default applies); a list is comma-separated.
func setEnv(v reflect.Value, val string) string {
	if val == "" {
		v.Set(reflect.Zero(v.Type()))
		return ""
	}
	if v.Kind() == reflect.Slice {
		var items []string
		for _, item := range strings.Split(val, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
		return ""
	}
	return setScalar(v, val)
}

// referencedVars lists the variables that keys ending in _env name.
func referencedVars(cfg *Config) map[string]bool {
	vars := map[string]bool{}
	for _, s := range settings(cfg) {
		if namesEnvVar(s.key) && s.v.Kind() == reflect.String && s.v.String() != "" {
			vars[s.v.String()] = true
		}
	}
	return vars
}

// unknownVar says what to do about a WXGATE_ variable that is no setting.
func unknownVar(cfg *Config, name string, known []string, byEnv map[string][]setting) string {
	const reserved = "; variables starting with WXGATE_ are reserved for settings (WXGATE_TEST_* is free for tests and tools)"
	if rest, ok := strings.CutPrefix(name, envPrefix+"_APPS_"); ok {
		for _, k := range keysOf(reflect.TypeFor[App]()) {
			if app, ok := strings.CutSuffix(rest, "_"+envWord(k)); ok && app != "" {
				var have []string
				for _, a := range cfg.Apps {
					if a.Name != "" {
						have = append(have, envWord(a.Name))
					}
				}
				msg := "no app is named " + shown(strings.ToLower(app)) + " in the file (WXGATE_APPS_<NAME>_" + envWord(k) + " changes an app the file defines; it cannot add one)"
				if len(have) > 0 {
					msg += "; the apps' variable names are " + strings.Join(have, ", ")
				}
				return msg
			}
		}
	}
	var candidates []string
	for _, k := range known {
		if !isSecretLeaf(byEnv[k][0].v.Type()) {
			candidates = append(candidates, k)
		}
	}
	if s := suggest(name, candidates); s != "" {
		return "no such setting; did you mean " + s + "?"
	}
	var under []string // WXGATE_SESSIONS → the variables of sessions:
	for _, c := range candidates {
		if strings.HasPrefix(c, name+"_") {
			under = append(under, c)
		}
	}
	switch {
	case len(under) == 1:
		return "no such setting; did you mean " + under[0] + "?"
	case len(under) > 1 && len(under) <= 8:
		return "no such setting; the settings under it are " + strings.Join(under, ", ")
	}
	return "no such setting" + reserved
}
