package envoy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-policy/rampart/targets/internal/golden"
	"testing"

	"gopkg.in/yaml.v3"
)

// subsetDocs are JSON documents in the shapes toYAML prints, with the
// strings that need quoting or escaping, as protojson would write them
// (compact, its escapes).
var subsetDocs = []string{
	`{"a":"yes","b":"No","c":"on","d":"null","e":"true","f":"y","g":"1","h":"-x","i":":method","j":"@type"}`,
	`{"s":"line\nbreak \"q\" \\ \t \u0001 \u001f é %REQ(x)% #c","k y":1,"":"empty key","t":"` + "\u2028\u2029" + `"}`,
	`{"l":[[1,2],[],[{"a":[]}],{}],"m":{"n":{"o":[{"p":1,"q":[{"r":null}]},"s"]}},"e":{},"f":[],"b":false,"n":-15}`,
	`[{"a":1,"b":[1,{"c":2}]},[["x"]],"y",[[[]]],-1,0,true]`,
	`{"w":"a.b/c-d_e","x":"_","n":123456789012345678,"z":"日本` + "\u00a0\U0001F600\ufffd" + `"}`,
}

// readSubset runs yamlSubsetJSON into a buffer.
func readSubset(y []byte) ([]byte, bool) {
	s := &jsonSink{}
	ok := yamlSubsetJSON(y, s)
	return s.buf, ok
}

// checkSubset: when yamlSubsetJSON reads y, yaml.v3 reads y as the same
// document (or refuses it, exactly when a mapping repeats a key).
func checkSubset(t *testing.T, y []byte) (out []byte, ok bool) {
	t.Helper()
	out, ok = readSubset(y)
	if !ok {
		return nil, false
	}
	if !json.Valid(out) {
		t.Fatalf("the subset reader wrote invalid JSON %q for %q", out, y)
	}
	var v any
	err := yaml.Unmarshal(y, &v)
	if dup := repeatsKey(t, out); dup != (err != nil) {
		t.Fatalf("yaml.v3 error %v, but repeated key %v, for %q (subset reader: %q)", err, dup, y, out)
	}
	if err != nil {
		return out, true
	}
	fromYAML, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("yaml.v3's document of %q as JSON: %v", y, err)
	}
	if a, b := normalJSON(t, fromYAML), normalJSON(t, out); a != b {
		t.Fatalf("yaml.v3 reads %q as\n%s\nthe subset reader as\n%s", y, a, b)
	}
	return out, true
}

// normalJSON re-encodes a JSON document with sorted keys and numbers as
// written.
func normalJSON(t *testing.T, data []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// repeatsKey reports whether any object in the JSON document repeats a
// key.
func repeatsKey(t *testing.T, data []byte) bool {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			seen, dup := map[string]bool{}, false
			for dec.More() {
				k, _ := dec.Token()
				dup = dup || seen[k.(string)]
				seen[k.(string)] = true
				dup = walk() || dup
			}
			dec.Token()
			return dup
		case json.Delim('['):
			dup := false
			for dec.More() {
				dup = walk() || dup
			}
			dec.Token()
			return dup
		}
		return false
	}
	return walk()
}

// TestYAMLSubsetReadsPrinted: what toYAML prints from protojson-style
// compact JSON is in the subset, reads back as exactly that JSON, and
// yaml.v3 reads it as the same document.
func TestYAMLSubsetReadsPrinted(t *testing.T) {
	for _, doc := range subsetDocs {
		y, err := toYAML([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		out, ok := checkSubset(t, y)
		if !ok || string(out) != doc {
			t.Errorf("toYAML's\n%s\nreads as %q (in the subset: %v), want %s", y, out, ok, doc)
		}
		if !sameDocument(y, []byte(doc)) {
			t.Errorf("sameDocument is false for toYAML's own output of %s", doc)
		}
	}
}

// TestYAMLSubsetGoldens: every golden envoy.yaml is in the subset and is
// the document of the bootstrap it parses to, so Build takes the fast
// path for each.
func TestYAMLSubsetGoldens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.golden.yaml"))
	if len(files) == 0 {
		t.Fatal("no goldens")
	}
	for _, f := range files {
		y, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := Parse(y)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		compact, err := marshalCompact(bs)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := checkSubset(t, y); !ok || !sameDocument(y, compact) {
			t.Errorf("%s: not read by the subset reader as its bootstrap (in the subset: %v)", f, ok)
		}
		if err := verifyYAML(y, compact); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestYAMLSubsetRefuses: YAML outside the subset, much of which yaml.v3
// reads as something else than the subset's reading would be, is left
// to yaml.v3.
func TestYAMLSubsetRefuses(t *testing.T) {
	for _, y := range []string{
		"", "{}\n", "a: b", "a: b\n\n", "a: b \n", "a: b # c\n", "a: b\n  c\n", "a:\n  b\n",
		"a: yes\n", "a: No\n", "a: ~\n", "a: Null\n", "a: 1.5\n", "a: 0x10\n", "a: 012\n", "a: -0\n",
		"a: 1234567890123456789\n", "a: 1_000\n", "a: .inf\n", "a: 2001-01-01\n",
		"a: \"\\/\"\n", "a: \"\\x41\"\n", "a: \"\\ud83d\"\n", "a: \"\\N\"\n", "a: \"\t\"\n", "a: \"\u0085\"\n",
		"a: \"\u2028\"\n", "a: \"\ufeff\"\n", "a: \"\x7f\"\n", "a: \"\xff\"\n", "a: \"b\n c\"\n",
		"a: 'b'\n", "a: !!str b\n", "a: &x b\nc: *x\n", "a: [b]\n", "a: {b: c}\n", "? a\n: b\n",
		"a:\n- b\n", "a:\n   - b\n", "a:\n  - b\n   - c\n", "- a\n - b\n", "-  a\n", "- - a\n   - b\n",
		"a: b:c\n", "a:b\n", "\"a\":b\n", "a: \"b\": c\n", "a: b\nb:\n", "--- a\n", "a: b\n...\n",
		"a:\tb\n", "a: b\r\n", "1: a\n", "true: a\n", "y: a\n", "a: -\n", "a: - b\n",
		strings.Repeat("a", 1100) + ": b\n", "c:\n  \"" + strings.Repeat("a", 1100) + "\": b\n",
	} {
		if out, ok := checkSubset(t, []byte(y)); ok {
			t.Errorf("%q read as %q; want it left to yaml.v3", y, out)
		}
	}
}

// TestVerifyYAMLFallsBack: a YAML that is not the bootstrap's document
// fails the check, in or out of the subset, with the full check's error.
func TestVerifyYAMLFallsBack(t *testing.T) {
	y, err := os.ReadFile(filepath.Join("testdata", "full.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Parse(y)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := marshalCompact(bs)
	if err != nil {
		t.Fatal(err)
	}
	for name, tamper := range map[string]func(string) string{
		"a changed value, in the subset": func(s string) string {
			return strings.Replace(s, "stat_prefix: ", "stat_prefix: x", 1)
		},
		"a changed value, outside the subset": func(s string) string {
			return strings.Replace(s, "stat_prefix: ", "stat_prefix: 'x'\n#", 1)
		},
		"same document, outside the subset": func(s string) string {
			return strings.Replace(s, "\n", " # comment\n", 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			bad := []byte(tamper(string(y)))
			if string(bad) == string(y) {
				t.Fatal("not tampered")
			}
			if sameDocument(bad, compact) {
				t.Fatal("sameDocument is true for a tampered YAML")
			}
			err := verifyYAML(bad, compact)
			if strings.HasPrefix(name, "same document") {
				if err != nil {
					t.Fatalf("the full check refuses the same document: %v", err)
				}
			} else if err == nil {
				t.Fatal("a tampered YAML passes")
			}
		})
	}
}

// FuzzYAMLSubset: any input the subset reader takes, yaml.v3 reads as the
// same document (checkSubset); and any JSON document toYAML prints, read
// back by the subset reader, is that JSON document.
func FuzzYAMLSubset(f *testing.F) {
	for _, doc := range subsetDocs {
		y, err := toYAML([]byte(doc))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(y)
		f.Add([]byte(doc))
	}
	for _, y := range []string{"a: b\nc:\n  - d\n  - e: 1\n    f: []\n", "- - - x\n    - y\n  - z\n", "a: \"\\u00e9\\\"\"\n"} {
		f.Add([]byte(y))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSubset(t, data)
		if !json.Valid(data) {
			return
		}
		y, err := toYAML(data)
		if err != nil {
			t.Fatalf("toYAML refuses valid JSON %q: %v", data, err)
		}
		if out, ok := checkSubset(t, y); ok && !repeatsKey(t, data) && normalJSON(t, out) != normalJSON(t, data) {
			t.Fatalf("toYAML prints %q as\n%s\nwhich the subset reader reads as %s", data, y, out)
		}
	})
}

// TestLongKeyBuild: a route ID long enough that yaml.v3 refuses it as a
// key of envoy.yaml (jwt_authn's requirement map) makes Build fail, as
// the full check always did, rather than pass the subset reader; a key
// of maxKeyBytes is read as yaml.v3 reads it.
func TestLongKeyBuild(t *testing.T) {
	p := golden.ReadIR(t, "testdata/full.ir.yaml")
	found := false
	for _, s := range p.Services {
		for _, r := range s.Routes {
			if r.ID == "records/read" {
				r.ID, found = "records/"+strings.Repeat("r", 1100), true
			}
		}
	}
	if !found {
		t.Fatal("no route records/read in the fixture")
	}
	if _, err := New().Build(context.Background(), p); err == nil {
		t.Fatal("Build wrote an envoy.yaml whose 1,108-byte key yaml.v3 refuses")
	}
	if _, ok := checkSubset(t, []byte(strings.Repeat("k", maxKeyBytes)+": v\n")); !ok {
		t.Fatal("a key of maxKeyBytes is left to yaml.v3")
	}
}
