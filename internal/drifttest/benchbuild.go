package drifttest

import (
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// BenchBuild times build, a target's Build of a generated policy of
// routes routes for target (Policy), returning the size of the artifact
// to report; compiling the policy is setup. Beside the wall time it
// reports the process's CPU time per Build as cpu-s/op (the machine is
// shared: CPU time moves less with the load).
func BenchBuild(b *testing.B, routes int, target string, build func(*ir.Policy) (int, error)) {
	p := Policy(b, routes, target)
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		n, err := build(p)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(n))
	}
	if cpu > 0 {
		b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	}
}
