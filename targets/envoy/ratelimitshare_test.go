package envoy_test

import (
	"context"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// shareTotal is what the forwarding routes of one policy route allow
// together for one limit and one descriptor kind: tokens per hour and
// bucket sizes, summed over routes.
type shareTotal struct {
	perHour float64
	tokens  uint32
	routes  int
}

// forwardingShares sums, per limit name and descriptor key, the buckets of
// every Envoy route (on every listener) that forwards r's requests: r.ID
// and r.ID#no-body with a route action. Envoy keeps a bucket per route,
// so the sum is what one client may get forwarded.
func forwardingShares(t testing.TB, bs *bootstrapv3.Bootstrap, r *ir.Route) map[[2]string]*shareTotal {
	t.Helper()
	out := map[[2]string]*shareTotal{}
	for _, rt := range collect[*routev3.Route](t, bs) {
		if (rt.Name != r.ID && rt.Name != r.ID+"#no-body") || rt.GetRoute() == nil {
			continue
		}
		var cfg localrlv3.LocalRateLimit
		a := rt.TypedPerFilterConfig["envoy.filters.http.local_ratelimit"]
		if a == nil {
			continue // a route without native limits (factRateLimitShared finds a missing one)
		}
		if err := a.UnmarshalTo(&cfg); err != nil {
			t.Fatalf("route %s: %v", rt.Name, err)
		}
		for _, d := range cfg.Descriptors {
			es := d.GetEntries()
			if len(es) != 2 || es[0].GetKey() != "rampart_limit" {
				t.Fatalf("route %s: descriptor %v", rt.Name, es)
			}
			k := [2]string{es[0].GetValue(), es[1].GetKey()}
			if out[k] == nil {
				out[k] = &shareTotal{}
			}
			b := d.GetTokenBucket()
			out[k].perHour += float64(b.GetTokensPerFill().GetValue()) / b.GetFillInterval().AsDuration().Hours()
			out[k].tokens += b.GetMaxTokens()
			out[k].routes++
		}
	}
	return out
}

// factRateLimitShared: for every IP or header limit, the Envoy routes that
// forward its route allow together no more requests per hour than the
// policy, and hold no more tokens than the policy's one bucket (burst+1,
// or one fill) — except one token per route when burst+1 is smaller than
// the number of routes, and a waived limit too small to share.
func factRateLimitShared(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	for _, s := range p.Services {
		for _, r := range s.Routes {
			shares := forwardingShares(t, bs, r)
			for _, rl := range r.RateLimits {
				if rl.Key != "ip" && rl.Key != "header" || waivedFor(p, rl, r) {
					continue
				}
				full, err := envoy.TokenBucket(rl)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for k, sum := range shares {
					if k[0] != rl.Name {
						continue
					}
					found = true
					if sum.perHour > float64(rl.PerHour)+1e-6 {
						t.Errorf("route %s limit %s (%s): %d forwarding routes allow %.3f requests an hour together, the policy %d",
							r.ID, rl.Name, k[1], sum.routes, sum.perHour, rl.PerHour)
					}
					if sum.tokens > max(full.MaxTokens, uint32(sum.routes)) {
						t.Errorf("route %s limit %s (%s): %d forwarding routes hold %d tokens together, the policy's bucket %d",
							r.ID, rl.Name, k[1], sum.routes, sum.tokens, full.MaxTokens)
					}
				}
				if !found {
					t.Errorf("route %s limit %s: on no forwarding route", r.ID, rl.Name)
				}
			}
		}
	}
}

// waivedFor reports whether a waiver for Envoy covers rl on r.
func waivedFor(p *ir.Policy, rl ir.RateLimit, r *ir.Route) bool {
	ctl := ir.CtlRateLimit
	if rl.Key == "header" {
		ctl = ir.CtlRateLimitHeader
	}
	for _, w := range p.Waivers {
		if w.Covers(ctl, "envoy", r.ID) {
			return true
		}
	}
	return false
}

// TestContentTypeRouteSharesRateLimit: a route with content types is
// forwarded by two Envoy routes (the listed types, and no body), and
// local_ratelimit keeps a bucket per route: each must get half of every
// native limit, so that together they allow no more than the policy.
// Before the fix each had the full limit (twice the policy). A limit too
// small to halve fails closed (RMP400) unless waived (RMP401).
func TestContentTypeRouteSharesRateLimit(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	r := p.Services[0].Routes[0]
	r.ContentTypes = []string{"application/json"}
	r.RateLimits = []ir.RateLimit{
		{Name: "client", Scope: "route", Requests: 7, Per: "minute", PerHour: 420, Burst: 5, Key: "ip"},
		{Name: "tenant", Scope: "route", Requests: 100, Per: "second", PerHour: 360000, Burst: 20, Key: "header", Header: "X-Tenant"},
	}
	bs := parseAll(t, p)[0]
	shares := forwardingShares(t, bs, r)
	want := map[[2]string]struct {
		perHour float64
		tokens  uint32
	}{
		{"client", "masked_remote_address"}: {420, 6},
		{"tenant", "header"}:                {360000, 100},
		{"tenant", "header_absent"}:         {360000, 100},
	}
	for k, w := range want {
		sum := shares[k]
		if sum == nil || sum.routes != 2 {
			t.Fatalf("limit %v: %+v, want two forwarding routes", k, sum)
		}
		if sum.perHour > w.perHour+1e-6 || sum.tokens > w.tokens {
			t.Errorf("limit %v: the two forwarding routes allow %.3f an hour and hold %d tokens together; the policy %v an hour, %d tokens",
				k, sum.perHour, sum.tokens, w.perHour, w.tokens)
		}
	}
	factRateLimitShared(t, p, bs)

	// 1 a minute cannot be halved: RMP400 at the route, and Build fails.
	r.RateLimits = r.RateLimits[:1]
	r.RateLimits[0].Requests, r.RateLimits[0].PerHour = 1, 60
	ds := targets.Check(envoy.New(), p)
	if !hasDiag(ds, diag.CodeUnsupported, "ratelimit on route "+r.ID) {
		t.Fatalf("1/minute over two routes: Check gave %v, want RMP400 for ratelimit on %s", ds, r.ID)
	}
	if _, err := envoy.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "ratelimit") || !strings.Contains(err.Error(), r.ID) {
		t.Fatalf("Build with 1/minute over two routes: %v", err)
	}
	// Waived: a warning, and the build goes ahead.
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlRateLimit, Target: "envoy", Route: r.ID,
		Reason: "test", Approver: "sec", Expires: "2099-01-01"})
	ds = targets.Check(envoy.New(), p)
	if ds.HasErrors() || !hasDiag(ds, diag.CodeWaived, "ratelimit on route "+r.ID) {
		t.Fatalf("waived: Check gave %v, want RMP401 and no error", ds)
	}
	parseAll(t, p)
}

// hasDiag reports whether ds holds a diagnostic with code whose message
// contains text.
func hasDiag(ds diag.List, code, text string) bool {
	for _, d := range ds {
		if d.Code == code && strings.Contains(d.Message, text) {
			return true
		}
	}
	return false
}
