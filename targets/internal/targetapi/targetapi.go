// Package targetapi holds the types every target implements; package
// targets re-exports them. It exists so that targets/<name> packages and
// the targets list can share them without an import cycle.
package targetapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Target compiles the IR for one gateway.
type Target interface {
	// Name is the target's name on the command line: "goproxy", "nginx", …
	Name() string
	// Capabilities says which controls the target enforces for this
	// policy (the answer may depend on settings such as Kong's edition).
	Capabilities(p *ir.Policy) Capabilities
	// Build writes the target's artifacts. It must not modify p, must be
	// deterministic, and verifies its own output before returning it.
	Build(ctx context.Context, p *ir.Policy) ([]Artifact, error)
}

// Capabilities maps a control ID to how the target enforces it. A control
// missing from the map is not enforced.
type Capabilities map[string]Support

// Support describes how a target enforces a control.
type Support struct {
	// Mechanism names the target's mechanism, for reports
	// ("limit_req", "jwt_authn", "crypto/tls", …).
	Mechanism string
	// Delegated is true when the target enforces the control by asking
	// rampart's authorizer.
	Delegated bool
}

// Artifact is one output file, relative to the target's output directory.
type Artifact struct {
	Path string
	Data []byte
}

// RouteError is a build failure caused by one route: the CLI reports it at
// the route's position in the policy.
type RouteError struct {
	Route string // "service/route"
	Err   error
}

func (e *RouteError) Error() string { return "route " + e.Route + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RouteError) Unwrap() error { return e.Err }

// Unenforced fails a build on any control the policy needs that t's
// Capabilities lack and no waiver covers, so a target's Build never
// writes output that silently drops a control, even when called without
// targets.Check. The error starts with the target's name.
func Unenforced(t Target, p *ir.Policy) error {
	caps := t.Capabilities(p)
	var missing []string
	for _, n := range p.Needs() {
		if _, ok := caps[n.Control]; ok || Waived(p, n.Control, t.Name(), n.Route) {
			continue
		}
		where := "the policy"
		if n.Route != "" {
			where = "route " + n.Route
		}
		missing = append(missing, n.Control+" on "+where)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: target %s cannot enforce %s", t.Name(), t.Name(), strings.Join(missing, ", "))
	}
	return nil
}

// Waived reports whether a waiver of p excuses control on route (or
// policy-wide, for an empty route) for target.
func Waived(p *ir.Policy, control, target, route string) bool {
	for _, w := range p.Waivers {
		if w.Covers(control, target, route) {
			return true
		}
	}
	return false
}
