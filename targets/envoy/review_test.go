package envoy_test

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestCORSPerRouteType: the cors filter's per-route configuration is its
// own envoy.extensions.filters.http.cors.v3.CorsPolicy (the filter's
// factory is FactoryBase<Cors, cors.v3.CorsPolicy>); Envoy cannot unpack
// a route.v3.CorsPolicy packed there and refuses the configuration.
func TestCORSPerRouteType(t *testing.T) {
	p := golden.ReadIR(t, "testdata/cors.ir.yaml")
	const want = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy"
	n := 0
	for _, rt := range collect[*routev3.Route](t, parseAll(t, p)[0]) {
		if a := rt.GetTypedPerFilterConfig()["envoy.filters.http.cors"]; a != nil {
			n++
			if a.GetTypeUrl() != want {
				t.Errorf("route %s: cors per-route config is %s, want %s", rt.GetName(), a.GetTypeUrl(), want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no route carries a CORS policy")
	}
}

// TestParseRefusesForeignPerRouteType: a per-filter configuration of a
// type the named filter does not take is refused, as Envoy refuses it.
func TestParseRefusesForeignPerRouteType(t *testing.T) {
	p := golden.ReadIR(t, "testdata/cors.ir.yaml")
	bs := parseAll(t, p)[0]
	tamper(t, bs, func(rt *routev3.Route) {
		if rt.TypedPerFilterConfig == nil {
			return
		}
		a, err := anypb.New(&routev3.CorsPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		rt.TypedPerFilterConfig["envoy.filters.http.cors"] = a
	})
	data, _, err := envoy.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envoy.Parse(data); err == nil {
		t.Fatal("Parse accepted a route.v3.CorsPolicy as the cors filter's per-route config")
	}
}
