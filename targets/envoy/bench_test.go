package envoy_test

import (
	"context"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// BenchmarkBuild1000 times the envoy target's Build (bootstrap, both
// encodings, and the verification that parses both back) of a
// 1,000-route generated policy; compiling the policy is setup.
func BenchmarkBuild1000(b *testing.B) { benchBuild(b, 1000) }

// BenchmarkBuild5000 is BenchmarkBuild1000 at 5,000 routes, the size
// `rampart drift` is measured at (its policy side is this Build).
func BenchmarkBuild5000(b *testing.B) { benchBuild(b, 5000) }

// benchBuild times Build of a generated policy of routes routes
// (drifttest.BenchBuild).
func benchBuild(b *testing.B, routes int) {
	drifttest.BenchBuild(b, routes, "envoy", func(p *ir.Policy) (int, error) {
		arts, err := envoy.New().Build(context.Background(), p)
		if err != nil {
			return 0, err
		}
		return len(arts[0].Data), nil
	})
}
