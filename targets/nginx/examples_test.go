package nginx_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/internal/exampletest"
)

// TestExamplesPassNginxT compiles every shipped example and runs a real
// nginx -t on its nginx.conf, with throwaway certificates, a temporary
// log and local upstreams in place of the policy's files and hosts
// (`make demo` runs it).
func TestExamplesPassNginxT(t *testing.T) {
	for _, d := range exampletest.Dirs(t) {
		t.Run(filepath.Base(d), func(t *testing.T) {
			p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: d}, compiler.Options{})
			if err != nil || diags.HasErrors() {
				t.Fatalf("compile: %v\n%v", err, diags)
			}
			nginxTest(t, p)
		})
	}
}
