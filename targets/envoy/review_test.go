package envoy_test

import (
	"regexp"
	"testing"

	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
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

// fullMatch matches s against an Envoy safe_regex as Envoy does: "the
// regex is matched against the full string, not as a partial match"
// (type.matcher.v3.RegexMatcher), i.e. RE2::FullMatch.
func fullMatch(t *testing.T, re, s string) bool {
	t.Helper()
	return regexp.MustCompile(`^(?:` + re + `)$`).MatchString(s)
}

// TestSubjectRegexFullMatch: the listener's subject check must match the
// x-forwarded-client-cert value Envoy sets with SANITIZE_SET and
// subject: true (Hash=...;Subject="..."), under full-match semantics.
func TestSubjectRegexFullMatch(t *testing.T) {
	p := golden.ReadIR(t, "testdata/mtls.ir.yaml")
	var res []string
	for _, pr := range collect[*rbacconfigv3.Principal](t, parseAll(t, p)[0]) {
		if h := pr.GetHeader(); h.GetName() == "x-forwarded-client-cert" && h.GetStringMatch().GetSafeRegex() != nil {
			res = append(res, h.GetStringMatch().GetSafeRegex().GetRegex())
		}
	}
	if len(res) == 0 {
		t.Fatal("no subject check on x-forwarded-client-cert")
	}
	allowed := []string{
		`Hash=3f2a9c;Subject="CN=ledger"`,
		`Hash=3f2a9c;Subject="CN=ledger,O=Example,C=US"`,
		`Hash=3f2a9c;Subject="O=Example,CN=billing\, Inc."`,
	}
	denied := []string{
		`Hash=3f2a9c;Subject="CN=ledgers,O=Example"`,
		`Hash=3f2a9c;Subject="CN=mallory,O=ledger"`,
		`Hash=3f2a9c;Subject="O=x\,CN=ledger"`,
	}
	for _, re := range res {
		for _, v := range allowed {
			if !fullMatch(t, re, v) {
				t.Errorf("subject regex %q refuses %s", re, v)
			}
		}
		for _, v := range denied {
			if fullMatch(t, re, v) {
				t.Errorf("subject regex %q accepts %s", re, v)
			}
		}
	}
}

// TestClaimRegexFullMatch: a role or scope required from a
// space-separated string claim (OAuth's "scope": "a b") must match any
// member under full-match semantics, and only whole members.
func TestClaimRegexFullMatch(t *testing.T) {
	p := golden.ReadIR(t, "testdata/native.ir.yaml")
	n := 0
	for _, m := range collect[*matcherv3.MetadataMatcher](t, parseAll(t, p)[0]) {
		re := m.GetValue().GetStringMatch().GetSafeRegex().GetRegex()
		if re == "" || len(m.GetPath()) != 2 || m.GetPath()[1].GetKey() != "scope" {
			continue
		}
		n++
		for _, v := range []string{"orders:read", "profile orders:read", "orders:read email", "a orders:read b"} {
			if !fullMatch(t, re, v) {
				t.Errorf("scope regex %q refuses %q", re, v)
			}
		}
		for _, v := range []string{"orders:readx", "xorders:read", "profile orders:write", ""} {
			if fullMatch(t, re, v) {
				t.Errorf("scope regex %q accepts %q", re, v)
			}
		}
	}
	if n == 0 {
		t.Fatal("no scope claim check")
	}
}
