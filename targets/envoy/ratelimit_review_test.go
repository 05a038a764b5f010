package envoy_test

import (
	"net/netip"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// rlRequest is what the descriptor actions read from a request.
type rlRequest struct {
	ip      string
	headers map[string]string
}

// entry is one descriptor entry.
type entry struct{ key, value string }

// generate is the descriptor one rate_limits entry produces for req, as
// Envoy's actions do (the subset the target uses), or false when an
// action produces nothing (which drops the whole descriptor).
func generate(t *testing.T, rl *routev3.RateLimit, req rlRequest) ([]entry, bool) {
	var out []entry
	for _, a := range rl.GetActions() {
		switch {
		case a.GetGenericKey() != nil:
			k := a.GetGenericKey().GetDescriptorKey()
			if k == "" {
				k = "generic_key"
			}
			out = append(out, entry{k, a.GetGenericKey().GetDescriptorValue()})
		case a.GetRemoteAddress() != nil:
			out = append(out, entry{"remote_address", req.ip})
		case a.GetMaskedRemoteAddress() != nil:
			m := a.GetMaskedRemoteAddress()
			addr := netip.MustParseAddr(req.ip)
			bits := 32
			if m.GetV4PrefixMaskLen() != nil {
				bits = int(m.GetV4PrefixMaskLen().GetValue())
			}
			if addr.Is6() {
				bits = 128
				if m.GetV6PrefixMaskLen() != nil {
					bits = int(m.GetV6PrefixMaskLen().GetValue())
				}
			}
			out = append(out, entry{"masked_remote_address", netip.PrefixFrom(addr, bits).Masked().String()})
		case a.GetRequestHeaders() != nil:
			v, ok := req.headers[a.GetRequestHeaders().GetHeaderName()]
			if !ok {
				return nil, false
			}
			out = append(out, entry{a.GetRequestHeaders().GetDescriptorKey(), v})
		case a.GetHeaderValueMatch() != nil:
			hv := a.GetHeaderValueMatch()
			all := true
			for _, h := range hv.GetHeaders() {
				_, present := req.headers[h.GetName()]
				pm, isPresent := h.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch)
				if !isPresent {
					t.Fatalf("header_value_match on %s: only present_match is simulated", h.GetName())
				}
				all = all && present == pm.PresentMatch
			}
			if all != (hv.GetExpectMatch() == nil || hv.GetExpectMatch().GetValue()) {
				return nil, false
			}
			k := hv.GetDescriptorKey()
			if k == "" {
				k = "header_match"
			}
			out = append(out, entry{k, hv.GetDescriptorValue()})
		default:
			t.Fatalf("action %v is not simulated", a)
		}
	}
	return out, true
}

// limitedBy returns, for each configured descriptor that some generated
// descriptor of req matches (a blank value matching any), the bucket key
// identifying which token bucket the request draws from.
func limitedBy(t *testing.T, cfg *localrlv3.LocalRateLimit, req rlRequest) []string {
	var keys []string
	for _, rl := range cfg.GetRateLimits() {
		gen, ok := generate(t, rl, req)
		if !ok {
			continue
		}
		for i, d := range cfg.GetDescriptors() {
			es := d.GetEntries()
			if len(es) != len(gen) {
				continue
			}
			match := true
			for j, e := range es {
				match = match && e.GetKey() == gen[j].key && (e.GetValue() == "" || e.GetValue() == gen[j].value)
			}
			if match {
				var b strings.Builder
				for _, g := range gen {
					b.WriteString(g.key + "=" + g.value + ";")
				}
				keys = append(keys, string(rune('0'+i))+":"+b.String())
			}
		}
	}
	return keys
}

// TestRateLimitsCountEveryRequest: a native limit counts every request
// the way rampart's proxy does (proxy/engine/limits.go limitKey): IPv6
// clients per /64 (one subscriber's block, so rotating addresses inside it
// gets no fresh bucket), and requests without a header-keyed limit's
// header in one bucket of their own (omitting the header must not escape
// the limit).
func TestRateLimitsCountEveryRequest(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	bs := parseAll(t, p)[0]
	routes := map[string]*routev3.Route{}
	for _, r := range collect[*routev3.Route](t, bs) {
		routes[r.Name] = r
	}
	checked := 0
	for _, s := range p.Services {
		for _, r := range s.Routes {
			for _, lim := range r.RateLimits {
				if lim.Key != "ip" && lim.Key != "header" {
					continue
				}
				rt := routes[r.ID]
				var cfg localrlv3.LocalRateLimit
				if rt == nil || rt.TypedPerFilterConfig["envoy.filters.http.local_ratelimit"].UnmarshalTo(&cfg) != nil {
					t.Fatalf("route %s: no local_ratelimit", r.ID)
				}
				checked++
				checkLimit(t, r, lim, &cfg)
			}
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d limits, want an ip and a header limit", checked)
	}
}

// checkLimit checks one limit on one route.
func checkLimit(t *testing.T, r *ir.Route, lim ir.RateLimit, cfg *localrlv3.LocalRateLimit) {
	t.Helper()
	mine := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if strings.Contains(k, "rampart_limit="+lim.Name+";") {
				out = append(out, k)
			}
		}
		return out
	}
	switch lim.Key {
	case "ip":
		a := mine(limitedBy(t, cfg, rlRequest{ip: "2001:db8:1:2::1"}))
		b := mine(limitedBy(t, cfg, rlRequest{ip: "2001:db8:1:2:ffff::7"}))
		if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
			t.Errorf("route %s limit %s: two addresses in one IPv6 /64 draw from buckets %v and %v, want one", r.ID, lim.Name, a, b)
		}
		c := mine(limitedBy(t, cfg, rlRequest{ip: "2001:db8:1:3::1"}))
		if len(c) != 1 || c[0] == a[0] {
			t.Errorf("route %s limit %s: another /64 draws from %v, want its own bucket", r.ID, lim.Name, c)
		}
		v4 := mine(limitedBy(t, cfg, rlRequest{ip: "192.0.2.1"}))
		v4b := mine(limitedBy(t, cfg, rlRequest{ip: "192.0.2.2"}))
		if len(v4) != 1 || len(v4b) != 1 || v4[0] == v4b[0] {
			t.Errorf("route %s limit %s: IPv4 clients draw from %v and %v, want one bucket each", r.ID, lim.Name, v4, v4b)
		}
	case "header":
		h := strings.ToLower(lim.Header)
		with := mine(limitedBy(t, cfg, rlRequest{ip: "192.0.2.1", headers: map[string]string{h: "acme"}}))
		other := mine(limitedBy(t, cfg, rlRequest{ip: "192.0.2.1", headers: map[string]string{h: "globex"}}))
		without := mine(limitedBy(t, cfg, rlRequest{ip: "192.0.2.1"}))
		without2 := mine(limitedBy(t, cfg, rlRequest{ip: "198.51.100.9"}))
		if len(with) != 1 || len(other) != 1 || with[0] == other[0] {
			t.Errorf("route %s limit %s: header values draw from %v and %v, want one bucket each", r.ID, lim.Name, with, other)
		}
		if len(without) != 1 || len(without2) != 1 || without[0] != without2[0] || without[0] == with[0] {
			t.Errorf("route %s limit %s: requests without %s draw from %v and %v, want one shared bucket of their own",
				r.ID, lim.Name, lim.Header, without, without2)
		}
	}
}
