package envoy_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/exampletest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestGolden builds each testdata/*.ir.yaml fixture twice (byte-identical),
// compares envoy.yaml with testdata/<name>.golden.yaml, and checks every
// fact the issue lists on both artifacts, parsed independently.
func TestGolden(t *testing.T) {
	golden.Run(t, "yaml", func(t *testing.T, p *ir.Policy) []byte {
		_, y := buildBoth(t, p)
		return y
	}, func(t *testing.T, fixture string) {
		p := golden.ReadIR(t, fixture)
		for _, bs := range parseAll(t, p) {
			checkFacts(t, p, bs)
		}
	})
}

// TestExamples compiles every shipped example, builds it for Envoy twice
// (byte-identical) and checks every fact on both artifacts.
func TestExamples(t *testing.T) {
	for _, d := range examples(t) {
		t.Run(filepath.Base(d), func(t *testing.T) {
			p := compileDir(t, d)
			j1, y1 := buildBoth(t, p)
			j2, y2 := buildBoth(t, compileDir(t, d))
			if string(j1) != string(j2) || string(y1) != string(y2) {
				t.Fatal("two builds of the example differ")
			}
			for _, bs := range parseAll(t, p) {
				checkFacts(t, p, bs)
			}
		})
	}
}

// examples lists the shipped example policies (at least three).
func examples(t *testing.T) []string { return exampletest.Dirs(t) }

func compileDir(t testing.TB, dir string) *ir.Policy {
	t.Helper()
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile %s: %v\n%v", dir, err, diags)
	}
	return p
}
