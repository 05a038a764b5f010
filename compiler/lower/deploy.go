package lower

import (
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
)

// deploy lowers targets.deploy into a sorted list of distinct names; a
// name listed twice is an error (RMP228) at its second position. It is
// nil when the policy declares no targets.
func (l *lowerer) deploy() *ir.Deploy {
	names := l.raw.Targets.Deploy
	if names == nil {
		return nil
	}
	out := &ir.Deploy{Origin: l.origin("targets", "deploy")}
	for i, n := range names {
		if slices.Contains(out.Targets, n) {
			o := l.originPath(cue.MakePath(cue.Str("targets"), cue.Str("deploy"), cue.Index(i)))
			l.diags.Errorf(pos(o), diag.CodeDeployDuplicate, o.Path, "targets.deploy lists %s twice: name each target once", n)
			continue
		}
		out.Targets = append(out.Targets, n)
	}
	slices.Sort(out.Targets)
	return out
}

// checkDeployWaivers warns about waivers for a target the policy does not
// deploy to (RMP229): they count only when that target is chosen with
// --target.
func (l *lowerer) checkDeployWaivers(p *ir.Policy) {
	declared := p.DeclaredTargets()
	for i, w := range p.Waivers {
		if w.Target == "*" || p.Deploys(w.Target) {
			continue
		}
		o := l.originPath(cue.MakePath(cue.Str("waivers"), cue.Index(i), cue.Str("target")))
		l.diags.Warnf(pos(o), diag.CodeWaiverNotDeployed, o.Path,
			"waiver for %s on %s: the policy is not deployed to %s (targets.deploy: %s), so the waiver counts only with --target %s",
			w.Control, w.Target, w.Target, strings.Join(declared, ", "), w.Target)
	}
}
