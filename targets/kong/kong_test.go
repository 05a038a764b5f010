package kong_test

import (
	"context"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

// TestGolden builds each testdata/*.ir.yaml fixture, compares kong.yaml
// with testdata/<name>.golden.yaml, and validates it against Kong's
// published decK and plugin schemas.
func TestGolden(t *testing.T) {
	golden.Run(t, "yaml", func(t *testing.T, p *ir.Policy) []byte { return artifact(t, p, kong.DeckFile) },
		func(t *testing.T, fixture string) {
			validateSchemas(t, artifact(t, golden.ReadIR(t, fixture), kong.DeckFile))
		})
}

// TestGoldenConf compares each fixture's kong.conf with
// testdata/<name>.golden.conf.
func TestGoldenConf(t *testing.T) {
	golden.Run(t, "conf", func(t *testing.T, p *ir.Policy) []byte { return artifact(t, p, kong.ConfFile) }, nil)
}

// artifact builds p and returns the named artifact.
func artifact(t *testing.T, p *ir.Policy, name string) []byte {
	t.Helper()
	arts, err := kong.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 {
		t.Fatalf("got %d artifacts, want 2", len(arts))
	}
	for _, a := range arts {
		if a.Path == name {
			return a.Data
		}
	}
	t.Fatalf("no artifact %s", name)
	return nil
}
