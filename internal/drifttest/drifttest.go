// Package drifttest builds the generated policies (internal/gen) the Kong
// and Envoy live sources are tested and benchmarked with, so that both
// compare the same realistic policy.
package drifttest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/gen"
)

// controls are every control a waiver can name.
var controls = []string{
	ir.CtlTLS, ir.CtlMTLS, ir.CtlHSTS, ir.CtlRedirect, ir.CtlUpstreamTLS, ir.CtlAPIKey, ir.CtlJWT,
	ir.CtlMTLSAuthn, ir.CtlIntrospection, ir.CtlAuthzRules, ir.CtlRateLimit, ir.CtlRateLimitSubject,
	ir.CtlRateLimitAPIKey, ir.CtlRateLimitHeader, ir.CtlRateLimitShared, ir.CtlAuthFailures, ir.CtlBodyLimit,
	ir.CtlHeaderLimit, ir.CtlTimeouts, ir.CtlMethods, ir.CtlContentTypes, ir.CtlUndeclared, ir.CtlCORS,
	ir.CtlHeaders, ir.CtlAccessLog, ir.CtlRedact,
}

// keysAsRefs gives every API-key consumer an environment reference in
// place of its hash, as a Kong deployment provisions keys, so the build
// holds key-auth, consumers and acl.
func keysAsRefs(p *ir.Policy) {
	n := 0
	for _, pr := range p.Providers {
		if pr.APIKey == nil {
			continue
		}
		for _, c := range pr.APIKey.Consumers {
			n++
			c.KeyHash, c.KeyRef = "", ir.SecretRef(fmt.Sprintf("env:RAMPART_KEY_%d", n))
		}
	}
}

// Policy compiles a generated policy of routes routes for target. What
// the target cannot enforce is waived policy-wide (the generated policy
// uses mTLS and other controls Kong OSS lacks), and Kong is taken to be
// Enterprise, so the build holds every plugin rampart can emit.
func Policy(tb testing.TB, routes int, target string) *ir.Policy {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "policy")
	if err := gen.Write(dir, gen.Options{Routes: routes}); err != nil {
		tb.Fatal(err)
	}
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		tb.Fatalf("compiling the generated policy: %v\n%v", err, diags)
	}
	if target == "kong" {
		p.Targets.KongEdition = "enterprise"
		keysAsRefs(p)
	}
	for _, c := range controls {
		p.Waivers = append(p.Waivers, ir.Waiver{Control: c, Target: target, Reason: "drift tests: the generated policy asks for more than the target enforces",
			Approver: "drifttest", Expires: "2999-01-01"})
	}
	return p
}

// Trim keeps the first n routes of each service, so a test holds every
// kind of service internal/gen writes in a small configuration.
func Trim(p *ir.Policy, n int) *ir.Policy {
	for _, s := range p.Services {
		if len(s.Routes) > n {
			s.Routes = s.Routes[:n]
		}
	}
	return p
}

// WriteGzip writes a recorded answer gzip-compressed (no name or time in
// the header, so the bytes depend only on data).
func WriteGzip(tb testing.TB, path string, data []byte) {
	tb.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// ReadGzip reads a recorded answer written by WriteGzip.
func ReadGzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("%v (RAMPART_UPDATE=1 records it)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Shaped makes FuzzDriftShaped's fuzzed strings into what a policy can
// hold: CUE strings are UTF-8, so invalid bytes become U+FFFD rather than
// the input being skipped, and the path segment goes under "/" (targets
// refuse a path without it).
func Shaped(host, seg, hname, hvalue, role string) (h, path, name, value, r string) {
	valid := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	return valid(host), "/" + strings.TrimPrefix(valid(seg), "/"), valid(hname), valid(hvalue), valid(role)
}
