package targets

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// Target compiles the IR for one gateway.
type Target = targetapi.Target

// Capabilities maps a control ID to how a target enforces it.
type Capabilities = targetapi.Capabilities

// Support describes how a target enforces a control.
type Support = targetapi.Support

// Artifact is one output file.
type Artifact = targetapi.Artifact

// RouteError is a build failure caused by one route.
type RouteError = targetapi.RouteError

// Check lists, as diagnostics, every control the policy needs that t
// cannot enforce: an error unless a waiver covers it, in which case a
// warning that names the waiver.
func Check(t Target, p *ir.Policy) diag.List {
	caps := t.Capabilities(p)
	var out diag.List
	for _, n := range p.Needs() {
		if _, ok := caps[n.Control]; ok {
			continue
		}
		where := "the policy"
		if n.Route != "" {
			where = "route " + n.Route
		}
		detail := ""
		if n.Detail != "" {
			detail = " (" + n.Detail + ")"
		}
		if w, ok := waiverFor(p, n, t.Name()); ok {
			out.Add(diag.Diagnostic{Pos: originPos(w.Origin), Severity: diag.Warning, Code: diag.CodeWaived,
				Message: fmt.Sprintf("target %s does not enforce %s on %s%s; waived until %s by %s: %s",
					t.Name(), n.Control, where, detail, w.Expires, w.Approver, w.Reason)})
			continue
		}
		out.Add(diag.Diagnostic{Pos: originPos(n.Origin), Severity: diag.Error, Code: diag.CodeUnsupported,
			Control: n.Control,
			Message: fmt.Sprintf("target %s cannot enforce %s on %s%s: remove the control for this target, choose another target, or add a waiver (control %q, target %q)",
				t.Name(), n.Control, where, detail, n.Control, t.Name())})
	}
	if w, ok := t.(Warner); ok {
		out = append(out, w.Warnings(p)...)
	}
	return out.Sort()
}

// Warner is a target that also warns about what it enforces differently
// from the policy's letter (Envoy leaving out a profile's DHE suites).
type Warner interface {
	Warnings(p *ir.Policy) diag.List
}

func waiverFor(p *ir.Policy, n ir.Need, target string) (ir.Waiver, bool) {
	for _, w := range p.Waivers {
		if w.Covers(n.Control, target, n.Route) {
			return w, true
		}
	}
	return ir.Waiver{}, false
}

func originPos(o ir.Origin) diag.Pos { return diag.Pos{File: o.File, Line: o.Line, Col: o.Col} }

// ByName returns the named target from All.
func ByName(name string) (Target, error) {
	var names []string
	for _, t := range All() {
		if t.Name() == name {
			return t, nil
		}
		names = append(names, t.Name())
	}
	return nil, fmt.Errorf("unknown target %q (known: %s, all)", name, strings.Join(names, ", "))
}
