package jsonv

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	doc := []byte("{\"a\": [1, -2.5e3, true, false, null],\n \"s\": \"x\\u00e9\\ud83d\\ude00\\/\", \"a\": {}}")
	v, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.Get("a")
	if !ok || a.Kind != Array || len(a.Items) != 5 || a.Items[1].Str != "-2.5e3" || !a.Items[2].Bool {
		t.Fatalf("a = %+v", a)
	}
	s, _ := v.Get("s")
	if s.Text() != "xé😀/" || doc[s.Offset] != '"' {
		t.Errorf("s = %q at %d", s.Text(), s.Offset)
	}
	if len(v.Keys) != 3 || v.Keys[2] != "a" {
		t.Errorf("duplicate keys not kept: %v", v.Keys)
	}
	for _, bad := range []string{"", "{", `{"a"}`, `[1,]`, `"\x"`, "01x", `{"a":1} x`, "\"a\nb\"", strings.Repeat("[", MaxDepth+1)} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// FuzzParse: jsonv accepts exactly what encoding/json accepts (within the
// depth bound), never panics, and every offset points into the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\ud800"`, `[-0.1e+5]`, `{"a":"\u0041"}`, "[\"\xff\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
			return // a BOM: jsonv skips it, encoding/json refuses it
		}
		if valid := json.Valid(b); valid != (err == nil) && !strings.Contains(errString(err), "deeply") {
			t.Fatalf("encoding/json valid=%v, jsonv err=%v", valid, err)
		}
		if err == nil {
			checkOffsets(t, &v, len(b))
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func checkOffsets(t *testing.T, v *Value, n int) {
	if v.Offset < 0 || v.Offset >= n {
		t.Fatalf("offset %d outside [0,%d)", v.Offset, n)
	}
	for i := range v.Items {
		checkOffsets(t, &v.Items[i], n)
	}
}
