package nginx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// policyRuns bounds how many FuzzPolicy inputs run nginx -t per process.
var policyRuns atomic.Int32

// fuzzPolicy is a CUE policy with holes the fuzzer fills.
const fuzzPolicy = `package fuzz

metadata: {name: "fuzz", owner: "Security <sec@example.com>"}
listeners: web: {port: 8443, hosts: [%q], clientAddress: {from: %q, trustedProxies: %s}, tls: {certificate: {cert: "/tmp/c.pem", key: "/tmp/k.pem"}, hsts: {}}}
authentication: keys: {kind: "apiKey", header: %q, consumers: a: {keyHash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", roles: ["r"]}}
defaults: authentication: ["keys"]
services: s: {
	upstream: url: "http://127.0.0.1:9000"
	listeners: ["web"]
	routes: {
		one: {path: %q, match: %q, methods: ["GET"], allow: [{roles: ["r"]}], public: %t,
			headers: {contentSecurityPolicy: %q, extra: %q: %q}
			rateLimits: ip: {requests: %d, per: "minute", burst: %d}
			limits: maxBodyBytes: %d}
		two: {path: %q, methods: ["GET", "POST"], allow: [{anyAuthenticated: true}]}
	}
}
targets: authorizer: url: "http://127.0.0.1:9902"
`

// FuzzPolicy generates policies, keeps the ones rampart's schema and
// checks accept, and requires the nginx target to build them, with every
// route and the policy's header values in the output, and (for a bounded
// sample) a config real nginx accepts.
func FuzzPolicy(f *testing.F) {
	f.Add("api.example.com", "X-Key", "/a/{id}", "exact", false, "default-src 'self'", "X-Extra", "v; w", uint16(60), uint8(5), uint32(1024), "/b", "x-forwarded-for", "10.0.0.0/8")
	f.Add("*.example.com", "Authorization", "/", "prefix", true, "a", "X-Y", "'q'", uint16(1), uint8(0), uint32(1), "/b/c", "proxy-protocol", "2001:db8::/32")
	f.Fuzz(func(t *testing.T, host, keyHeader, path1, match string, public bool, csp, extraName, extraValue string,
		requests uint16, burst uint8, maxBody uint32, path2, from, trusted string) {
		src := fmt.Sprintf(fuzzPolicy, host, from, trustedList(trusted), keyHeader, path1, match, public, csp, extraName, extraValue,
			int(requests)+1, burst, int(maxBody%(1<<30))+1, path2)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "policy.cue"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{})
		if err != nil || p == nil || diags.HasErrors() || targets.Check(nginx.New(), p).HasErrors() {
			return // the schema or a check refused it, or nginx cannot enforce it: fine
		}
		arts, err := nginx.New().Build(context.Background(), p)
		if err != nil {
			t.Fatalf("an accepted policy does not build for nginx: %v\n%s", err, src)
		}
		conf := string(arts[0].Data)
		for _, id := range []string{"s/one", "s/two"} {
			if !strings.Contains(conf, id) {
				t.Fatalf("route %s missing from nginx.conf", id)
			}
		}
		if ca := p.Listeners[0].ClientAddress; ca != nil {
			for _, r := range ca.TrustedProxies {
				if !strings.Contains(conf, "set_real_ip_from \""+r+"\";") {
					t.Fatalf("trusted proxy %s (from %q) missing from nginx.conf", r, trusted)
				}
			}
		}
		if got := addHeaderValues(t, arts[0].Data, "Content-Security-Policy"); len(got) == 0 || got[0] != csp {
			t.Fatalf("CSP %q came out as %q", csp, got)
		}
		if policyRuns.Add(1) <= 10 {
			nginxTest(t, p)
		}
	})
}

// trustedList is the CUE list of trusted proxies: empty for "", else the
// one range the fuzzer chose.
func trustedList(r string) string {
	if r == "" {
		return "[]"
	}
	return fmt.Sprintf("[%q]", r)
}
