package compiler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/gen"
)

// generate writes a policy with n routes into a fresh temporary directory.
func generate(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := gen.Write(dir, gen.Options{Routes: n}); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// text formats diagnostics for a failure message.
func text(l diag.List) string {
	var b strings.Builder
	diag.PrintText(&b, l, true)
	return b.String()
}

func countRoutes(p *ir.Policy) int {
	n := 0
	for _, s := range p.Services {
		n += len(s.Routes)
	}
	return n
}

func TestGeneratedPolicyCompiles(t *testing.T) {
	const n = 50
	dir := generate(t, n)
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatalf("generated policy has errors:\n%s", text(diags))
	}
	if p == nil {
		t.Fatal("no IR")
	}
	if got := countRoutes(p); got != n {
		t.Errorf("IR has %d routes, want %d", got, n)
	}
}

// BenchmarkCompile compiles generated policies of growing size; time and
// allocations per op should grow linearly with the route count.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			dir := generate(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				p, diags, err := compiler.Compile(ctx, compiler.Input{Dir: dir}, compiler.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if diags.HasErrors() || p == nil {
					b.Fatalf("generated policy does not compile:\n%s", text(diags))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/route")
		})
	}
}
