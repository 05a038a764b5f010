package envoy_test

import (
	"context"
	"testing"

	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// BenchmarkBuild1000 times the envoy target's Build (bootstrap, both
// encodings, and the verification that parses both back) of a
// 1,000-route generated policy; compiling the policy is setup.
func BenchmarkBuild1000(b *testing.B) {
	p := drifttest.Policy(b, 1000, "envoy")
	b.ResetTimer()
	for range b.N {
		arts, err := envoy.New().Build(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(arts[0].Data)))
	}
}
