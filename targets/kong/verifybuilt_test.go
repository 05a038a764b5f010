package kong

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// builtDeck encodes the decK file of p and returns it with the file's
// JSON.
func builtDeck(t *testing.T, p *ir.Policy) (fileJSON, deck []byte) {
	t.Helper()
	f, err := newEmitter(p).file()
	if err != nil {
		t.Fatal(err)
	}
	if fileJSON, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if deck, err = encodeJSON(fileJSON); err != nil {
		t.Fatal(err)
	}
	return fileJSON, deck
}

// TestDecodeEqualsBuilt: the golden fixtures' and a generated policy's
// kong.yaml decode to a File with the JSON of the one encoded, so Build
// skips the re-encoding (sameEncoding).
func TestDecodeEqualsBuilt(t *testing.T) {
	policies := map[string]*ir.Policy{"generated": drifttest.Trim(drifttest.Policy(t, 60, "kong"), 2)}
	for _, name := range []string{"oss", "enterprise"} {
		policies[name] = golden.ReadIR(t, filepath.Join("testdata", name+".ir.yaml"))
	}
	for name, p := range policies {
		built, deck := builtDeck(t, p)
		f, err := Decode(deck)
		if err != nil {
			t.Fatal(err)
		}
		if j, err := json.Marshal(f); err != nil || string(j) != string(built) {
			t.Errorf("%s: kong.yaml decodes to a File with other JSON than the one encoded (%v)", name, err)
		}
		if err := sameEncoding(f, built, deck); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSameEncodingRefuses: a decoded file that is not the built one
// fails, whether it is compared with the built file's JSON or encoded;
// the built file's JSON standing for another file does not make it pass.
func TestSameEncodingRefuses(t *testing.T) {
	built, deck := builtDeck(t, golden.ReadIR(t, "testdata/oss.ir.yaml"))
	other, err := Decode([]byte(strings.Replace(string(deck), `"name": "orders"`, `"name": "orders2"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"with the built JSON": built, "encoded": nil} {
		if err := sameEncoding(other, b, deck); err == nil {
			t.Errorf("%s: a different file passes", name)
		}
	}
	same, err := Decode(deck)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameEncoding(same, []byte(`{"_format_version":"3.0"}`), deck); err != nil {
		t.Fatalf("the same file fails when the JSON given is another's: %v", err)
	}
}
