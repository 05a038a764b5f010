package envoy

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestHoistKeepsEffectiveConfig: on every golden fixture, each route's
// effective configuration (per filter: its own, else its virtual
// host's; response headers of both levels, applied route first) is the
// same with and without hoisting, and hoisting moved something.
func TestHoistKeepsEffectiveConfig(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.ir.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	moved := 0
	for _, path := range paths {
		p := golden.ReadIR(t, path)
		for _, l := range p.Listeners {
			flat, err := newEmitter(p).routeConfig(l)
			if err != nil {
				t.Fatal(err)
			}
			hoisted := proto.Clone(flat).(*routev3.RouteConfiguration)
			for _, vh := range hoisted.VirtualHosts {
				hoist(vh)
				moved += len(vh.TypedPerFilterConfig) + len(vh.ResponseHeadersToAdd) + len(vh.ResponseHeadersToRemove)
			}
			for i, vh := range flat.VirtualHosts {
				hv := hoisted.VirtualHosts[i]
				for j, r := range vh.Routes {
					where := path + " " + r.Name
					if got, want := effectiveFilters(hv, hv.Routes[j]), effectiveFilters(vh, r); !sameAnys(got, want) {
						t.Errorf("%s: per-filter configs changed by hoisting", where)
					}
					if got, want := effectiveHeaders(hv, hv.Routes[j]), effectiveHeaders(vh, r); got != want {
						t.Errorf("%s: response headers changed by hoisting:\n got %s\nwant %s", where, got, want)
					}
				}
			}
		}
	}
	if moved == 0 {
		t.Fatal("hoisting moved nothing on any fixture")
	}
}

// effectiveFilters is each filter's configuration on r: its own, else
// vh's.
func effectiveFilters(vh *routev3.VirtualHost, r *routev3.Route) map[string]*anypb.Any {
	out := map[string]*anypb.Any{}
	for k, a := range vh.TypedPerFilterConfig {
		out[k] = a
	}
	for k, a := range r.TypedPerFilterConfig {
		out[k] = a
	}
	return out
}

func sameAnys(a, b map[string]*anypb.Any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !proto.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// effectiveHeaders renders the headers r's responses get, applying the
// route's rules and then vh's (Envoy's default order), each removing then
// adding, an overwrite replacing, sorted by name.
func effectiveHeaders(vh *routev3.VirtualHost, r *routev3.Route) string {
	out := map[string]string{}
	apply := func(add []*corev3.HeaderValueOption, rm []string) {
		for _, n := range rm {
			out[strings.ToLower(n)] = "(removed)"
		}
		for _, h := range add {
			out[strings.ToLower(h.GetHeader().GetKey())] = h.GetHeader().GetValue() + " " + h.GetAppendAction().String()
		}
	}
	apply(r.ResponseHeadersToAdd, r.ResponseHeadersToRemove)
	apply(vh.ResponseHeadersToAdd, vh.ResponseHeadersToRemove)
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(out)) {
		b.WriteString(k + "=" + out[k] + "; ")
	}
	return b.String()
}
