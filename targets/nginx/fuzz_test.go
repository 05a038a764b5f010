package nginx_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// nginxRuns bounds how many fuzz inputs run nginx -t per process.
var nginxRuns atomic.Int32

// FuzzBuild feeds arbitrary strings into hosts, paths, header names and
// values and CORS origins: Build either fails or writes a config that
// re-parses to its AST (Build checks this itself) and in which the header
// value is one argument, intact; a bounded sample also passes nginx -t.
// Build refuses most strings (a host that is not a DNS name, a value with
// '$'), and the fuzzer is drawn to the inputs that reach a new refusal,
// so each string is also tried alone in the base input: one refused
// string does not keep the other four from being checked.
func FuzzBuild(f *testing.F) {
	f.Add(buildBase[0], buildBase[1], buildBase[2], buildBase[3], buildBase[4])
	f.Add("*.example.com", "/a", "X-A", `"; } server { listen 81; #`, "https://*.example.com")
	f.Add("a.example", "/static", "X-B", `\"\\`, "*")
	f.Add("a;b", "/$host", "X C", "$request_uri", "https://x$y")
	f.Fuzz(func(t *testing.T, host, path, name, value, origin string) {
		in := [5]string{host, path, name, value, origin}
		buildCase(t, in)
		for i := range in {
			one := buildBase
			if one[i] = in[i]; one != in && one != buildBase {
				buildCase(t, one)
			}
		}
	})
}

// buildBase is FuzzBuild's base input: host, path, header name, header
// value, CORS origin.
var buildBase = [5]string{"api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://app.example"}

// TestFuzzBuildBase keeps FuzzBuild meaningful: its base input must
// build, or the strings tried alone in it would check nothing.
func TestFuzzBuildBase(t *testing.T) {
	if !buildCase(t, buildBase) {
		t.Fatal("FuzzBuild's base input does not build")
	}
}

// buildCase is one FuzzBuild input (host, path, header name, header value,
// CORS origin). It reports whether Build succeeded, so that the checks ran.
func buildCase(t *testing.T, in [5]string) bool {
	t.Helper()
	host, path, name, value, origin := in[0], in[1], in[2], in[3], in[4]
	p := small(host, path, name, value)
	r := p.Services[0].Routes[0]
	r.CORS = &ir.CORS{AllowOrigins: []string{origin}, AllowMethods: []string{"GET"}, MaxAgeSeconds: 60}
	r.RateLimits = []ir.RateLimit{{Name: "h", Key: "header", Header: name, PerHour: 3600}}
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		return false
	}
	got := addHeaderValues(t, arts[0].Data, name)
	if len(got) == 0 {
		t.Fatalf("header %q missing from the config", name)
	}
	for _, g := range got {
		if g != value {
			t.Fatalf("header value %q re-parsed as %q", value, g)
		}
	}
	if nginxRuns.Add(1) <= 20 {
		nginxCheck(t, t.TempDir(), arts[0].Data)
	}
	return true
}
