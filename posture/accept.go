package posture

import (
	"fmt"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// AllowAll is the AcceptedBy of weakenings accepted with --allow-weakening.
const AllowAll = "--allow-weakening"

// Accept marks the weakenings that HEAD's waivers accept. A waiver accepts
// a weakening when it waives the same control on every target (target
// "*": a posture change affects every gateway), on the same route or on
// every route (no route), and has not expired by today (YYYY-MM-DD). A
// waiver that HEAD adds is itself reported as a weakening, accepted by its
// own approval, so the review still shows it. allowAll accepts every
// weakening. Weakenings without a control (a lowered classification, a
// baseline dropped) can only be accepted with allowAll.
func (r *Report) Accept(head *ir.Policy, today string, allowAll bool) {
	for i := range r.Changes {
		c := &r.Changes[i]
		if !c.Weakening() {
			continue
		}
		if w, ok := waiverFor(head, c.Finding, today); ok {
			if isWaiverChange(c.Finding) {
				c.AcceptedBy = fmt.Sprintf("its own approval (%s, until %s)", w.Approver, w.Expires)
				continue
			}
			c.AcceptedBy = fmt.Sprintf("waiver at %s approved by %s until %s", originText(w.Origin), w.Approver, w.Expires)
			continue
		}
		if allowAll {
			c.AcceptedBy = AllowAll
		}
	}
}

// waiverFor finds the waiver accepting f.
func waiverFor(head *ir.Policy, f drift.Finding, today string) (ir.Waiver, bool) {
	for _, w := range head.Waivers {
		if w.Expires < today {
			continue
		}
		if isWaiverChange(f) && f.Origin == w.Origin {
			return w, true
		}
		if f.Control != "" && w.Target == "*" && w.Covers(f.Control, "*", f.Route) {
			return w, true
		}
	}
	return ir.Waiver{}, false
}

// isWaiverChange reports whether f is about a waiver itself.
func isWaiverChange(f drift.Finding) bool {
	return len(f.Path) > len("waivers[") && f.Path[:len("waivers[")] == "waivers["
}

// originText formats an origin as file:line.
func originText(o ir.Origin) string {
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}
