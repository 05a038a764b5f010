package nginx_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/nginx"
)

var update = flag.Bool("update", os.Getenv("RAMPART_UPDATE") == "1", "rewrite goldens; deletes stale ones")

// TestGolden builds each testdata/*.ir.yaml fixture, compares nginx.conf
// with testdata/<name>.golden.conf, and runs nginx -t on a build of the
// same IR whose files point at throwaway certificates. With -update,
// goldens are rewritten and goldens without a fixture are deleted.
func TestGolden(t *testing.T) {
	fixtures, _ := filepath.Glob("testdata/*.ir.yaml")
	if len(fixtures) == 0 {
		t.Fatal("no IR fixtures")
	}
	want := map[string]bool{}
	for _, f := range fixtures {
		name := strings.TrimSuffix(filepath.Base(f), ".ir.yaml")
		golden := filepath.Join("testdata", name+".golden.conf")
		want[golden] = true
		t.Run(name, func(t *testing.T) {
			data := build(t, readIR(t, f))
			again := build(t, readIR(t, f))
			if string(data) != string(again) {
				t.Fatal("two builds differ")
			}
			if *update {
				if err := os.WriteFile(golden, data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if g, err := os.ReadFile(golden); err != nil {
				t.Fatal(err)
			} else if diff := cmp.Diff(string(g), string(data)); diff != "" {
				t.Errorf("golden mismatch (-want +got):\n%s", diff)
			}
			nginxTest(t, readIR(t, f))
		})
	}
	if *update {
		all, _ := filepath.Glob("testdata/*.golden.conf")
		for _, g := range all {
			if !want[g] {
				os.Remove(g)
			}
		}
	}
}

// build runs the target and returns nginx.conf.
func build(t *testing.T, p *ir.Policy) []byte {
	t.Helper()
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Path != nginx.ConfigFile {
		t.Fatalf("got %d artifacts, want one %s", len(arts), nginx.ConfigFile)
	}
	return arts[0].Data
}

func readIR(t *testing.T, path string) *ir.Policy {
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
