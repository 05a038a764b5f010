package report

import (
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/kong"
)

// TestDeployedTargetsOnly: hospital-records is deployed to goproxy and
// nginx; its Kong waivers excuse nothing in a report on those two (no
// control waived, each waiver flagged), and count again when Kong is
// assessed.
func TestDeployedTargetsOnly(t *testing.T) {
	p := compileExample(t, "hospital-records")
	if got := strings.Join(p.DeclaredTargets(), ","); got != "goproxy,nginx" {
		t.Fatalf("example declares %q, want goproxy,nginx", got)
	}
	r := assess(t, p, "hipaa", Input{Targets: targets.Deployed(p)})
	if n := r.Summary.Counts[Waived]; n != 0 {
		t.Errorf("deployed targets: %d controls waived, want 0", n)
	}
	for _, w := range r.Waivers {
		if w.Target == "kong" && !w.TargetNotAssessed {
			t.Errorf("Kong waiver at %s not flagged as not assessed", w.At)
		}
	}
	if got, want := r.TargetScope(), "goproxy, nginx: the targets the policy is deployed to (targets.deploy)"; got != want {
		t.Errorf("TargetScope = %q, want %q", got, want)
	}
	withKong := assess(t, p, "hipaa", Input{Targets: append(targets.Deployed(p), kong.New())})
	if withKong.Summary.Counts[Waived] == 0 || withKong.Summary.Score >= r.Summary.Score {
		t.Errorf("with Kong: %d waived, score %s; deployed only: score %s", withKong.Summary.Counts[Waived], withKong.Summary.Percent(), r.Summary.Percent())
	}
	if got, want := withKong.TargetScope(), "goproxy, nginx, kong; the policy is deployed to goproxy, nginx (targets.deploy)"; got != want {
		t.Errorf("TargetScope = %q, want %q", got, want)
	}
}

// TestTargetScopeUndeclared: a policy without targets.deploy says so.
func TestTargetScopeUndeclared(t *testing.T) {
	r := assess(t, compileExample(t, "eu-saas"), "gdpr", Input{})
	if got, want := r.TargetScope(), "goproxy, nginx (the policy does not list targets.deploy)"; got != want {
		t.Errorf("TargetScope = %q, want %q", got, want)
	}
}
