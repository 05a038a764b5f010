package cli

import (
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
)

// deployChecks runs targets.Check, for vet, on each target a policy that
// compiled cleanly lists in targets.deploy: a control one of them cannot
// enforce fails vet unless waived, as it fails build. A policy that
// declares no targets is not checked against any (build still checks
// the targets it is asked for).
func deployChecks(p *ir.Policy, diags diag.List) diag.List {
	if p == nil || diags.HasErrors() || p.Targets.Deploy == nil {
		return nil
	}
	var out diag.List
	for _, t := range targets.Deployed(p) {
		out = append(out, targets.Check(t, p)...)
	}
	return out
}
