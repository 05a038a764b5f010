package envoy_test

import (
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// vhostFor picks the virtual host Envoy would for host: an exact domain,
// else the longest "*." suffix wildcard (Envoy's "*" matches any
// non-empty string, dots included), else "*".
func vhostFor(vhs []*routev3.VirtualHost, host string) *routev3.VirtualHost {
	var best *routev3.VirtualHost
	bestLen := -1
	for _, vh := range vhs {
		for _, d := range vh.GetDomains() {
			switch {
			case d == host:
				return vh
			case d == "*":
				if bestLen < 0 {
					best, bestLen = vh, 0
				}
			case strings.HasPrefix(d, "*") && len(host) > len(d)-1 && strings.HasSuffix(host, d[1:]) && len(d) > bestLen:
				best, bestLen = vh, len(d)
			}
		}
	}
	return best
}

// headerOK evaluates the header matchers the target emits on a request.
func headerOK(t *testing.T, h *routev3.HeaderMatcher, req map[string]string) bool {
	v, present := req[h.GetName()]
	var ok bool
	switch m := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_PresentMatch:
		ok = present == m.PresentMatch
	case *routev3.HeaderMatcher_StringMatch:
		switch {
		case m.StringMatch.GetSafeRegex() != nil:
			ok = present && fullMatch(t, m.StringMatch.GetSafeRegex().GetRegex(), v)
		default:
			ok = present && v == m.StringMatch.GetExact()
		}
	default:
		t.Fatalf("header matcher %v not simulated", h)
	}
	return ok != h.GetInvertMatch()
}

// firstRoute is the route Envoy picks for a request in vh.
func firstRoute(t *testing.T, vh *routev3.VirtualHost, path string, req map[string]string) *routev3.Route {
	for _, rt := range vh.GetRoutes() {
		m := rt.GetMatch()
		var ok bool
		switch {
		case m.GetPrefix() != "":
			ok = strings.HasPrefix(path, m.GetPrefix())
		case m.GetPath() != "":
			ok = path == m.GetPath()
		case m.GetPathSeparatedPrefix() != "":
			ok = path == m.GetPathSeparatedPrefix() || strings.HasPrefix(path, m.GetPathSeparatedPrefix()+"/")
		case m.GetSafeRegex() != nil:
			ok = fullMatch(t, m.GetSafeRegex().GetRegex(), path)
		}
		for _, h := range m.GetHeaders() {
			ok = ok && headerOK(t, h, req)
		}
		if ok {
			return rt
		}
	}
	return nil
}

// TestWildcardHostOneLabel: "*.m2m.example.com" matches exactly one label
// (docs/schema.md; the proxy, nginx and Kong agree); Envoy's domain
// wildcard also matches a.b.m2m.example.com, which must get the
// undeclared-host 404, not the listener's routes.
func TestWildcardHostOneLabel(t *testing.T) {
	p := golden.ReadIR(t, "testdata/mtls.ir.yaml")
	var rc *routev3.RouteConfiguration
	for _, c := range collect[*routev3.RouteConfiguration](t, parseAll(t, p)[0]) {
		if c.GetName() == "m2m" {
			rc = c
		}
	}
	if rc == nil {
		t.Fatal("no route table for listener m2m")
	}
	for host, want := range map[string]string{
		"a.m2m.example.com":      "ledger/post",
		"A-1.M2M.example.com":    "ledger/post",
		"a.b.m2m.example.com":    "#404",
		"x.a.b.m2m.example.com":  "#404",
		"m2m.example.com":        "#404",
		"evil.a.m2m.example.com": "#404",
	} {
		req := map[string]string{":method": "POST", ":authority": host}
		vh := vhostFor(rc.GetVirtualHosts(), strings.ToLower(host))
		rt := firstRoute(t, vh, "/entries", req)
		got := "<none>"
		if rt != nil {
			got = rt.GetName()
			if rt.GetDirectResponse().GetStatus() == 404 {
				got = "#404"
			}
		}
		if got != want {
			t.Errorf("host %s: POST /entries goes to %s, want %s", host, got, want)
		}
	}
}
