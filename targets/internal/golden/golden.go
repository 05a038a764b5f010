// Package golden is the targets' shared golden-file harness: each
// testdata/<name>.ir.yaml IR fixture is built and compared with
// testdata/<name>.golden.<ext>; -update (or RAMPART_UPDATE=1) rewrites the
// goldens and deletes the ones whose fixture is gone. Test code only.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler/ir"
)

var update = flag.Bool("update", os.Getenv("RAMPART_UPDATE") == "1", "rewrite goldens; deletes stale ones")

// ReadIR decodes an IR fixture.
func ReadIR(t testing.TB, path string) *ir.Policy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p ir.Policy
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// Run builds every fixture in testdata twice (the builds must be
// byte-identical), compares with its golden, then calls check, if not
// nil, with the fixture's path for target-specific checks.
func Run(t *testing.T, ext string, build func(*testing.T, *ir.Policy) []byte, check func(t *testing.T, fixture string)) {
	fixtures, _ := filepath.Glob("testdata/*.ir.yaml")
	if len(fixtures) == 0 {
		t.Fatal("no IR fixtures")
	}
	want := map[string]bool{}
	for _, f := range fixtures {
		name := strings.TrimSuffix(filepath.Base(f), ".ir.yaml")
		file := filepath.Join("testdata", name+".golden."+ext)
		want[file] = true
		t.Run(name, func(t *testing.T) {
			data := build(t, ReadIR(t, f))
			if again := build(t, ReadIR(t, f)); string(again) != string(data) {
				t.Fatal("two builds differ")
			}
			compare(t, file, data)
			if check != nil {
				check(t, f)
			}
		})
	}
	if *update {
		all, _ := filepath.Glob("testdata/*.golden." + ext)
		for _, g := range all {
			if !want[g] {
				os.Remove(g)
			}
		}
	}
}

// compare checks data against the golden file, or rewrites it.
func compare(t *testing.T, file string, data []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	g, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(g), string(data)); diff != "" {
		t.Errorf("golden mismatch (-want +got):\n%s", diff)
	}
}
