package envoy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// fuzzPolicy is a CUE policy with holes the fuzzer fills.
const fuzzPolicy = `package fuzz

metadata: {name: "fuzz", owner: "Security <sec@example.com>"}
listeners: web: {port: 8443, hosts: [%q], clientAddress: {from: %q, trustedProxies: %s}, tls: {certificate: {cert: "/tmp/c.pem", key: "/tmp/k.pem"}, hsts: {}}}
authentication: {
	keys: {kind: "apiKey", header: %q, consumers: a: {keyHash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", roles: ["r"]}}
	idp: {kind: "jwt", issuer: "https://id.example.com/", audiences: ["api"], jwksURI: "https://id.example.com/jwks.json", rolesClaim: "roles"}
}
defaults: authentication: ["keys"]
services: s: {
	upstream: url: "http://127.0.0.1:9000"
	listeners: ["web"]
	routes: {
		one: {path: %q, match: %q, methods: ["GET"], contentTypes: ["application/json"], allow: [{roles: ["r"]}], public: %t,
			headers: {contentSecurityPolicy: %q, extra: %q: %q}
			rateLimits: ip: {requests: %d, per: "minute", burst: %d}
			limits: maxBodyBytes: %d}
		two: {path: %q, methods: ["GET", "POST"], authentication: ["idp"], allow: [{roles: ["admin"]}]}
	}
}
targets: authorizer: url: "http://127.0.0.1:9902"
`

// FuzzPolicy generates policies, keeps the ones rampart's schema and
// checks accept and Envoy can enforce, and requires every one to build
// into a bootstrap that parses, validates and holds the facts,
// with both routes and the CSP value intact.
func FuzzPolicy(f *testing.F) {
	f.Add("api.example.com", "X-Key", "/a/{id}", "exact", false, "default-src 'self'", "X-Extra", "v; w", uint16(60), uint8(5), uint32(1024), "/b", "x-forwarded-for", "10.0.0.0/8")
	f.Add("*.example.com", "Authorization", "/", "prefix", true, "a %REQ(x)%", "X-Y", "'q'", uint16(1), uint8(0), uint32(1), "/b/c", "proxy-protocol", "2001:db8::/32")
	f.Fuzz(func(t *testing.T, host, keyHeader, path1, match string, public bool, csp, extraName, extraValue string,
		requests uint16, burst uint8, maxBody uint32, path2, from, trusted string) {
		src := fmt.Sprintf(fuzzPolicy, host, from, trustedList(trusted), keyHeader, path1, match, public, csp, extraName, extraValue,
			int(requests)+1, burst, int(maxBody%(1<<30))+1, path2)
		policyCase(t, src, csp)
	})
}

// TestFuzzPolicySeed: the generator's first seed is accepted and built,
// so FuzzPolicy does not pass by refusing everything.
func TestFuzzPolicySeed(t *testing.T) {
	src := fmt.Sprintf(fuzzPolicy, "api.example.com", "x-forwarded-for", trustedList("10.0.0.0/8"), "X-Key", "/a/{id}", "exact", false, "default-src 'self' %x",
		"X-Extra", "v; w", 61, 5, 1025, "/b")
	if !policyCase(t, src, "default-src 'self' %x") {
		t.Fatal("the seed policy was refused")
	}
}

// policyCase compiles src; an accepted policy Envoy can enforce must
// build and hold the facts. It reports whether the policy was accepted.
func policyCase(t *testing.T, src, csp string) bool {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
	if err != nil || p == nil || diags.HasErrors() || targets.Check(envoy.New(), p).HasErrors() {
		return false // the schema or a check refused it, or Envoy cannot enforce it: fine
	}
	arts, err := envoy.New().Build(context.Background(), p)
	if err != nil {
		t.Fatalf("an accepted policy does not build for Envoy: %v\n%s", err, src)
	}
	for _, a := range arts {
		bs, err := envoy.Parse(a.Data)
		if err != nil {
			t.Fatalf("%s: %v", a.Path, err)
		}
		factFilterOrder(t, p, bs)
		factRateLimit(t, p, bs)
		factRateLimitShared(t, p, bs)
		factExtAuthz(t, p, bs)
		factRBAC(t, bs)
		factTLS(t, p, bs)
		factJWT(t, p, bs)
		factRoutes(t, p, bs)
		checkCSP(t, bs, csp)
	}
	return true
}

// trustedList is the CUE list of trusted proxies: empty for "", else the
// one range the fuzzer chose.
func trustedList(r string) string {
	if r == "" {
		return "[]"
	}
	return fmt.Sprintf("[%q]", r)
}
