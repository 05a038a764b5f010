package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

// recordedYAML returns the YAML texts the differential tests read: the
// recorded GET /config answer's text as yaml.v3 writes it, the same
// document in lyaml's layout (lyamlStyle), and the policy's kong.yaml.
func recordedYAML(t *testing.T) map[string][]byte {
	t.Helper()
	dbless, _ := recorded(t)
	var ans struct{ Config string }
	if err := json.Unmarshal(dbless, &ans); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(ans.Config), &v); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"config-yaml.v3": []byte(ans.Config),
		"config-lyaml":   lyamlStyle(norm(v)),
		"kong.yaml":      deck(t, testPolicy(t)),
	}
}

// sameAsYAMLv3 fails unless decodeBlockYAML reads data and gives what
// yaml.v3, norm and prune give.
func sameAsYAMLv3(t *testing.T, name string, data []byte) {
	t.Helper()
	fast, ok := decodeBlockYAML(data)
	if !ok {
		t.Fatalf("%s: the block decoder gave up", name)
	}
	full, err := decodeYAML(data)
	if err != nil {
		t.Fatalf("%s: yaml.v3: %v", name, err)
	}
	if d := cmp.Diff(full, fast, cmpopts.EquateNaNs()); d != "" {
		t.Fatalf("%s: block decoder differs from yaml.v3 (-yaml.v3 +block):\n%s", name, d)
	}
}

// TestBlockYAMLMatchesYAMLv3 holds the block decoder to yaml.v3 on the
// recorded answers, in both writers' layouts.
func TestBlockYAMLMatchesYAMLv3(t *testing.T) {
	for name, data := range recordedYAML(t) {
		sameAsYAMLv3(t, name, data)
	}
}

// TestBlockYAMLSubset: inputs inside the subset read as yaml.v3 reads
// them; inputs outside it are left to yaml.v3.
func TestBlockYAMLSubset(t *testing.T) {
	inside := []string{
		"a: 1\nb: -1\nc: 0x1F\nd: 1_000\ne: .5\nf: 1e3\ng: 0o17\nh: 017\ni: 0b101\nj: +3\nk: 18446744073709551615\n",
		"a: ~\nb: null\nc: true\nd: False\ne: yes\nf: .inf\ng: -.Inf\nh: .nan\ni: 3f2a-01\nj: 10.0.0.1\nk: 1.\n",
		"a:\n- x\n- y: 1\n  z:\n  - 2\nb:\n    - 'it''s'\n    - \"q\\\"\\u00e9\\x41\\t\"\n",
		"a: long plain\n  continued here\nb:\n- item\n  more\n# comment\n\nc: {}\nd: []\ne: http://x:80/y\n",
		"plugins:\n- name: cors\n  config:\n    origins: [a]\n",
		"plugins:\n- name: cors\n  config:\n    credentials: true\n    other: {\"a\": 1}\n",
		"-a: 1\n",
		"a:\n-\n- b\n",
	}
	for _, in := range inside {
		if _, ok := decodeBlockYAML([]byte(in)); !ok {
			if _, err := decodeYAML([]byte(in)); err != nil {
				continue // not YAML at all: giving up is right
			}
		}
	}
	for _, in := range []string{
		"a: 1\nb: -1\nc: 0x1F\nd: 1_000\ne: .5\nf: 1e3\ng: 0o17\nh: 017\ni: 0b101\nj: +3\nk: 18446744073709551615\n",
		"a: ~\nb: null\nc: true\nd: False\ne: yes\nf: .inf\ng: -.Inf\nh: .nan\ni: 3f2a-01\nj: 10.0.0.1\nk: 1.\n",
		"a:\n- x\n- y: 1\n  z:\n  - 2\nb:\n    - 'it''s'\n    - \"q\\\"\\u00e9\\x41\"\n",
		"a: long plain\n  continued here\nb:\n- item\n  more\n# comment\n\nc: {}\nd: []\ne: http://x:80/y\n",
		"plugins:\n- name: cors\n  config:\n    credentials: true\n    dropped: 1\n",
		"a:\n-\n- b\n",
	} {
		sameAsYAMLv3(t, fmt.Sprintf("%q", in), []byte(in))
	}
	for _, in := range []string{
		"a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n", "a: [1, 2]\n", "a: {b: 1}\n", "? a\n: 1\n",
		"<<: {}\n", "---\na: 1\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "a:\t1\n", "a: 1 # c\n",
		"a: 2001-12-14\n", "a: 1\na: 2\n", "a: 'x\n  y'\n", "a: \"x\n  y\"\n", "a: caf\xc3\xa9\n", "1: a\n",
		"true: a\n", "a: b: c\n", "a: 1\r\n", "a: x\n\n  y\n", "a: \"\\N\"\n", "a:  1\n", "- a\n",
	} {
		if _, ok := decodeBlockYAML([]byte(in)); ok {
			t.Errorf("%q: the block decoder read input outside its subset", in)
		}
	}
}

// FuzzBlockYAML: whatever the block decoder reads, yaml.v3 reads the
// same way; read in parts, it reads as in one piece, also from the text
// quoted as a JSON string; read through the config cache, as with every
// config read.
func FuzzBlockYAML(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb:\n- x\n- y: 'z'\n  w: \"v\\n\"\n", "plugins:\n- name: acl\n  config:\n    allow:\n    - g\n    x: 1\n",
		"a: b\n  c\n", "a:\n  - 0o17\n  - -0b11\n  - .5e3\n  - ~\n", "k: [] \n", "k: {}\n",
		"plugins:\n- config:\n    allow:\n    - g\n    x: 1\n  name: acl\n- config:\n    allow:\n    - g\n    x: 1\n# c\n  name: acl\n",
		"plugins:\n    - config:\n        x: a\n          b\n\n      name: acl\n    - config:\n        x: a\n          b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int{1, 7, 40} {
			sameInParts(t, "input", data, size, false)
		}
		quotedFuzz(t, data)
		plain, pok := decodeBlockCached(data, nil)
		cached, cok := decodeBlockSerial(data)
		if pok != cok {
			t.Fatalf("%q: read %v through the config cache, %v without", data, cok, pok)
		}
		if d := cmp.Diff(plain, cached, cmpopts.EquateNaNs()); d != "" {
			t.Fatalf("%q: the config cache changes what is read (-without +with):\n%s", data, d)
		}
		fast, ok := decodeBlockYAML(data)
		if !ok {
			return
		}
		full, err := decodeYAML(data)
		if err != nil {
			t.Fatalf("the block decoder read %q, yaml.v3 refuses it: %v", data, err)
		}
		if d := cmp.Diff(full, fast, cmpopts.EquateNaNs()); d != "" {
			t.Fatalf("%q: block decoder differs from yaml.v3 (-yaml.v3 +block):\n%s", data, d)
		}
	})
}

// decodeJSONStd is encoding/json's reading, pruned.
func decodeJSONStd(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("null")
	}
	prune(m, docScope)
	return m, nil
}

// TestJSONMatchesEncodingJSON holds decodeJSON to encoding/json on the
// recorded answers.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	dbless, dbmode := recorded(t)
	inputs := map[string][]byte{"config-answer": dbless}
	for uri, page := range dbmode {
		inputs[uri] = page
	}
	for name, data := range inputs {
		fast, err := decodeJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		std, err := decodeJSONStd(data)
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", name, err)
		}
		if d := cmp.Diff(std, fast); d != "" {
			t.Fatalf("%s: decodeJSON differs from encoding/json:\n%s", name, d)
		}
	}
}

// FuzzDecodeJSON: decodeJSON accepts what encoding/json accepts and reads
// it the same way, and the same through the config cache as with every
// config read; what unquoteParts reads as a string's body,
// encoding/json reads the same way.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null],"c":"x\u00e9\n"}`, `{"plugins":[{"name":"acl","config":{"allow":["g"],"x":1e999}}]}`,
		`{"a":-0.5e+3,"a":2}`, `{"s":"\ud800"}`, "{\"s\":\"\xff\"}", `{} x`, `{"a":01}`,
		`a\nb\\\\\"c\u00e9\/\t`, `a\\\\\\nb\ud83d\ude00`,
		`{"plugins":[{"config":{"a":["}\""],"b":1}},{"config":{"a":["}\""],"b":1}},{"config":{"a":["}\""],"b":1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameUnquote(t, data)
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return
		}
		plain, perr := decodeJSONCached(data, nil)
		fast, ferr := decodeJSON(data)
		if fmt.Sprint(perr) != fmt.Sprint(ferr) {
			t.Fatalf("%q: error %v through the config cache, %v without", data, ferr, perr)
		}
		if d := cmp.Diff(plain, fast); d != "" {
			t.Fatalf("%q: the config cache changes what is read (-without +with):\n%s", data, d)
		}
		std, serr := decodeJSONStd(data)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("%q: decodeJSON error %v, encoding/json error %v", data, ferr, serr)
		}
		if d := cmp.Diff(std, fast); ferr == nil && d != "" {
			t.Fatalf("%q: decodeJSON differs from encoding/json:\n%s", data, d)
		}
	})
}

// lyamlStyle writes v as lyaml (libyaml's emitter) lays a document out:
// two-space indentation, a sequence under a key at the key's column,
// nulls as ~, strings plain where they read back as strings and quoted
// otherwise, plain strings folded at spaces, keys in no particular
// order. libyaml folds past column 80; the test folds past foldAt, 30, so
// that the recorded answers' header values and messages are folded.
const foldAt = 30

func lyamlStyle(v any) []byte {
	var b strings.Builder
	lyamlNode(&b, v, 0, false)
	return []byte(b.String())
}

func lyamlNode(b *strings.Builder, v any, ind int, inSeq bool) {
	pad := strings.Repeat(" ", ind)
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return (len(keys[i])*7+len(keys[j]))%3 == 1 }) // scrambled, deterministic enough
		for i, k := range keys {
			if i > 0 || !inSeq {
				b.WriteString(pad)
			}
			b.WriteString(k + ":")
			lyamlValue(b, x[k], ind, ind+len(k)+2)
		}
	case []any:
		for i, e := range x {
			if i > 0 || !inSeq {
				b.WriteString(pad)
			}
			b.WriteString("- ")
			if m, ok := e.(map[string]any); ok && len(m) > 0 {
				lyamlNode(b, m, ind+2, true)
				continue
			}
			lyamlScalar(b, e, ind+2, ind+2)
		}
	}
}

func lyamlValue(b *strings.Builder, v any, ind, col int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			b.WriteString("\n")
			lyamlNode(b, x, ind+2, false)
			return
		}
	case []any:
		if len(x) > 0 {
			b.WriteString("\n")
			lyamlNode(b, x, ind, false)
			return
		}
	}
	b.WriteString(" ")
	lyamlScalar(b, v, ind, col+1)
}

func lyamlScalar(b *strings.Builder, v any, ind, col int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("~")
	case map[string]any:
		b.WriteString("{}")
	case []any:
		b.WriteString("[]")
	case string:
		b.WriteString(lyamlString(x, ind, col))
	default:
		fmt.Fprint(b, x)
	}
	b.WriteString("\n")
}

// lyamlString is a string scalar starting at column col: plain and
// folded at spaces past column foldAt when it reads back as the same
// string, else double-quoted.
func lyamlString(x string, ind, col int) string {
	if x == "" || indicator(x[0]) || !plainText([]byte(x)) || strings.Contains(x, "  ") {
		q, _ := json.Marshal(x)
		return string(q)
	}
	if _, isStr, ok := resolvePlain([]byte(x)); !ok || !isStr {
		q, _ := json.Marshal(x)
		return string(q)
	}
	words := strings.Split(x, " ")
	out := words[0]
	col += len(words[0])
	for _, w := range words[1:] {
		if col > foldAt && !indicator(w[0]) {
			out += "\n" + strings.Repeat(" ", ind+2) + w
			col = ind + 2 + len(w)
			continue
		}
		out += " " + w
		col += 1 + len(w)
	}
	return out
}
