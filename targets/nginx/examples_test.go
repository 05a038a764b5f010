package nginx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
)

// TestExamplesPassNginxT compiles every shipped example and runs a real
// nginx -t on its nginx.conf, with throwaway certificates, a temporary
// log and local upstreams in place of the policy's files and hosts
// (`make demo` runs it).
func TestExamplesPassNginxT(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	n := 0
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		if cue, _ := filepath.Glob(filepath.Join(d, "*.cue")); len(cue) == 0 {
			continue // examples/ci holds CI set-up, not a policy
		}
		n++
		t.Run(filepath.Base(d), func(t *testing.T) {
			p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: d}, compiler.Options{})
			if err != nil || diags.HasErrors() {
				t.Fatalf("compile: %v\n%v", err, diags)
			}
			nginxTest(t, p)
		})
	}
	if n < 3 {
		t.Fatalf("found %d examples, want at least 3", n)
	}
}
