package config

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxVisits bounds the nodes the decoder visits, counting every alias and
// merge it follows, so a small document cannot expand into a huge one. A
// real configuration visits a few hundred.
const maxVisits = 1 << 18

// maxAliasDepth bounds chains of aliases and merges.
const maxAliasDepth = 32

// decoder walks a YAML node tree into a Config by its yaml tags. Unlike
// yaml.Unmarshal it reports every problem with its key path and line, and
// goes on after one.
type decoder struct {
	r      *report
	visits int
	active map[*yaml.Node]bool // mappings whose merges are being expanded
}

// decodeYAML decodes data, a single YAML document, into cfg.
func decodeYAML(data []byte, cfg *Config, r *report) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			syntaxProblem(err, r)
		}
		return
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		syntaxProblem(err, r)
		return
	default:
		r.addAt("", origin{line: extra.Line}, "a second YAML document (after ---); keep the whole configuration in one document")
	}
	d := &decoder{r: r, active: map[*yaml.Node]bool{}}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	if n := d.resolve(root, ""); n != nil && n.Kind != yaml.MappingNode && !isNull(n) {
		r.addAt("", origin{line: n.Line}, "the file must be a YAML mapping of keys such as listen: and apps:, not "+kindName(n))
		return
	}
	d.value(root, reflect.ValueOf(cfg).Elem(), "")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem reports a YAML syntax error, at its line when it has one.
// yaml's syntax errors describe the grammar, never the document's text.
func syntaxProblem(err error, r *report) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		r.addAt("", origin{line: line}, "invalid YAML: "+m[2]+"; fix the syntax (indent with spaces, quote values holding ': ' or '#')")
		return
	}
	r.add("", "invalid YAML: "+strings.TrimPrefix(msg, "yaml: ")+"; fix the syntax")
}

// spend counts one visit; false once the budget is spent.
func (d *decoder) spend() bool {
	if d.r.aborted {
		return false
	}
	d.visits++
	if d.visits > maxVisits {
		d.r.add("", "the document has too many values, or its anchors and aliases expand to too many; write a gateway configuration of a few dozen keys per app")
		d.r.aborted = true
		return false
	}
	return true
}

// resolve follows aliases to the node they name; nil if it cannot.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > maxAliasDepth || !d.spend() {
			if !d.r.aborted {
				d.r.addAt(path, origin{line: n.Line}, "aliases nested too deep; write the value out")
			}
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "that"
}

// value decodes node n into v, the field at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = d.resolve(n, path)
	if n == nil || !d.spend() {
		return
	}
	at := origin{line: n.Line}
	if isNull(n) {
		v.Set(reflect.Zero(v.Type())) // "key:" or "key: null" means unset
		return
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.r.addAt(path, at, "want a list, not "+kindName(n)+"; write one item a line, each after '- ', or [a, b]")
			return
		}
		s := reflect.MakeSlice(t, 0, len(n.Content))
		for i, e := range n.Content {
			ep := indexPath(path, i)
			d.r.origins[ep] = origin{line: e.Line}
			ev := reflect.New(t.Elem()).Elem()
			d.value(e, ev, ep)
			s = reflect.Append(s, ev)
		}
		v.Set(s)
	case isLeaf(t):
		if n.Kind != yaml.ScalarNode {
			d.r.addAt(path, at, "want a single value, not "+kindName(n))
			return
		}
		if msg := setScalar(v, n.Value); msg != "" {
			d.r.addAt(path, at, msg)
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.r.addAt(path, at, "want a mapping of keys ("+strings.Join(keysOf(t), ", ")+"), not "+kindName(n))
			return
		}
		d.mapping(n, v, path)
	default:
		panic("config: unsupported field type " + t.String())
	}
}

// pair is one key and its value in a mapping.
type pair struct{ key, val *yaml.Node }

// mapping decodes mapping n into struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	fields := fieldsOf(v.Type())
	byKey := map[string]field{}
	for _, f := range fields {
		byKey[f.key] = f
	}
	for _, p := range d.pairs(n, path, 0) {
		key := p.key.Value
		kp := joinPath(path, key)
		f, ok := byKey[key]
		if !ok {
			if strings.HasPrefix(key, "x-") {
				continue // extension keys hold anchors for merging
			}
			d.r.addAt(kp, origin{line: p.key.Line}, unknownKey(key, v.Type()))
			continue
		}
		d.r.origins[kp] = origin{line: p.key.Line}
		d.value(p.val, v.Field(f.index), kp)
	}
}

// unknownKey says what to write instead of key.
func unknownKey(key string, t reflect.Type) string {
	msg := "unknown key"
	var candidates []string
	for _, f := range fieldsOf(t) {
		if !isSecretLeaf(t.Field(f.index).Type) {
			candidates = append(candidates, f.key)
		}
	}
	switch s := suggest(key, candidates); {
	case strings.Contains(strings.ToLower(key), "secret") && t == reflect.TypeFor[App]():
		return msg + "; an app's secret is read from secret_env (an environment variable's name) or secret_file (a file's path)"
	case s != "":
		return msg + "; did you mean " + s + "?"
	}
	return msg + "; the keys here are " + strings.Join(keysOf(t), ", ")
}

// pairs lists the keys of mapping n with their values: its own keys, in
// order, then those merged in with "<<" (YAML merge keys) that it does not
// set itself. Duplicate keys are problems.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var out []pair
	var merges []*yaml.Node
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k = d.resolve(k, path); k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.r.addAt(path, origin{line: k.Line}, "a key must be a plain name, not "+kindName(k))
			continue
		}
		if k.Value == "<<" && (k.ShortTag() == "!!merge" || k.Tag == "") {
			merges = append(merges, val)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.r.addAt(joinPath(path, k.Value), origin{line: k.Line},
				"duplicate key (first set at line "+strconv.Itoa(first.Line)+"); keep one")
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, val})
	}
	for _, m := range merges {
		for _, src := range d.mergeSources(m, path) {
			if depth >= maxAliasDepth || d.active[src] {
				d.r.addAt(path, origin{line: m.Line}, "merge (<<) refers to itself or nests too deep; write the keys out")
				continue
			}
			d.active[src] = true
			for _, p := range d.pairs(src, path, depth+1) {
				if !d.spend() {
					break
				}
				if _, dup := seen[p.key.Value]; !dup {
					seen[p.key.Value] = p.key
					out = append(out, p)
				}
			}
			delete(d.active, src)
		}
	}
	return out
}

// mergeSources lists the mappings a merge key's value names: one mapping,
// or a list of them.
func (d *decoder) mergeSources(m *yaml.Node, path string) []*yaml.Node {
	m = d.resolve(m, path)
	if m == nil {
		return nil
	}
	var nodes []*yaml.Node
	switch m.Kind {
	case yaml.MappingNode:
		nodes = []*yaml.Node{m}
	case yaml.SequenceNode:
		for _, e := range m.Content {
			if e = d.resolve(e, path); e != nil && e.Kind == yaml.MappingNode {
				nodes = append(nodes, e)
			} else if e != nil {
				d.r.addAt(path, origin{line: e.Line}, "merge (<<) needs a mapping or a list of mappings, typically *anchor")
			}
		}
	default:
		d.r.addAt(path, origin{line: m.Line}, "merge (<<) needs a mapping or a list of mappings, typically *anchor")
	}
	return nodes
}
