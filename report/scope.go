package report

import (
	"slices"
	"strings"
)

// AssessedTargets names the targets whose enforcement the report counts
// as evidence, in the report's order.
func (r *Report) AssessedTargets() []string {
	out := []string{}
	for _, t := range r.Targets {
		out = append(out, t.Name)
	}
	return out
}

// TargetScope says which targets the report assessed and how they relate
// to the policy's targets.deploy, in one sentence without a final period.
func (r *Report) TargetScope() string {
	got := r.AssessedTargets()
	names := orNone(got)
	deploy := r.Policy.Deploy
	switch {
	case len(deploy) == 0:
		return names + " (the policy does not list targets.deploy)"
	case sameSet(got, deploy):
		return names + ": the targets the policy is deployed to (targets.deploy)"
	}
	return names + "; the policy is deployed to " + strings.Join(deploy, ", ") + " (targets.deploy)"
}

// sameSet reports whether a and b hold the same names.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// targetProps are OSCAL metadata props naming each assessed target
// ("assessed-target") and each target of the policy's targets.deploy
// ("deploy-target").
func targetProps(r *Report) []oscalProp {
	var out []oscalProp
	for _, t := range r.AssessedTargets() {
		out = append(out, oscalProp{Name: "assessed-target", Value: t, NS: rampartNS})
	}
	for _, t := range r.Policy.Deploy {
		out = append(out, oscalProp{Name: "deploy-target", Value: t, NS: rampartNS})
	}
	return out
}
