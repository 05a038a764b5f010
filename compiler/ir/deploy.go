package ir

import (
	"fmt"
	"slices"
)

// Deploy is the policy's targets.deploy: the gateways it is deployed to.
type Deploy struct {
	// Targets are target names ("goproxy", "nginx", "kong", "envoy"),
	// sorted, each once, never empty.
	Targets []string `json:"targets" yaml:"targets"`
	// Origin is where the list is set.
	Origin Origin `json:"origin" yaml:"origin"`
}

// DeclaredTargets returns the targets the policy declares it is deployed
// to, sorted, or nil when it declares none (which means every target).
func (p *Policy) DeclaredTargets() []string {
	if p.Targets.Deploy == nil {
		return nil
	}
	return slices.Clone(p.Targets.Deploy.Targets)
}

// Deploys reports whether the policy is deployed to target: always true
// when the policy declares no targets.
func (p *Policy) Deploys(target string) bool {
	d := p.Targets.Deploy
	return d == nil || slices.Contains(d.Targets, target)
}

// validate checks that a declared list is non-empty, sorted and unique.
func (d *Deploy) validate() error {
	if d == nil {
		return nil
	}
	if len(d.Targets) == 0 {
		return fmt.Errorf("targets.deploy: empty list")
	}
	for i := 1; i < len(d.Targets); i++ {
		if d.Targets[i-1] >= d.Targets[i] {
			return fmt.Errorf("targets.deploy: %v is not sorted and unique", d.Targets)
		}
	}
	return nil
}
