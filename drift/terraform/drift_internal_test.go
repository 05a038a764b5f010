package terraform

import (
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// marker marks strings starting with "rampart:" as artifacts.
type marker struct{}

func (marker) Digest(c []byte) (string, bool) {
	return "sha256:x", strings.HasPrefix(string(c), "rampart:")
}

// TestResourceDriftGone: a refresh-only plan in which a resource that
// held an artifact was deleted outside Terraform (local_file's read
// drops a file whose content changed: after is null), or rewritten
// without the marker, reports it missing, weakening; a resource whose
// refreshed artifact still carries the marker is compared as before.
func TestResourceDriftGone(t *testing.T) {
	plan := &tfjson.Plan{ResourceDrift: []*tfjson.ResourceChange{
		{Address: "local_file.nginx", Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionDelete},
			Before: map[string]any{"content": "rampart: conf"}, After: nil}},
		{Address: "module.edge.kubernetes_config_map.gw", Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionUpdate},
			Before: map[string]any{"data": map[string]any{"nginx.conf": "rampart: conf"}},
			After:  map[string]any{"data": map[string]any{"nginx.conf": "hand-written conf"}}}},
		{Address: "terraform_data.proxy", Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionUpdate},
			Before: map[string]any{"input": "rampart: old"}, After: map[string]any{"input": "rampart: new"}}},
		{Address: "terraform_data.unrelated", Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionUpdate},
			Before: map[string]any{"input": "a"}, After: map[string]any{"input": "b"}}},
	}}
	arts, gone := resourceDrift(plan, marker{})
	if len(arts) != 1 || arts[0].content != "rampart: new" {
		t.Errorf("refreshed artifacts: %+v", arts)
	}
	var r drift.Result
	addGone(&r, "nginx", &ir.Policy{Name: "p"}, gone)
	if len(r.Findings) != 2 {
		t.Fatalf("want the deleted and the rewritten artifact reported, got %+v", r.Findings)
	}
	for i, want := range []string{"local_file.nginx.content", "module.edge.kubernetes_config_map.gw.data.nginx.conf"} {
		f := r.Findings[i]
		if !strings.HasPrefix(f.Path, want) || f.Direction != drift.Missing || f.Severity != drift.Weakening || r.Checks[i].Passed {
			t.Errorf("finding %d: %+v", i, f)
		}
	}
}

// named marks "rampart:NAME:…" strings as artifacts of policy NAME.
type named struct{ marker }

func (named) PolicyName(c []byte) (string, bool) {
	rest, ok := strings.CutPrefix(string(c), "rampart:")
	name, _, _ := strings.Cut(rest, ":")
	return name, ok
}

// TestStateOfSeveralPolicies: a state deploying two policies' gateways
// compares only this policy's artifacts; another policy's would all
// differ (false drift on an untouched deployment).
func TestStateOfSeveralPolicies(t *testing.T) {
	st := &tfjson.State{Values: &tfjson.StateValues{RootModule: &tfjson.StateModule{
		Resources: []*tfjson.StateResource{
			{Address: "terraform_data.clinic", Mode: tfjson.ManagedResourceMode, AttributeValues: map[string]any{"input": "rampart:clinic:conf"}},
		},
		ChildModules: []*tfjson.StateModule{{Address: "module.billing", Resources: []*tfjson.StateResource{
			{Address: "module.billing.terraform_data.gw", Mode: tfjson.ManagedResourceMode, AttributeValues: map[string]any{"input": "rampart:billing:conf"}},
		}}},
	}}}
	mine, others := ofPolicy(stateArtifacts(st, named{}), named{}, "clinic")
	if len(mine) != 1 || mine[0].where != "terraform_data.clinic.input" || len(others) != 1 || !strings.Contains(others[0], "module.billing.terraform_data.gw") {
		t.Errorf("mine %+v, others %q", mine, others)
	}
}
