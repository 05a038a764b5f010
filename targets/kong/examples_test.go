package kong_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/internal/exampletest"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/kong"
)

// TestExamplesValidate compiles every shipped example for Kong (each
// sets edition "enterprise" and waives, in targets.cue, what Kong cannot
// do) and validates kong.yaml against Kong's published schemas (`make
// demo` runs it).
func TestExamplesValidate(t *testing.T) {
	for _, d := range exampletest.Dirs(t) {
		t.Run(filepath.Base(d), func(t *testing.T) {
			p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: d}, compiler.Options{})
			if err != nil || diags.HasErrors() {
				t.Fatalf("compile: %v\n%v", err, diags)
			}
			if ds := targets.Check(kong.New(), p); ds.HasErrors() {
				t.Fatalf("Check: %v", ds)
			}
			validateSchemas(t, artifact(t, p, kong.DeckFile))
		})
	}
}
