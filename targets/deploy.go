package targets

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
)

// Parse resolves a --target value: "" is nil (the policy's own targets,
// see Deployed), "all" every target rampart ships, anything else a
// comma-separated list of names, in All's order and each once.
func Parse(spec string) ([]Target, error) {
	switch spec {
	case "":
		return nil, nil
	case "all":
		return All(), nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(spec, ",") {
		t, err := ByName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		want[t.Name()] = true
	}
	var out []Target
	for _, t := range All() {
		if want[t.Name()] {
			out = append(out, t)
		}
	}
	return out, nil
}

// Deployed returns the targets p is deployed to, in All's order: those in
// targets.deploy, or every target when the policy declares none.
func Deployed(p *ir.Policy) []Target {
	var out []Target
	for _, t := range All() {
		if p.Deploys(t.Name()) {
			out = append(out, t)
		}
	}
	return out
}

// Select returns the targets a command works on: chosen (from Parse) when
// not nil, else Deployed(p). It warns (RMP404), at targets.deploy, about
// every chosen target the policy is not deployed to.
func Select(p *ir.Policy, chosen []Target) ([]Target, diag.List) {
	if chosen == nil {
		return Deployed(p), nil
	}
	var names []string
	for _, t := range chosen {
		names = append(names, t.Name())
	}
	return chosen, NotDeployed(p, names...)
}

// NotDeployed warns (RMP404), at targets.deploy, about each named target
// the policy is not deployed to.
func NotDeployed(p *ir.Policy, names ...string) diag.List {
	var out diag.List
	for _, n := range names {
		if p.Deploys(n) {
			continue
		}
		d := p.Targets.Deploy
		out.Add(diag.Diagnostic{Pos: originPos(d.Origin), Severity: diag.Warning, Code: diag.CodeNotDeployed, Path: d.Origin.Path,
			Message: fmt.Sprintf("the policy is not deployed to %s (targets.deploy: %s); going ahead with %s as asked", n, strings.Join(d.Targets, ", "), n)})
	}
	return out
}
