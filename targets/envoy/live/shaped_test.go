package live

import (
	"context"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/drifttest"
	"github.com/rampart-policy/rampart/targets/envoy"
)

// shapedIR is FuzzDriftShaped's one-route policy with the fuzzer's host,
// path, header name and value, role and per-minute rate limit in place:
// a TLS listener, JWT authentication with a rule on the role, a
// header-keyed rate limit, a response header and an access log.
func shapedIR(host, path, hname, hvalue, role string, count uint16) *ir.Policy {
	return &ir.Policy{
		Name: "fuzz",
		Listeners: []*ir.Listener{{Name: "web", Address: "0.0.0.0", Port: 8443, Hosts: []string{host},
			TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", Curves: []string{"X25519"},
				CertFile: "/c.pem", KeyFile: "/k.pem", HSTS: &ir.HSTS{MaxAgeSeconds: 60}}}},
		Providers: []*ir.Provider{{Name: "idp", Kind: "jwt", JWT: &ir.JWT{Issuer: "https://id.example.com/", Audiences: []string{"api"},
			LocalJWKS: "/jwks.json", Algorithms: []string{"RS256"}, RequiredClaims: []string{}, SubjectClaim: "sub",
			RolesClaim: "roles", ScopesClaim: "scope", Header: "Authorization"}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"web"},
			Routes: []*ir.Route{{Name: "r", ID: "s/r", Service: "s", Path: path, Methods: []string{"GET"}, Providers: []string{"idp"},
				Rules:      []ir.Rule{{Roles: []string{role}}},
				Headers:    ir.Headers{Set: []ir.Header{{Name: hname, Value: hvalue}}},
				RateLimits: []ir.RateLimit{{Name: "h", Key: "header", Header: hname, Requests: int(count), Per: "minute", PerHour: 60 * int(count)}},
				AccessLog:  true,
			}}}},
		Logging: ir.Logging{Enabled: true, Format: "json", Fields: []string{"path", "status"}, Sink: "file", SinkTarget: "/var/log/a.log"},
	}
}

// shapedTampers are the tampers FuzzDriftShaped makes to the dump, each
// one drift must find on shapedIR's policy: the fuzzed header hname
// dropped, and tampers by name.
func shapedTampers(hname string) []tamper {
	return []tamper{
		namedTamper("rate raised"),
		headerDropped(hname),
		namedTamper("rbac removed"),
		namedTamper("TLS lowered"),
		namedTamper("filter_enforced lowered"),
		namedTamper("access log removed"),
	}
}

// headerDropped is a tamper removing the response header hname from the
// first route or virtual host that adds it; every route under it drifts.
func headerDropped(hname string) tamper {
	drop := func(hs []*corev3.HeaderValueOption) ([]*corev3.HeaderValueOption, bool) {
		for i, h := range hs {
			if strings.EqualFold(h.GetHeader().GetKey(), hname) {
				return append(hs[:i:i], hs[i+1:]...), true
			}
		}
		return hs, false
	}
	return tamper{"fuzzed header dropped", func(t *testing.T, cd *adminv3.ConfigDump) want {
		var ids []string
		onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
				var ok bool
				if vh.ResponseHeadersToAdd, ok = drop(vh.ResponseHeadersToAdd); ok {
					for _, r := range vh.GetRoutes() {
						ids = append(ids, policyRoute(r.GetName()))
					}
					return true
				}
				for _, r := range vh.GetRoutes() {
					if r.ResponseHeadersToAdd, ok = drop(r.ResponseHeadersToAdd); ok {
						ids = append(ids, policyRoute(r.GetName()))
						return true
					}
				}
			}
			return false
		})
		return want{headerControl(strings.ToLower(hname)), "", "", drift.Missing, ids}
	}}
}

// namedTamper is the tamper of that name in tampers.
func namedTamper(name string) tamper {
	for _, tc := range tampers {
		if tc.name == name {
			return tc
		}
	}
	panic("no tamper " + name)
}

// shapedCase is one FuzzDriftShaped input. It reports whether the input
// reached the comparisons (false when the IR or the target refuses it).
func shapedCase(t *testing.T, host, seg, hname, hvalue, role string, count uint16, pick uint8) bool {
	t.Helper()
	host, path, hname, hvalue, role := drifttest.Shaped(host, seg, hname, hvalue, role)
	p := shapedIR(host, path, hname, hvalue, role, count)
	if p.Validate() != nil {
		return false
	}
	ctx := context.Background()
	arts, err := envoy.New().Build(ctx, p)
	if err != nil {
		return false
	}
	w, err := Expected(ctx, p)
	if err != nil {
		t.Fatalf("Build succeeds, Expected fails: %v", err)
	}
	var bs bootstrapv3.Bootstrap
	for _, a := range arts {
		if a.Path == envoy.JSONFile {
			if err := protojson.Unmarshal(a.Data, &bs); err != nil {
				t.Fatal(err)
			}
		}
	}
	cd := configDump(t, &bs)
	r, err := w.Compare(dumpJSON(t, cd))
	if err != nil {
		t.Fatal(err)
	}
	if r.Drifted() || len(r.Checks) == 0 {
		t.Fatalf("the policy's own config_dump: %d checks, findings %+v", len(r.Checks), r.Findings)
	}
	ts := shapedTampers(hname)
	tc := ts[int(pick)%len(ts)]
	want := tc.do(t, cd)
	if r, err = w.Compare(dumpJSON(t, cd)); err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	checkFindings(t, r, want)
	return true
}

// FuzzDriftShaped puts the fuzzer's strings (a host, a path segment
// under "/", a header name and value, a role) and rate into a small
// policy (shapedIR). Whatever builds compares with no drift and no error
// against the config_dump Envoy would answer for its bootstrap, and one
// tamper (shapedTampers(hname)[pick]) of that dump is found, with the right
// control, route and direction and nothing else.
func FuzzDriftShaped(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "admin", uint16(60), uint8(0))
	f.Add("*.example.com", "/a", "X-A", "%REQ(authorization)%", "a.b", uint16(1), uint8(1))
	f.Add("a.example", "/static", "X-B", "\"\\\r\nx-injected: 1", "(.*)", uint16(65535), uint8(2))
	f.Add("a;b", "/$host", "X C", "%%%", "x|y", uint16(7), uint8(3))
	f.Add("b.example", "/b", "X-D", "v", "r\\s", uint16(100), uint8(4))
	f.Add("c.example", "/c", "X-E", "w", "admin", uint16(2), uint8(5))
	f.Fuzz(func(t *testing.T, host, seg, hname, hvalue, role string, count uint16, pick uint8) {
		shapedCase(t, host, seg, hname, hvalue, role, count, pick)
	})
}

// TestDriftShapedReaches keeps FuzzDriftShaped meaningful: its first
// seed, with each tamper, must build and reach the comparisons, or every
// fuzz input could end at a refusal and check nothing.
func TestDriftShapedReaches(t *testing.T) {
	for i := range shapedTampers("") {
		if !shapedCase(t, "api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "admin", 60, uint8(i)) {
			t.Fatalf("FuzzDriftShaped's base input (tamper %d) does not reach the comparisons", i)
		}
	}
}
