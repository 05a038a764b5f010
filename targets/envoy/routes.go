package envoy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// group is the routes that share one path on a listener: each forwards
// its methods, then one route answers 405 for every other method.
type group struct {
	path   string
	prefix bool
	params bool
	routes []*ir.Route
	svcs   []*ir.Service // the service of each route
}

// paramRE matches a {param} path segment.
var paramRE = regexp.MustCompile(`\{[a-zA-Z][a-zA-Z0-9_]*\}`)

// groups collects the listener's routes by path, most specific first:
// plain exact paths, then paths with {param} segments, then prefixes,
// longest first.
func (e *emitter) groups(l *ir.Listener) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			key := fmt.Sprintf("%t %s", r.Prefix, r.Path)
			g := byKey[key]
			if g == nil {
				g = &group{path: r.Path, prefix: r.Prefix, params: paramRE.MatchString(r.Path)}
				byKey[key] = g
				out = append(out, g)
			}
			g.routes = append(g.routes, r)
			g.svcs = append(g.svcs, s)
		}
	}
	rank := func(g *group) int {
		switch {
		case !g.prefix && !g.params:
			return 0
		case !g.prefix:
			return 1
		case g.params:
			return 2
		}
		return 3
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if len(a.path) != len(b.path) {
			return len(a.path) > len(b.path)
		}
		return a.path < b.path
	})
	return out
}

// routeConfig is the listener's route table: one virtual host for its
// hosts; each declared route forwards its methods (and content types);
// other methods get 405, other content types 415, anything undeclared
// 404.
func (e *emitter) routeConfig(l *ir.Listener) (*routev3.RouteConfiguration, error) {
	var routes []*routev3.Route
	for _, g := range e.groups(l) {
		for i, r := range g.routes {
			rs, err := e.forwardRoutes(l, g, g.svcs[i], r)
			if err != nil {
				return nil, &targetapi.RouteError{Route: r.ID, Err: err}
			}
			routes = append(routes, rs...)
		}
		for _, r := range g.routes {
			if r.CORS != nil {
				routes = append(routes, e.preflightRoute(l, g, r))
			}
		}
		routes = append(routes, e.directRoute(l, g.routes[0], g.routes[0].ID+"#405", pathMatch(g), 405, false))
	}
	catchAll := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	routes = append(routes, e.directRoute(l, nil, l.Name+"#404", catchAll, 404, false))
	if re := oneLabelHosts(l.Hosts); re != "" {
		// Envoy's "*.example.com" domain also matches a.b.example.com;
		// the policy's matches one label: other hosts get the 404 first
		m := cloneMatch(catchAll)
		guard := regexHeader(":authority", re)
		guard.InvertMatch = true
		m.Headers = []*routev3.HeaderMatcher{guard}
		routes = append([]*routev3.Route{e.directRoute(l, nil, l.Name+"#undeclared-host", m, 404, false)}, routes...)
	}
	vhosts := []*routev3.VirtualHost{{Name: l.Name, Domains: domains(l.Hosts), Routes: routes}}
	if vhosts[0].Domains[0] != "*" {
		// undeclared hosts: 404 from a route of their own, so they are
		// logged with a route name like every other request
		vhosts = append(vhosts, &routev3.VirtualHost{Name: l.Name + "_undeclared", Domains: []string{"*"},
			Routes: []*routev3.Route{e.directRoute(l, nil, l.Name+"#undeclared-host", catchAll, 404, false)}})
	}
	return &routev3.RouteConfiguration{Name: l.Name, VirtualHosts: vhosts}, nil
}

// oneLabelHosts is an expression matching exactly the listener's hosts,
// a "*." wildcard standing for one DNS label, case-insensitively; "" when
// no host is a wildcard (Envoy's domains then match exactly).
func oneLabelHosts(hosts []string) string {
	wild := false
	var alts []string
	for _, h := range hosts {
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			wild = true
			alts = append(alts, `[^.]+\.`+regexp.QuoteMeta(rest))
			continue
		}
		alts = append(alts, regexp.QuoteMeta(h))
	}
	if !wild {
		return ""
	}
	return `(?i)(` + strings.Join(alts, "|") + `)`
}

// forwardRoutes are the routes that send r's requests upstream: one, or
// with content types, one per way a request may pass the content-type
// check (a listed type, or no body) and a 415 for the rest. The no-body
// route judges by headers, which is exact only in HTTP/1.1: the listener
// of such a route serves nothing else (http1Only). Every forwarding route
// keeps its own token buckets, so each gets its share of r's rate limits
// (forwardParts).
func (e *emitter) forwardRoutes(l *ir.Listener, g *group, s *ir.Service, r *ir.Route) ([]*routev3.Route, error) {
	action, err := e.routeAction(s, r)
	if err != nil {
		return nil, err
	}
	pf, err := e.perFilter(l, r, forwardParts(e.p, s, r))
	if err != nil {
		return nil, err
	}
	base := pathMatch(g)
	base.Headers = []*routev3.HeaderMatcher{methodMatcher(r.Methods)}
	mk := func(name string, extra ...*routev3.HeaderMatcher) *routev3.Route {
		m := cloneMatch(base)
		m.Headers = append(m.Headers, extra...)
		rt := &routev3.Route{Name: name, Match: m, Action: action, TypedPerFilterConfig: pf}
		e.responseHeaders(l, r, rt)
		return rt
	}
	if len(r.ContentTypes) == 0 {
		return []*routev3.Route{mk(r.ID)}, nil
	}
	out := []*routev3.Route{
		mk(r.ID, contentTypeMatcher(r.ContentTypes)),
		mk(r.ID+"#no-body", noBody(), absent("transfer-encoding")),
		e.directRoute(l, r, r.ID+"#415", base, 415, true),
	}
	return out, nil
}

// routeAction forwards to the service's cluster with the route's
// timeouts.
func (e *emitter) routeAction(s *ir.Service, r *ir.Route) (*routev3.Route_Route, error) {
	u, err := parseUpstream(s.UpstreamURL)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", s.Name, err)
	}
	ra := &routev3.RouteAction{
		ClusterSpecifier:     &routev3.RouteAction_Cluster{Cluster: serviceCluster(s)},
		HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: u.hostport},
		Timeout:              seconds(r.Limits.UpstreamTimeout),
		IdleTimeout:          seconds(r.Limits.BodyTimeout),
	}
	return &routev3.Route_Route{Route: ra}, nil
}

// directRoute answers status itself. A 405 or 404 is decided before any
// limit or authentication (the routing phase); a 415 after IP limits
// (the limits phase), so it keeps the route's rate limits and CORS.
func (e *emitter) directRoute(l *ir.Listener, r *ir.Route, name string, m *routev3.RouteMatch, status uint32, limited bool) *routev3.Route {
	rt := &routev3.Route{Name: name, Match: cloneMatch(m),
		Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: status}}}
	rt.TypedPerFilterConfig = e.directPerFilter(l, r, limited)
	if r != nil {
		e.responseHeaders(l, r, rt)
	} else {
		// the 404s belong to no route: the headers every route sets
		for _, h := range e.listenerHeaders(l) {
			rt.ResponseHeadersToAdd = append(rt.ResponseHeadersToAdd, overwrite(h.Name, h.Value))
		}
	}
	return rt
}

// preflightRoute carries r's CORS policy for a preflight asking for one
// of r's methods, so that on a path several routes share, each answers
// its own preflights. The cors filter answers an allowed preflight; any
// other OPTIONS request falls through to 405.
func (e *emitter) preflightRoute(l *ir.Listener, g *group, r *ir.Route) *routev3.Route {
	m := pathMatch(g)
	m.Headers = []*routev3.HeaderMatcher{methodMatcher([]string{"OPTIONS"}),
		regexHeader("access-control-request-method", methodMatcher(r.Methods).GetStringMatch().GetSafeRegex().GetRegex())}
	return e.directRoute(l, r, r.ID+"#preflight", m, 405, false)
}

// pathMatch matches a group's path: exactly, as a separated prefix, or
// by a regular expression when it has {param} segments.
func pathMatch(g *group) *routev3.RouteMatch {
	switch {
	case g.params:
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: PathRegex(g.path, g.prefix)}}}
	case !g.prefix:
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: g.path}}
	case strings.HasSuffix(g.path, "/"):
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: g.path}}
	}
	return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: g.path}}
}

// PathRegex is the RE2 expression for a path with {param} segments, each
// matching one non-empty segment; a prefix also matches below it.
func PathRegex(path string, prefix bool) string {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range paramRE.FindAllStringIndex(path, -1) {
		b.WriteString(regexp.QuoteMeta(path[last:loc[0]]))
		b.WriteString("[^/]+")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(path[last:]))
	if prefix {
		b.WriteString("(/.*)?")
	}
	b.WriteString("$")
	return b.String()
}

// methodMatcher matches the :method pseudo-header against methods.
func methodMatcher(methods []string) *routev3.HeaderMatcher {
	var q []string
	for _, m := range methods {
		q = append(q, regexp.QuoteMeta(m))
	}
	return regexHeader(":method", "^("+strings.Join(q, "|")+")$")
}

// contentTypeMatcher matches a Content-Type whose media type is one of
// types, case-insensitively, with any parameters.
func contentTypeMatcher(types []string) *routev3.HeaderMatcher {
	var q []string
	for _, t := range types {
		q = append(q, regexp.QuoteMeta(strings.ToLower(t)))
	}
	return regexHeader("content-type", `(?i)^\s*(`+strings.Join(q, "|")+`)\s*(;.*)?$`)
}

// regexHeader matches a header by RE2 expression.
func regexHeader(name, re string) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: re}}}}}
}

// noBody matches a request whose content-length is absent or 0 (Envoy's
// codecs refuse an empty or malformed one before routing), so that with
// transfer-encoding absent one route passes requests without a body.
func noBody() *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: "content-length", TreatMissingHeaderAsEmpty: true,
		HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "^0?$"}}}}}
}

// absent matches a request without the header.
func absent(name string) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: false}}
}

// cloneMatch copies a match so routes never share one message.
func cloneMatch(m *routev3.RouteMatch) *routev3.RouteMatch {
	c := &routev3.RouteMatch{PathSpecifier: m.PathSpecifier}
	c.Headers = append(c.Headers, m.Headers...)
	return c
}

// headerValue is a literal header value for Envoy, which reads '%' in
// header values as the start of a command: %% is a literal '%'.
func headerValue(v string) string { return strings.ReplaceAll(v, "%", "%%") }

// overwrite sets a response header, replacing any upstream value.
func overwrite(name, value string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: name, Value: headerValue(value)},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
}
