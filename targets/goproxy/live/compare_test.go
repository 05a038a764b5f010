package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestCompareEachWeakening changes one thing at a time in the proxy
// config compiled from the goproxy fixture and checks the comparison
// reports exactly it, with its control, direction and severity; the
// untouched config, as the admin API serves it, has no finding.
func TestCompareEachWeakening(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/full.ir.yaml")
	cases := []struct {
		name    string
		mutate  func(c *config.Config)
		control string
		dir     drift.Direction
		sev     drift.Severity
	}{
		{"none", func(*config.Config) {}, "", "", ""},
		{"TLS 1.2 allowed on a 1.3 listener", func(c *config.Config) { c.Listeners[tlsListener(c)].TLS.MinVersion = "1.2" }, ir.CtlTLS, drift.Changed, drift.Weakening},
		{"HSTS removed", func(c *config.Config) { c.Listeners[tlsListener(c)].TLS.HSTS = "" }, ir.CtlHSTS, drift.Missing, drift.Weakening},
		{"route made public", func(c *config.Config) { c.Routes[0].Public = !c.Routes[0].Public }, ir.CtlAuthzRules, drift.Changed, drift.Weakening},
		{"method added", func(c *config.Config) { c.Routes[0].Methods = append(c.Routes[0].Methods, "DELETE") }, ir.CtlMethods, drift.Unexpected, drift.Weakening},
		{"rate limit removed", func(c *config.Config) { r := routeWithLimit(c); r.RateLimits = r.RateLimits[1:] }, "ratelimit", drift.Missing, drift.Weakening},
		{"rate limit lowered", func(c *config.Config) { routeWithLimit(c).RateLimits[0].RatePerSecond /= 2 }, "ratelimit", drift.Changed, drift.Strengthening},
		{"body limit unset", func(c *config.Config) { c.Routes[0].Limits.MaxBodyBytes = 0 }, ir.CtlBodyLimit, drift.Changed, drift.Weakening},
		{"upstream verification off", func(c *config.Config) { c.Upstreams[0].InsecureSkipVerify = true }, ir.CtlUpstreamTLS, drift.Changed, drift.Weakening},
		{"undeclared route", func(c *config.Config) {
			r := c.Routes[0]
			r.ID, r.Path = "x/y", "/backdoor"
			c.Routes = append(c.Routes, r)
		}, ir.CtlUndeclared, drift.Unexpected, drift.Weakening},
		{"redaction removed", func(c *config.Config) { c.AccessLog.Redact = c.AccessLog.Redact[1:] }, ir.CtlRedact, drift.Missing, drift.Weakening},
		{"undeclared routes served", func(c *config.Config) { c.RejectUndeclared = !c.RejectUndeclared }, ir.CtlUndeclared, drift.Changed, drift.Weakening},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := goproxy.Convert(p)
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(c)
			raw, _ := json.Marshal(c)
			admin, _ := json.Marshal(map[string]any{"digest": c.Policy.Digest, "config": json.RawMessage(raw)})
			r, err := New().Compare(context.Background(), p, admin)
			if err != nil {
				t.Fatal(err)
			}
			if tc.control == "" {
				if r.Drifted() || len(r.Checks) < 50 {
					t.Fatalf("untouched: %d checks, findings %+v", len(r.Checks), r.Findings)
				}
				return
			}
			if len(r.Findings) != 1 {
				t.Fatalf("want 1 finding, got %+v", r.Findings)
			}
			f := r.Findings[0]
			if !strings.HasPrefix(f.Control, tc.control) || f.Direction != tc.dir || f.Severity != tc.sev {
				t.Errorf("got %s %s %s: %s", f.Control, f.Direction, f.Severity, f.Message)
			}
		})
	}
}

func tlsListener(c *config.Config) int {
	for i, l := range c.Listeners {
		if l.TLS != nil && l.TLS.MinVersion == "1.3" {
			return i
		}
	}
	for i, l := range c.Listeners {
		if l.TLS != nil {
			return i
		}
	}
	return 0
}

func routeWithLimit(c *config.Config) *config.Route {
	for i := range c.Routes {
		if len(c.Routes[i].RateLimits) > 0 {
			return &c.Routes[i]
		}
	}
	return nil
}

// TestCompareKeyHashChanged: a consumer's API-key hash swapped in a full
// config (a saved rampart-proxy.json or a Terraform artifact, which carry
// the hashes) is a weakening — someone else's key now authenticates as the
// consumer — and neither hash is printed. The admin API's answer redacts
// the hashes and still compares clean.
func TestCompareKeyHashChanged(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/full.ir.yaml")
	c, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	const swapped = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	old := ""
	for i := range c.Providers {
		if k := c.Providers[i].APIKey; k != nil && len(k.Consumers) > 0 {
			old, k.Consumers[0].KeyHash = k.Consumers[0].KeyHash, swapped
		}
	}
	if old == "" {
		t.Fatal("fixture has no API-key consumer with a hash")
	}
	raw, _ := json.Marshal(c)
	r, err := New().Compare(context.Background(), p, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Control != ir.CtlAPIKey || r.Findings[0].Severity != drift.Weakening {
		t.Fatalf("want one %s weakening, got %+v", ir.CtlAPIKey, r.Findings)
	}
	out, _ := json.Marshal(r)
	if strings.Contains(string(out), swapped[7:]) || strings.Contains(string(out), old[7:]) {
		t.Errorf("a key hash is printed: %s", out)
	}
}

// TestCompareRouteRemovedFallsThrough: a route removed from live is
// harmless only when nothing else matches its path (the proxy answers
// 404); when a broader prefix route of the policy matches it, its
// requests now get that route's controls — here, no authentication —
// so the removal is a weakening. Without such a route it stays neutral.
func TestCompareRouteRemovedFallsThrough(t *testing.T) {
	for _, withSite := range []bool{true, false} {
		p := golden.ReadIR(t, "../testdata/full.ir.yaml")
		if withSite {
			for _, s := range p.Services {
				for _, r := range s.Routes {
					if r.ID == "web/health" {
						site := *r
						site.ID, site.Name, site.Path, site.Prefix = "web/site", "site", "/", true
						s.Routes = append(s.Routes, &site)
						break
					}
				}
			}
		}
		c, err := goproxy.Convert(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range c.Routes {
			if r.ID == "web/invoices" {
				c.Routes = append(c.Routes[:i], c.Routes[i+1:]...)
				break
			}
		}
		raw, _ := json.Marshal(c)
		r, err := New().Compare(context.Background(), p, raw)
		if err != nil {
			t.Fatal(err)
		}
		want := drift.Neutral
		if withSite {
			want = drift.Weakening
		}
		if len(r.Findings) != 1 || r.Findings[0].Direction != drift.Missing || r.Findings[0].Severity != want {
			t.Errorf("with a / prefix route %v: want one missing %s finding, got %+v", withSite, want, r.Findings)
		}
	}
}
