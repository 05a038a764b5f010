package posture

import (
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// deploy compares targets.deploy, the gateways the policy is deployed to.
// Every change is neutral: a target that joins must enforce every control
// or carry waivers (build and vet fail closed otherwise), and one that
// leaves no longer runs the policy, so neither loosens a control. A policy
// without the list is deployed to every target; when neither side has the
// list nothing is compared (or counted).
func (d *differ) deploy(b, h *ir.Deploy) {
	w := where{origin: d.fallback}
	if h != nil {
		w.origin = h.Origin
	}
	switch {
	case b == nil && h == nil:
		return
	case b == nil || h == nil:
		d.text(w, "", "targets.deploy", "deploy targets", deployText(b), deployText(h))
	default:
		d.set(w, "", "targets.deploy", "deploy targets", b.Targets, h.Targets, drift.Neutral)
	}
}

// deployText is a declared list, or "every target" for none.
func deployText(dp *ir.Deploy) string {
	if dp == nil {
		return "every target"
	}
	return list(dp.Targets)
}
