package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// toYAML re-encodes a JSON document as block-style YAML, keeping key
// order. It prints straight from the JSON tokens (yaml.v3's parse and
// encode took most of a large build's time). Strings that are not simple
// words — ":method", "@type", regular expressions, format commands, and
// words YAML 1.1 reads as booleans or null — are double-quoted with JSON's
// escapes, which YAML's double-quoted style shares, so every YAML parser,
// not only Go's, reads them the same.
func refToYAML(jsonData []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(jsonData))
	dec.UseNumber()
	var out bytes.Buffer
	y := &refYAMLPrinter{dec: dec, out: &out}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("bootstrap JSON as YAML: %w", err)
	}
	if err := y.value(tok, 0, ""); err != nil {
		return nil, fmt.Errorf("bootstrap JSON as YAML: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("bootstrap JSON as YAML: trailing data")
	}
	return out.Bytes(), nil
}

// refYAMLPrinter writes YAML block style from a JSON token stream.
type refYAMLPrinter struct {
	dec *json.Decoder
	out *bytes.Buffer
	// pending replaces the indentation of the next line: a list item's
	// "- " marker, so the item's first line shares it.
	pending string
}

// start begins a line at indent, or after the pending item marker.
func (y *refYAMLPrinter) start(indent int) {
	if y.pending != "" {
		y.out.WriteString(y.pending)
		y.pending = ""
		return
	}
	y.out.WriteString(strings.Repeat(" ", indent))
}

// value prints the value starting with tok at indent; key, if not empty,
// is its mapping key ("name:").
func (y *refYAMLPrinter) value(tok json.Token, indent int, key string) error {
	d, ok := tok.(json.Delim)
	if !ok {
		y.start(indent)
		if key != "" {
			y.out.WriteString(key + " ")
		}
		y.out.WriteString(refScalar(tok) + "\n")
		return nil
	}
	first, err := y.dec.Token()
	if err != nil {
		return err
	}
	if end, ok := first.(json.Delim); ok && (end == '}' || end == ']') {
		y.start(indent)
		if key != "" {
			y.out.WriteString(key + " ")
		}
		y.out.WriteString(map[json.Delim]string{'{': "{}", '[': "[]"}[d] + "\n")
		return nil
	}
	inner := indent
	if key != "" {
		y.start(indent)
		y.out.WriteString(key + "\n")
		inner = indent + 2
	}
	if d == '{' {
		return y.mapping(first, inner)
	}
	return y.sequence(first, inner)
}

// mapping prints a mapping's entries at indent, from its first key token.
func (y *refYAMLPrinter) mapping(tok json.Token, indent int) error {
	for {
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil
		}
		k, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key %v", tok)
		}
		v, err := y.dec.Token()
		if err != nil {
			return err
		}
		if err := y.value(v, indent, refScalar(k)+":"); err != nil {
			return err
		}
		if tok, err = y.dec.Token(); err != nil {
			return err
		}
	}
}

// sequence prints a list's items at indent, from its first element token.
func (y *refYAMLPrinter) sequence(tok json.Token, indent int) error {
	for {
		if d, ok := tok.(json.Delim); ok && d == ']' {
			return nil
		}
		if y.pending != "" {
			y.pending += "- " // a list as a list's first item: "- - x"
		} else {
			y.pending = strings.Repeat(" ", indent) + "- "
		}
		if err := y.value(tok, indent+2, ""); err != nil {
			return err
		}
		var err error
		if tok, err = y.dec.Token(); err != nil {
			return err
		}
	}
}

// scalar prints a JSON scalar as YAML.
func refScalar(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return v.String()
	case string:
		if refSimpleWord.MatchString(v) && !refYAMLReserved[strings.ToLower(v)] {
			return v
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // a string always encodes
		return strings.TrimSuffix(b.String(), "\n")
	}
	return fmt.Sprint(tok)
}

// refSimpleWord is a string YAML reads as itself when plain.
var refSimpleWord = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._/-]*$`)

// refYAMLReserved are plain words YAML 1.1 or 1.2 reads as booleans or null.
var refYAMLReserved = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "true": true,
	"false": true, "on": true, "off": true, "null": true}

// TestToYAMLMatchesReference: toYAML prints every fixture's bootstrap
// and documents full of escapes byte for byte as the token printer it
// replaced did.
func TestToYAMLMatchesReference(t *testing.T) {
	docs := []string{
		`{"a":"yes","b":"No","c":"on","d":"null","e":"true","f":"y","g":"1","h":"-x","i":":method","j":"@type"}`,
		`{"s":"line\nbreak \"q\" \\ \t \u0001 \u2028 \u2029 é %REQ(x)% #c <&>","k y":1,"":"empty key","\u00e9":"\u0041b"}`,
		`{"l":[[1,2],[],[{"a":[]}],{}],"m":{"n":{"o":[{"p":1,"q":[{"r":null}]},"s"]}},"e":{},"f":[],"b":false,"n":-1.5e3}`,
		"[{\"a\":1,\"b\":[1,{\"c\":2}]},[[\"x\"]],\"y\", \"\u2028\", \"a\\/b\", \"\\u007f\", \"\\ud83d\\ude00\"]",
	}
	paths, err := filepath.Glob("testdata/*.ir.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		bs, err := newEmitter(golden.ReadIR(t, path)).bootstrap()
		if err != nil {
			t.Fatal(err)
		}
		compact, err := marshalCompact(bs)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(compact))
	}
	for _, doc := range docs {
		got, err := toYAML([]byte(doc))
		if err != nil {
			t.Fatalf("%.80s: %v", doc, err)
		}
		want, err := refToYAML([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%.80s: toYAML differs from the reference:\n%s\n---\n%s", doc, got, want)
		}
	}
}
