package envoy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// refIndent is json.Indent's envoy.json: two spaces, a final line break.
func refIndent(t testing.TB, compact []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// TestIndentJSONMatches: indentJSON writes what json.Indent writes, for
// the subset documents and for every golden's bootstrap.
func TestIndentJSONMatches(t *testing.T) {
	docs := append([]string{`{}`, `[]`, `"s"`, `1`, `{"a":{},"b":[],"c":[{}],"d":"\"{[,:]}\\"}`}, subsetDocs...)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.golden.yaml"))
	for _, f := range files {
		y, err := os.ReadFile(f)
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
		docs = append(docs, string(compact))
	}
	for _, doc := range docs {
		got, err := indentJSON([]byte(doc))
		if err != nil {
			t.Fatalf("%.80s: %v", doc, err)
		}
		if want := refIndent(t, []byte(doc)); !bytes.Equal(got, want) {
			t.Errorf("%.80s: indentJSON writes\n%.400s\njson.Indent\n%.400s", doc, got, want)
		}
		if cap(got) != len(got) {
			t.Errorf("%.80s: sized %d for %d bytes", doc, cap(got), len(got))
		}
	}
}

// TestIndentJSONRefuses: what is not compact JSON's bracket structure is
// an error, never a guess.
func TestIndentJSONRefuses(t *testing.T) {
	for _, doc := range []string{`{"a": 1}`, `{"a":1}}`, `{"a":1`, `"abc`, `[1,2]]`, "{\n}"} {
		if out, err := indentJSON([]byte(doc)); err == nil {
			t.Errorf("%q indented as %q", doc, out)
		}
	}
}

// FuzzIndentJSON: for any JSON document, indentJSON of its compact form
// is json.Indent's.
func FuzzIndentJSON(f *testing.F) {
	for _, doc := range subsetDocs {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`{"a" : [ 1 , {} , [ ] , "x\"y" ] }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var compact bytes.Buffer
		if json.Compact(&compact, data) != nil {
			return
		}
		got, err := indentJSON(compact.Bytes())
		if err != nil {
			t.Fatalf("%q: %v", compact.Bytes(), err)
		}
		if want := refIndent(t, compact.Bytes()); !bytes.Equal(got, want) {
			t.Fatalf("%q: indentJSON writes %q, json.Indent %q", compact.Bytes(), got, want)
		}
	})
}
