package envoy

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestToYAMLReadsBack prints JSON documents with the shapes and strings
// that trip block YAML (reserved words, quotes, escapes, nested and empty
// collections) and requires a YAML parser to read back the same data.
func TestToYAMLReadsBack(t *testing.T) {
	for _, doc := range []string{
		`{"a":"yes","b":"No","c":"on","d":"null","e":"true","f":"y","g":"1","h":"-x","i":":method","j":"@type"}`,
		`{"s":"line\nbreak \"q\" \\ \t \u0001 \u2028 é %REQ(x)% #c","k y":1,"":"empty key"}`,
		`{"l":[[1,2],[],[{"a":[]}],{}],"m":{"n":{"o":[{"p":1,"q":[{"r":null}]},"s"]}},"e":{},"f":[],"b":false,"n":-1.5e3}`,
		`[{"a":1,"b":[1,{"c":2}]},[["x"]],"y"]`,
	} {
		out, err := toYAML([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		var want, got any
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: YAML does not parse: %v\n%s", doc, err, out)
		}
		// yaml.v3 reads numbers as int or float64; compare through JSON.
		gotJSON, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var gotBack any
		if err := json.Unmarshal(gotJSON, &gotBack); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, gotBack); d != "" {
			t.Errorf("%s read back differently (-json +yaml):\n%s\n%s", doc, d, out)
		}
	}
}

// TestToYAMLQuotesReserved: words YAML 1.1 parsers (not yaml.v3) read as
// booleans or null stay quoted, so every parser reads them as strings.
func TestToYAMLQuotesReserved(t *testing.T) {
	for _, w := range []string{"y", "N", "yes", "No", "true", "FALSE", "on", "Off", "null"} {
		out, err := toYAML([]byte(`{"k":"` + w + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "k: \"" + w + "\"\n"; string(out) != want {
			t.Errorf("%s printed as %q, want %q", w, out, want)
		}
	}
}
