package anyjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestCompactKey: valid JSON keys to its json.Compact form; white space
// that makes JSON invalid (inside a token, between two values) stays, so
// the key stays invalid.
func TestCompactKey(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { "a" : [ 1 , 2 , { } ] , "b" : "x y\" z" } `, "{\n \"a\":\t\"\\\\\" ,\"b\":null}",
		`{"a":[[],{}]}`, `{"a" :true , "b": -1.5e3}`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if got := compactKey(nil, []byte(in)); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("compactKey(%q) = %q, want %q", in, got, want.Bytes())
		}
	}
	for _, in := range []string{`[1 2]`, `{"a" 1}`, `{"a":tr ue}`, `{"a":"x" "y"}`, `[1 .5]`, `{"a":1 2}`} {
		if got := compactKey(nil, []byte(in)); json.Valid(got) {
			t.Errorf("compactKey(%q) = %q, which is valid JSON", in, got)
		}
	}
}
