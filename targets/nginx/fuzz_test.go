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
func FuzzBuild(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://app.example")
	f.Add("*.example.com", "/a", "X-A", `"; } server { listen 81; #`, "https://*.example.com")
	f.Add("a.example", "/static", "X-B", `\"\\`, "*")
	f.Add("a;b", "/$host", "X C", "$request_uri", "https://x$y")
	f.Fuzz(func(t *testing.T, host, path, name, value, origin string) {
		p := small(host, path, name, value)
		r := p.Services[0].Routes[0]
		r.CORS = &ir.CORS{AllowOrigins: []string{origin}, AllowMethods: []string{"GET"}, MaxAgeSeconds: 60}
		r.RateLimits = []ir.RateLimit{{Name: "h", Key: "header", Header: name, PerHour: 3600}}
		arts, err := nginx.New().Build(context.Background(), p)
		if err != nil {
			return
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
	})
}
