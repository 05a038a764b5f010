package targets_test

import (
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
)

func names(ts []targets.Target) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return strings.Join(out, ",")
}

// TestParse: "" leaves the choice to the policy, "all" is every target,
// a list is resolved in All's order with each name once, and an unknown
// name is an error.
func TestParse(t *testing.T) {
	for spec, want := range map[string]string{"": "", "all": "goproxy,nginx,kong,envoy", "envoy, goproxy,envoy": "goproxy,envoy"} {
		ts, err := targets.Parse(spec)
		if err != nil || names(ts) != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", spec, names(ts), err, want)
		}
	}
	if ts, _ := targets.Parse(""); ts != nil {
		t.Error(`Parse("") is not nil`)
	}
	for _, spec := range []string{"ngnix", "goproxy,", "all,nginx"} {
		if _, err := targets.Parse(spec); err == nil {
			t.Errorf("Parse(%q): no error", spec)
		}
	}
}

// TestSelect: without a choice, the declared targets (every target when
// none are declared); a choice is kept, with RMP404 at targets.deploy for
// each chosen target the policy is not deployed to.
func TestSelect(t *testing.T) {
	p := &ir.Policy{}
	if ts, ds := targets.Select(p, nil); names(ts) != "goproxy,nginx,kong,envoy" || len(ds) != 0 {
		t.Errorf("undeclared: %q %v", names(ts), ds)
	}
	p.Targets.Deploy = &ir.Deploy{Targets: []string{"envoy", "nginx"}, Origin: ir.Origin{File: "targets.cue", Line: 3, Col: 18, Path: "targets.deploy"}}
	if ts, ds := targets.Select(p, nil); names(ts) != "nginx,envoy" || len(ds) != 0 {
		t.Errorf("declared: %q %v", names(ts), ds)
	}
	chosen, _ := targets.Parse("goproxy,nginx,kong")
	ts, ds := targets.Select(p, chosen)
	if names(ts) != "goproxy,nginx,kong" {
		t.Errorf("chosen: %q", names(ts))
	}
	if len(ds) != 2 {
		t.Fatalf("want RMP404 for goproxy and kong, got %v", ds)
	}
	for i, n := range []string{"goproxy", "kong"} {
		d := ds[i]
		if d.Code != diag.CodeNotDeployed || d.Severity != diag.Warning || d.Pos.String() != "targets.cue:3:18" ||
			!strings.Contains(d.Message, "not deployed to "+n+" (targets.deploy: envoy, nginx)") {
			t.Errorf("diagnostic %d: %+v", i, d)
		}
	}
}
