package kong

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// samePrint requires printYAML to print tree as yaml.v3 does, or to
// leave it to yaml.v3; it reports whether printYAML took it.
func samePrint(t *testing.T, tree any) bool {
	t.Helper()
	got, ok := printYAML(tree)
	want, err := yamlV3(tree)
	switch {
	case !ok:
		return false
	case err != nil:
		t.Fatalf("printYAML prints what yaml.v3 refuses (%v):\n%s", err, got)
	case !bytes.Equal(got, want):
		t.Fatalf("printYAML:\n%s\nyaml.v3:\n%s", got, want)
	}
	return true
}

// fileTree is the generic form of the decK file Build writes for p.
func fileTree(t *testing.T, p *ir.Policy) any {
	t.Helper()
	f, err := newEmitter(p).file()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := generic(data)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestPrintYAMLMatchesYAMLv3: printYAML prints the golden fixtures' and a
// generated policy's decK files, and tricky documents, as yaml.v3 does.
func TestPrintYAMLMatchesYAMLv3(t *testing.T) {
	for _, name := range []string{"oss", "enterprise"} {
		if !samePrint(t, fileTree(t, golden.ReadIR(t, filepath.Join("testdata", name+".ir.yaml")))) {
			t.Errorf("%s: printYAML leaves the golden fixture to yaml.v3", name)
		}
	}
	if !samePrint(t, fileTree(t, drifttest.Trim(drifttest.Policy(t, 60, "kong"), 2))) {
		t.Error("printYAML leaves the generated policy to yaml.v3")
	}
	for _, doc := range printDocs {
		if !samePrint(t, jsonTree(t, []byte(doc))) {
			t.Errorf("printYAML leaves %s to yaml.v3", doc)
		}
	}
}

// printDocs are documents printYAML prints, with every kind of string
// yaml.v3 escapes.
var printDocs = []string{
	`{"a":{"b":[{"c":[],"d":{}},{},[],"x",1,-2,true,false,null],"e":{"f":{"g":"h"}}},"":"","z":[{"y":[{"x":"w"}]}]}`,
	`{"s":"\u0000\u0007\b\t\n\u000b\f\r\u001b\"\\ \u007f\u0080\u0085\u009f\u00a0é\u2028\u2029\ud7ff\ue000\ufeff\ufffd\ufffe\uffff😀 x$y ${{ env }}"}`,
	`{"ключ":"значение","k:v":"a: b","# c":"- d","&a":"*b","[":"]","'":"'","key with spaces":" lead and trail "}`,
	`{"` + strings.Repeat("k", 128) + `":"` + strings.Repeat("v", 4096) + `"}`,
}

// TestPrintYAMLLeaves: what yaml.v3 writes differently (complex keys, a
// leading byte-order mark) or what is not a decK file's shape is left
// to yaml.v3.
func TestPrintYAMLLeaves(t *testing.T) {
	for _, doc := range []string{
		`{"` + strings.Repeat("k", 129) + `":1}`, `{"a\nb":1}`, `{"a\u2028b":1}`, `{"a\u0085":1}`,
		`{"a":"\ufeffb"}`, `{"\ufeff":1}`, `{"a":[[1]]}`, `{}`, `[1]`, `"s"`, `{"a":1.5}`,
	} {
		if samePrint(t, jsonTree(t, []byte(doc))) {
			t.Errorf("printYAML prints %s", doc)
		}
	}
	if samePrint(t, map[string]any{"a": "\xff"}) {
		t.Error("printYAML prints invalid UTF-8")
	}
}

// jsonTree decodes a JSON document as generic does.
func jsonTree(t testing.TB, data []byte) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return v
}

// FuzzPrintYAML: printYAML prints any JSON document, and a document made
// of any string as keys and values, as yaml.v3 does, or leaves it to
// yaml.v3.
func FuzzPrintYAML(f *testing.F) {
	for _, doc := range printDocs {
		f.Add([]byte(doc), "x")
	}
	f.Add([]byte(`{"a":[{"b":1}]}`), "\x00\t\n\u0085\u00a0\ufeff\U0001F600\"\\")
	f.Fuzz(func(t *testing.T, doc []byte, s string) {
		samePrint(t, map[string]any{"k": s, s: []any{s, map[string]any{s: s, "k": []any{}}}, s + "x": map[string]any{}})
		samePrint(t, map[string]any{s + "\n": s})
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			samePrint(t, v)
		}
	})
}
