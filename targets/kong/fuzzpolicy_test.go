package kong_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/gen"
	"github.com/rampart-policy/rampart/internal/reference"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/kong"
)

// policyRuns bounds schema validations per process in FuzzPolicy.
var policyRuns atomic.Int32

// kongControls are the controls the generated policies may need waived
// on Kong (bit i of FuzzPolicy's waive waives kongControls[i]).
var kongControls = []string{ir.CtlTLS, ir.CtlMTLS, ir.CtlMTLSAuthn, ir.CtlAuthFailures, ir.CtlAPIKey, ir.CtlJWT,
	ir.CtlAuthzRules, ir.CtlRateLimitSubject, ir.CtlRateLimitHeader, ir.CtlRateLimitShared, ir.CtlContentTypes,
	ir.CtlRateLimit, ir.CtlRateLimitAPIKey, ir.CtlIntrospection, ir.CtlUpstreamTLS, ir.CtlClientAddress,
	ir.CtlUndeclared}

// allWaived is the waive mask that waives every control in kongControls.
var allWaived = uint32(1)<<len(kongControls) - 1

// FuzzPolicy compiles generated policies (internal/gen, up to 60 routes)
// for Kong, with either edition and with or without a waiver on each
// control the fuzzer picks. Whatever the mix: Build fails whenever
// targets.Check reports an error (never writes what Check refuses); when
// Check passes and the route gaps are waived, Build succeeds, every route
// is in kong.yaml, and (for a bounded sample) Kong's schemas accept it.
func FuzzPolicy(f *testing.F) {
	f.Add(uint8(3), true, allWaived)
	f.Add(uint8(25), false, allWaived)
	f.Add(uint8(1), true, uint32(0))
	f.Add(uint8(45), true, uint32(0x0f0f))
	f.Add(uint8(63), true, allWaived&^(1<<15)) // one listener behind a balancer, not waived
	f.Add(uint8(63), true, allWaived)          // … waived: every listener on the peer
	f.Add(uint8(125), true, allWaived)         // every listener by X-Forwarded-For
	f.Add(uint8(190), false, allWaived)        // every listener by the PROXY protocol
	f.Fuzz(func(t *testing.T, routes uint8, enterprise bool, waive uint32) {
		policyCase(t, routes, enterprise, waive)
	})
}

// TestFuzzPolicyBuilds keeps FuzzPolicy meaningful: with every control
// waived, its generated policies must build, or every fuzz input would
// end at Build's error and check only that Check refused it too (as
// happened when validation.undeclared began to fail closed on listeners
// that do not share every service).
func TestFuzzPolicyBuilds(t *testing.T) {
	for _, c := range []struct {
		routes     uint8
		enterprise bool
	}{{3, true}, {25, false}, {63, true}, {125, true}, {190, false}} {
		if !policyCase(t, c.routes, c.enterprise, allWaived) {
			t.Errorf("FuzzPolicy's policy (routes %d, enterprise %v, all waived) does not build", c.routes, c.enterprise)
		}
	}
}

// policyCase is one FuzzPolicy input. It reports whether Build succeeded,
// so that the route checks ran.
func policyCase(t *testing.T, routes uint8, enterprise bool, waive uint32) bool {
	t.Helper()
	dir := t.TempDir()
	if err := gen.Write(dir, gen.Options{Routes: 1 + int(routes)%60}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kong.cue"), kongSettings(enterprise, waive, routes/60), 0o644); err != nil {
		t.Fatal(err)
	}
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("generated policy does not compile: %v %v", err, diags)
	}
	checked := targets.Check(kong.New(), p).HasErrors()
	arts, err := kong.New().Build(context.Background(), p)
	switch {
	case checked && err == nil:
		t.Fatal("Build wrote a config that targets.Check refuses")
	case err != nil && !checked && waive&allWaived == allWaived:
		t.Fatalf("everything waived and Check passes, yet Build fails: %v", err)
	case err != nil:
		return false
	}
	deck := string(arts[1].Data)
	for _, s := range p.Services {
		for _, r := range s.Routes {
			if !strings.Contains(deck, `"`+kong.RouteTag(r.ID)+`"`) {
				t.Fatalf("route %s missing from kong.yaml", r.ID)
			}
		}
	}
	if policyRuns.Add(1) <= 3 {
		if err := kong.ValidateSchemas(arts[1].Data, reference.Path(t, "kong")); err != nil {
			t.Fatalf("Kong's schemas refuse it: %v", err)
		}
	}
	return true
}

// clientAddresses are the listeners' client address settings the fuzzer
// picks from: none (the peer), one listener behind a balancer (Kong's
// node-wide setting cannot express it), every listener alike by
// X-Forwarded-For or by the PROXY protocol.
var clientAddresses = []string{"",
	"listeners: public: clientAddress: {from: \"x-forwarded-for\", trustedProxies: [\"10.0.0.0/8\"]}\n",
	"listeners: [_]: clientAddress: {from: \"x-forwarded-for\", trustedProxies: [\"10.0.0.0/8\", \"fd00::/8\"]}\n",
	"listeners: [_]: clientAddress: {from: \"proxy-protocol\", trustedProxies: [\"192.168.0.0/16\"]}\n",
}

// kongSettings is a CUE file choosing the Kong edition, the listeners'
// client address (clientAddresses[ca]) and waiving, for Kong only, each
// control whose bit is set in waive.
func kongSettings(enterprise bool, waive uint32, ca uint8) []byte {
	var b strings.Builder
	edition := "oss"
	if enterprise {
		edition = "enterprise"
	}
	fmt.Fprintf(&b, "package bench\n\ntargets: kong: edition: %q\n\n%swaivers: [\n", edition, clientAddresses[int(ca)%len(clientAddresses)])
	for i, c := range kongControls {
		if waive&(1<<i) != 0 {
			fmt.Fprintf(&b, "\t{control: %q, target: \"kong\", reason: \"fuzzing the Kong target\", approver: \"sec@example.com\", expires: \"2099-12-31\"},\n", c)
		}
	}
	b.WriteString("]\n")
	return []byte(b.String())
}
