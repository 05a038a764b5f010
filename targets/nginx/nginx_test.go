package nginx_test

import (
	"context"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestGolden builds each testdata/*.ir.yaml fixture, compares nginx.conf
// with testdata/<name>.golden.conf, and runs nginx -t on a build of the
// same IR whose files point at throwaway certificates.
func TestGolden(t *testing.T) {
	golden.Run(t, "conf", build, func(t *testing.T, fixture string) { nginxTest(t, readIR(t, fixture)) })
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

func readIR(t *testing.T, path string) *ir.Policy { return golden.ReadIR(t, path) }
