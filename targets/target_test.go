package targets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
)

// limited is a target that enforces only TLS and method checks.
type limited struct{}

func (limited) Name() string { return "limited" }
func (limited) Capabilities(*ir.Policy) targets.Capabilities {
	return targets.Capabilities{ir.CtlTLS: {}, ir.CtlMethods: {}}
}
func (limited) Build(context.Context, *ir.Policy) ([]targets.Artifact, error) { return nil, nil }

func policy() *ir.Policy {
	return &ir.Policy{
		Listeners: []*ir.Listener{{Name: "l", TLS: &ir.TLS{}}},
		Providers: []*ir.Provider{{Name: "jwt", Kind: ir.KindJWT, JWT: &ir.JWT{}}},
		Services: []*ir.Service{{Name: "s", Routes: []*ir.Route{{
			ID: "s/r", Methods: []string{"GET"}, Providers: []string{"jwt"}, Rules: []ir.Rule{{AnyAuthenticated: true}},
			Origin: ir.Origin{File: "policy.cue", Line: 7, Col: 3},
		}}}},
	}
}

// TestCheckFailsClosed: every control the target lacks is an error that
// names the control, the route and the target.
func TestCheckFailsClosed(t *testing.T) {
	diags := targets.Check(limited{}, policy())
	if !diags.HasErrors() {
		t.Fatal("no errors for unsupported JWT and authz")
	}
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Message)
		if d.Code != diag.CodeUnsupported || d.Pos.String() != "policy.cue:7:3" {
			t.Errorf("diagnostic %+v: want code %s at policy.cue:7:3", d, diag.CodeUnsupported)
		}
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"target limited cannot enforce authn.jwt on route s/r", "authz.rules on route s/r"} {
		if !strings.Contains(all, want) {
			t.Errorf("messages lack %q:\n%s", want, all)
		}
	}
}

// TestWaiverTurnsErrorIntoWarning: a waiver for the control, target and
// route downgrades exactly that error.
func TestWaiverTurnsErrorIntoWarning(t *testing.T) {
	p := policy()
	p.Waivers = []ir.Waiver{{Control: ir.CtlJWT, Target: "limited", Route: "s/r", Reason: "authorizer rollout", Approver: "ciso@example.com", Expires: "2027-01-31"}}
	diags := targets.Check(limited{}, p)
	e, w := diags.Count()
	if e != 1 || w != 1 {
		t.Fatalf("errors=%d warnings=%d, want 1 and 1:\n%v", e, w, diags)
	}
	for _, d := range diags {
		if d.Severity == diag.Warning && !strings.Contains(d.Message, "waived until 2027-01-31 by ciso@example.com") {
			t.Errorf("waiver warning does not name the waiver: %s", d.Message)
		}
	}
}

// TestAllTargetsNamed: the explicit list has unique names ByName finds.
func TestAllTargetsNamed(t *testing.T) {
	seen := map[string]bool{}
	for _, tg := range targets.All() {
		if seen[tg.Name()] {
			t.Errorf("duplicate target %s", tg.Name())
		}
		seen[tg.Name()] = true
		if got, err := targets.ByName(tg.Name()); err != nil || got.Name() != tg.Name() {
			t.Errorf("ByName(%s) = %v, %v", tg.Name(), got, err)
		}
	}
	if _, err := targets.ByName("nope"); err == nil {
		t.Error("ByName accepted an unknown target")
	}
}
