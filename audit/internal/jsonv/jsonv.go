// Package jsonv parses JSON into a tree that remembers where each value
// starts in the input, so that a finding inside a HAR capture or a JSON body
// can name its line. It is lenient where captures are sloppy (invalid UTF-8
// is kept as is) and strict where a parser of outside input must be: depth
// and input are bounded, and no input makes it panic.
package jsonv

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// MaxDepth bounds the nesting of arrays and objects.
const MaxDepth = 256

// Value is one JSON value. For an Object, Keys and Items are parallel (keys
// in input order, duplicates kept); for an Array, Items holds the elements.
type Value struct {
	Kind   Kind
	Str    string // String: the decoded text; Number: the literal
	Bool   bool
	Offset int // byte offset of the value's first byte in the input
	Keys   []string
	Items  []Value
}

// Get returns the first member named key of an object.
func (v *Value) Get(key string) (*Value, bool) {
	if v == nil || v.Kind != Object {
		return nil, false
	}
	for i, k := range v.Keys {
		if k == key {
			return &v.Items[i], true
		}
	}
	return nil, false
}

// Text returns a String's text, or "" for any other kind.
func (v *Value) Text() string {
	if v == nil || v.Kind != String {
		return ""
	}
	return v.Str
}

// Int returns a Number as an int (0 if it is not a whole number).
func (v *Value) Int() int {
	if v == nil || v.Kind != Number {
		return 0
	}
	n, err := strconv.Atoi(v.Str)
	if err != nil {
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil {
			return 0
		}
		return int(f)
	}
	return n
}

// SyntaxError is a parse failure at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("jsonv: %s at offset %d", e.Msg, e.Offset) }

var errDepth = errors.New("too deeply nested")

// Parse parses one JSON document; only whitespace may follow it.
func Parse(b []byte) (Value, error) {
	p := parser{b: b}
	p.skipBOM()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return Value{}, p.fail("data after the document")
	}
	return v, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) fail(msg string) error { return &SyntaxError{Offset: p.i, Msg: msg} }

func (p *parser) skipBOM() {
	if len(p.b) >= 3 && p.b[0] == 0xEF && p.b[1] == 0xBB && p.b[2] == 0xBF {
		p.i = 3
	}
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	p.space()
	if p.i >= len(p.b) {
		return Value{}, p.fail("unexpected end of input")
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return Value{}, &SyntaxError{Offset: p.i, Msg: errDepth.Error()}
		}
		return p.object(depth)
	case c == '[':
		if depth >= MaxDepth {
			return Value{}, &SyntaxError{Offset: p.i, Msg: errDepth.Error()}
		}
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Str: s, Offset: start}, err
	case c == 't':
		return p.lit("true", Value{Kind: Bool, Bool: true, Offset: start})
	case c == 'f':
		return p.lit("false", Value{Kind: Bool, Offset: start})
	case c == 'n':
		return p.lit("null", Value{Kind: Null, Offset: start})
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return Value{}, p.fail("unexpected character")
}

func (p *parser) lit(word string, v Value) (Value, error) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return Value{}, p.fail("invalid literal")
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) number() (Value, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	lead := p.i
	if n := digits(); n == 0 || n > 1 && p.b[lead] == '0' {
		return Value{}, p.fail("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return Value{}, p.fail("invalid number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return Value{}, p.fail("invalid number")
		}
	}
	return Value{Kind: Number, Str: string(p.b[start:p.i]), Offset: start}, nil
}

func (p *parser) array(depth int) (Value, error) {
	v := Value{Kind: Array, Offset: p.i}
	p.i++ // [
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		item, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Items = append(v.Items, item)
		p.space()
		if p.i >= len(p.b) {
			return Value{}, p.fail("unterminated array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail("expected , or ] in array")
		}
	}
}

func (p *parser) object(depth int) (Value, error) {
	v := Value{Kind: Object, Offset: p.i}
	p.i++ // {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return Value{}, p.fail("expected a member name")
		}
		k, err := p.str()
		if err != nil {
			return Value{}, err
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return Value{}, p.fail("expected : after a member name")
		}
		p.i++
		item, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Keys = append(v.Keys, k)
		v.Items = append(v.Items, item)
		p.space()
		if p.i >= len(p.b) {
			return Value{}, p.fail("unterminated object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return v, nil
		default:
			return Value{}, p.fail("expected , or } in object")
		}
	}
}

// str reads a string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.i++ // "
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail("control character in string")
		}
		p.i++
	}
	out := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		// An escape.
		if p.i+1 >= len(p.b) {
			break
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if lo, ok := p.hex4(); ok {
						r2 = utf16.DecodeRune(r, lo)
					}
					if r2 == utf8.RuneError {
						p.i = save
					}
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.fail("invalid escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}
