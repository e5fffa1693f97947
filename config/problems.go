package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration: where it is, and what is
// wrong with what to do about it. No Problem ever holds a secret.
type Problem struct {
	// File is the configuration file (set by Load) when Line is set.
	File string
	// Line is the line of the file the value is on, or 0 when it did not
	// come from the file.
	Line int
	// Env is the environment variable the value came from, if it did.
	Env string
	// Path is the key, such as "apps[1] (web).secret", or the name of an
	// environment variable; empty for the file as a whole.
	Path string
	// Message says what is wrong and what to do.
	Message string
}

// String formats p as "[file:line: ]path[ (from VAR)]: message".
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Line > 0 && p.File != "":
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		if p.Env != "" && p.Env != p.Path {
			fmt.Fprintf(&b, " (from %s)", p.Env)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a configuration. Load and Parse return
// it as their error; use errors.As to get at the list.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "config: no problems"
	case 1:
		return "config: " + ps[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config: %d problems:", len(ps))
	for _, p := range ps {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// origin is where a value came from: a line of the file or a variable.
type origin struct {
	line int
	env  string
}

// issue is a problem or warning before it is rendered. path is canonical
// ("apps[1].secret"); the app's name is added when rendering.
type issue struct {
	path string
	msg  string
	at   origin // set when known at the time; otherwise looked up by path
}

// report collects issues while a configuration is decoded and checked.
type report struct {
	problems []issue
	warnings []issue
	origins  map[string]origin
	// aborted stops further work after a problem that makes it pointless
	// (an oversize or runaway document).
	aborted bool
}

func newReport() *report { return &report{origins: map[string]origin{}} }

// add records a problem with the value at path.
func (r *report) add(path, msg string) { r.problems = append(r.problems, issue{path: path, msg: msg}) }

// addAt records a problem at a known place.
func (r *report) addAt(path string, at origin, msg string) {
	r.problems = append(r.problems, issue{path: path, msg: msg, at: at})
}

// warn records a warning about the value at path.
func (r *report) warn(path, msg string) { r.warnings = append(r.warnings, issue{path: path, msg: msg}) }

// finish renders the issues with display paths and origins, dropping
// duplicates (a merged YAML anchor can repeat one).
func (r *report) finish(cfg *Config, file string) (problems, warnings Problems) {
	render := func(is []issue) Problems {
		var out Problems
		seen := map[string]bool{}
		for _, i := range is {
			p := Problem{Path: displayPath(cfg, i.path), Message: i.msg}
			at := i.at
			if at == (origin{}) {
				at = r.lookup(i.path)
			}
			p.Line, p.Env = at.line, at.env
			if p.Line > 0 {
				p.File = file
			}
			if s := p.String(); !seen[s] {
				seen[s] = true
				out = append(out, p)
			}
		}
		return out
	}
	return render(r.problems), render(r.warnings)
}

// lookup finds where the value at path, or failing that its nearest
// parent, came from.
func (r *report) lookup(path string) origin {
	for path != "" {
		if o, ok := r.origins[path]; ok {
			return o
		}
		path = parentPath(path)
	}
	return origin{}
}

// parentPath drops the last element of a canonical path:
// "apps[1].secret" → "apps[1]" → "apps" → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

var appIndex = regexp.MustCompile(`^apps\[(\d+)\]`)

// displayPath adds the app's name to a canonical path: "apps[1].secret" →
// "apps[1] (web).secret".
func displayPath(cfg *Config, path string) string {
	m := appIndex.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i >= len(cfg.Apps) || !validName.MatchString(cfg.Apps[i].Name) {
		return path
	}
	return m[0] + " (" + cfg.Apps[i].Name + ")" + path[len(m[0]):]
}

// joinPath appends a key to a canonical path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a canonical path.
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// shown quotes a value for a message, shortened, or withholds it when it
// looks like a secret (say, an AppSecret pasted into secret_env).
func shown(s string) string {
	if looksSecret(s) {
		return "the value (withheld: it looks like a secret)"
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}

// looksSecret reports whether s has the shape of a key rather than of a
// name or a path: long (an AppSecret has 32 characters, an AppID 18), no
// separators, letters and digits mixed.
func looksSecret(s string) bool {
	if len(s) < 20 || strings.ContainsAny(s, "_/.:-@ \\") {
		return false
	}
	var letter, digit bool
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		}
	}
	return letter && digit
}

// suggest returns the candidate closest to s, if close enough to be a
// likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) >= 10 {
		limit = 3
	}
	if bestD < 0 || bestD > limit || bestD >= len(s) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a typo of any key
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
