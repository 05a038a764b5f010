package kong_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/kong"
)

// kongRoutes returns the Kong routes built from the IR route id.
func kongRoutes(f *kong.File, id string) []kong.Route {
	var out []kong.Route
	for _, s := range f.Services {
		for _, r := range s.Routes {
			if slices.Contains(r.Tags, kong.RouteTag(id)) {
				out = append(out, r)
			}
		}
	}
	return out
}

// admits models what Kong does with a request carrying consumer c's
// valid key on route r: key-auth accepts the key of any consumer in the
// file (it does not know rampart's providers), acl then needs one of
// its allow groups, and request-termination refuses everything.
func admits(r kong.Route, c kong.Consumer) bool {
	keyAuth := false
	for _, p := range r.Plugins {
		switch cfg := p.Config.(type) {
		case *kong.KeyAuthConfig:
			keyAuth = true
		case *kong.RequestTerminationConfig:
			return false
		case *kong.ACLConfig:
			ok := false
			for _, g := range c.ACLs {
				ok = ok || slices.Contains(cfg.Allow, g.Group)
			}
			if !ok || slices.ContainsFunc(c.ACLs, func(g kong.ACLGroup) bool { return slices.Contains(cfg.Deny, g.Group) }) {
				return false
			}
		}
	}
	return keyAuth
}

// twoKeyProviders adds an API-key provider "internal" whose consumer
// "ops" has the role orders-read, and protects web/static with it for
// any authenticated principal. orders/* still take partners' keys only.
func twoKeyProviders(t *testing.T) *ir.Policy {
	p := ossPolicy(t)
	p.Providers = append(p.Providers, &ir.Provider{Name: "internal", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{
		In: "header", Name: "X-Internal-Key",
		Consumers: []*ir.Consumer{{Name: "ops", KeyRef: "env:OPS_API_KEY", Roles: []string{"orders-read"}}}}})
	static := p.Services[1].Routes[1]
	static.Public, static.Providers = false, []string{"internal"}
	static.Rules = []ir.Rule{{AnyAuthenticated: true}}
	// Kong OSS runs its X-Tenant limit after key-auth (TestIPLimitBeforeAuthn).
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlRateLimitHeader, Target: "kong", Route: "web/static",
		Reason: "test: limit order is not what this fixture checks", Approver: "t@example", Expires: "2099-01-01"})
	return p
}

// TestAPIKeyProvidersDoNotCross: Kong's key-auth accepts any consumer's
// key on every key-auth route, so a route must admit only the consumers
// of its own providers. Before the fix, internal.ops (role orders-read)
// passed orders/list, and partners.acme passed web/static.
func TestAPIKeyProvidersDoNotCross(t *testing.T) {
	f, err := kong.Decode(artifact(t, twoKeyProviders(t), kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]bool{
		"orders/list":  {"partners.acme": true, "partners.globex": true, "internal.ops": false},
		"orders/order": {"partners.acme": true, "partners.globex": false, "internal.ops": false},
		"web/static":   {"partners.acme": false, "partners.globex": false, "internal.ops": true},
	}
	for id, cons := range want {
		for _, c := range f.Consumers {
			for _, r := range kongRoutes(f, id) {
				if strings.HasSuffix(r.Name, "_preflight") {
					continue
				}
				if got := admits(r, c); got != cons[c.Username] {
					t.Errorf("route %s: consumer %s admitted %v, want %v", r.Name, c.Username, got, cons[c.Username])
				}
			}
		}
	}
	validateSchemas(t, artifact(t, twoKeyProviders(t), kong.DeckFile))
}

// TestSplitRouteKeepsRateLimit: Kong counts rate limits per Kong route
// (the counter key holds the plugin's route id), so a route split by
// methods must not get the full limit on each part: together the parts
// may not allow more than the policy's limit. Before the fix each of
// orders.order_get and orders.order_put allowed 60 a minute (120).
func TestSplitRouteKeepsRateLimit(t *testing.T) {
	p := ossPolicy(t)
	r := p.Services[0].Routes[1] // orders/order: GET, PUT; per-key 60/minute
	r.Rules = []ir.Rule{{Roles: []string{"orders-read"}, Methods: []string{"GET"}}, {Roles: []string{"orders-write"}}}
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	routes := kongRoutes(f, "orders/order")
	total := 0
	for _, kr := range routes {
		total += *plugin[*kong.RateLimitingConfig](t, f, kr.Name, "rate-limiting").Minute
	}
	if len(routes) != 2 || total > 60 {
		t.Fatalf("%d Kong routes allow %d requests a minute together, want at most 60", len(routes), total)
	}
	// A limit too small to split is a gap, never a zero or a larger limit.
	r.RateLimits[0].Requests = 1
	if _, err := kong.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "ratelimit.apiKey") {
		t.Fatalf("Build with 1/minute over two Kong routes: %v", err)
	}
}

// TestCORSWithoutAllowHeaders: Kong's cors plugin echoes the requested
// Access-Control-Request-Headers when config.headers is empty, allowing
// every header; a policy allowing none must list only CORS-safelisted
// names (whose use a browser allows anyway). Before the fix the list was
// left empty.
func TestCORSWithoutAllowHeaders(t *testing.T) {
	p := ossPolicy(t)
	p.Services[0].Routes[0].CORS.AllowHeaders = nil
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	safelisted := []string{"Accept", "Accept-Language", "Content-Language"}
	for _, name := range []string{"orders.list", "orders.list_preflight"} {
		c := plugin[*kong.CORSConfig](t, f, name, "cors")
		if len(c.Headers) == 0 || slices.ContainsFunc(c.Headers, func(h string) bool { return !slices.Contains(safelisted, h) }) {
			t.Errorf("route %s: cors headers %q: empty echoes every requested header", name, c.Headers)
		}
	}
}

// TestQueryKeyNamesAllHidden: key-auth reads every key name from the
// query once any provider on the route reads keys there (key_in_query is
// one switch for all key_names), so the header provider's key name
// must be dropped from the logged query too. Before the fix only
// api_key was dropped, and ?X-API-Key=<key> was logged.
func TestQueryKeyNamesAllHidden(t *testing.T) {
	p := ossPolicy(t)
	p.Providers = append(p.Providers, &ir.Provider{Name: "legacy", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{
		In: "query", Name: "api_key",
		Consumers: []*ir.Consumer{{Name: "old", KeyRef: "env:OLD_API_KEY", Roles: []string{"orders-read"}}}}})
	p.Services[0].Routes[0].Providers = []string{"partners", "legacy"}
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	ka := plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth")
	if !ka.KeyInQuery || !slices.Equal(ka.KeyNames, []string{"X-API-Key", "api_key"}) {
		t.Fatalf("key-auth: %+v", ka)
	}
	fields := plugin[*kong.FileLogConfig](t, f, "orders.list", "file-log").CustomFieldsByLua
	for _, name := range ka.KeyNames {
		if fields["request.querystring."+name] != kong.LuaDrop && fields["request.querystring"] != kong.LuaDrop {
			t.Errorf("query parameter %s (an API key key-auth reads) is logged: %q", name, fields)
		}
	}
	if fields["request.uri"] != kong.LuaPathOnly || fields["upstream_uri"] != kong.LuaDrop || fields["request.url"] != kong.LuaDrop {
		t.Errorf("the URI fields keep the query: %q", fields)
	}
}

// TestOverlappingPathsPrecedence: every Kong route is a regex path, and
// Kong's router ranks regex routes by regex_priority only (path length
// counts for plain paths), so overlapping paths were matched in an order
// rampart does not choose. The engine's order must hold: an exact path
// beats a {param} pattern (literal segments first), which beats the
// longest prefix. Before the fix every route had regex_priority 0.
func TestOverlappingPathsPrecedence(t *testing.T) {
	p := ossPolicy(t)
	web := p.Services[1]
	add := func(name, path string, prefix bool) {
		r := *web.Routes[1] // web/static, prefix /static/
		r.Name, r.ID, r.Path, r.Prefix = name, "web/"+name, path, prefix
		web.Routes = append(web.Routes, &r)
	}
	add("file", "/static/{file}", false)
	add("index", "/static/index", false)
	add("deep", "/static/css/", true)
	add("lit-first", "/static/css/{f}", false)
	add("param-first", "/static/{dir}/main", false)
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	prio := func(id string) int {
		rs := kongRoutes(f, id)
		if len(rs) == 0 {
			t.Fatalf("no Kong route for %s", id)
		}
		for _, r := range rs[1:] {
			if r.RegexPriority != rs[0].RegexPriority {
				t.Fatalf("the Kong routes of %s differ in regex_priority", id)
			}
		}
		return rs[0].RegexPriority
	}
	// Each pair: the first wins where both match (engine order).
	for _, pair := range [][2]string{
		{"web/index", "web/file"},            // /static/index: exact over pattern
		{"web/file", "web/static"},           // /static/x: pattern over prefix
		{"web/deep", "web/static"},           // /static/css/a/b: longer prefix
		{"web/lit-first", "web/param-first"}, // /static/css/main: literal segment first
		{"web/lit-first", "web/deep"},        // /static/css/x: pattern over prefix
		{"web/param-first", "web/deep"},      // /static/css/main: pattern over prefix
	} {
		if hi, lo := prio(pair[0]), prio(pair[1]); hi <= lo {
			t.Errorf("%s (regex_priority %d) must beat %s (%d)", pair[0], hi, pair[1], lo)
		}
	}
	validateSchemas(t, artifact(t, p, kong.DeckFile))
}

// TestListenerSeparationFailsClosed: Kong matches routes by Host and
// path, never by the port a request came in on, and the client picks
// the Host header; so a service declared on an internal listener only is
// also served on the public one. Kong cannot reject what the policy does
// not declare there: validation.undeclared must not be claimed. Before
// the fix the build succeeded and web/* answered on port 443.
func TestListenerSeparationFailsClosed(t *testing.T) {
	p := ossPolicy(t)
	p.Listeners = append(p.Listeners, &ir.Listener{Name: "internal", Address: "127.0.0.1", Port: 9000,
		Origin: ir.Origin{File: "policy.cue", Line: 30, Col: 2}})
	p.Services[1].Listeners = []string{"internal"}
	if !p.RejectUndeclared {
		t.Fatal("fixture: rejectUndeclaredRoutes is off")
	}
	wantError(t, checkErrors(p), "validation.undeclared")
	if _, err := kong.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "validation.undeclared") {
		t.Fatalf("Build: %v", err)
	}
	// Every service on every listener: Kong's 404 is the policy's.
	p.Services[1].Listeners = []string{"internal", "public"}
	p.Services[0].Listeners = []string{"internal", "public"}
	if msgs := checkErrors(p); len(msgs) > 0 {
		t.Fatalf("shared listeners: %q", msgs)
	}
}
