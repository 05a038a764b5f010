package kong

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// Gap is a control Kong cannot enforce on one route, found while
// building kong.yaml: the part is left out, and Build fails unless a
// waiver covers it.
type Gap struct {
	Control, Route, Detail string
}

// emitter builds the decK file from the IR; it records gaps instead of
// emitting a weaker control.
type emitter struct {
	p         *ir.Policy
	providers map[string]*ir.Provider
	listeners map[string]*ir.Listener
	gaps      []Gap
	// priority is each route's regex_priority, by route id.
	priority map[string]int
}

func newEmitter(p *ir.Policy) *emitter {
	e := &emitter{p: p, providers: map[string]*ir.Provider{}, listeners: map[string]*ir.Listener{}}
	for _, pr := range p.Providers {
		e.providers[pr.Name] = pr
	}
	for _, l := range p.Listeners {
		e.listeners[l.Name] = l
	}
	e.priority = routePriorities(e.routes())
	return e
}

// routePriorities ranks routes as rampart's engine matches paths
// (proxy/engine/router.go): an exact path beats a {param} pattern, which
// beats a prefix; among patterns, literal segments earlier win; among
// prefixes, the longer. Kong ranks regex paths by regex_priority alone
// (kong/router/transform.lua get_priority counts the length of plain
// paths only), so overlapping paths need it: prefixes get their length,
// patterns rank above every prefix, exact paths above every pattern.
func routePriorities(rs []*ir.Route) map[string]int {
	base := 1
	keys := map[string]bool{}
	for _, r := range rs {
		switch {
		case r.Prefix:
			base = max(base, len(r.Path)+1)
		case pathParam.MatchString(r.Path):
			keys[patternKey(r.Path)] = true
		}
	}
	ranked := slices.Sorted(maps.Keys(keys))
	out := map[string]int{}
	for _, r := range rs {
		switch {
		case r.Prefix:
			out[r.ID] = len(r.Path)
		case pathParam.MatchString(r.Path):
			out[r.ID] = base + slices.Index(ranked, patternKey(r.Path))
		default:
			out[r.ID] = base + len(ranked)
		}
	}
	return out
}

// patternKey is the engine's rank of a {param} path: one character per
// segment, "1" literal and "0" placeholder; a greater key wins.
func patternKey(path string) string {
	var b strings.Builder
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if strings.HasPrefix(seg, "{") {
			b.WriteByte('0')
		} else {
			b.WriteByte('1')
		}
	}
	return b.String()
}

func (e *emitter) gap(r *ir.Route, control, detail string) {
	e.gaps = append(e.gaps, Gap{Control: control, Route: r.ID, Detail: detail})
}

// routes returns every route, in service and route order.
func (e *emitter) routes() []*ir.Route {
	var out []*ir.Route
	for _, s := range e.p.Services {
		out = append(out, s.Routes...)
	}
	return out
}

// file builds the whole decK file.
func (e *emitter) file() (*File, error) {
	f := &File{FormatVersion: FormatVersion}
	for _, s := range e.p.Services {
		svc, err := e.service(s)
		if err != nil {
			return nil, err
		}
		f.Services = append(f.Services, svc)
	}
	f.Consumers = e.consumers()
	f.Routes = e.unmatchedRoutes()
	return f, nil
}

// service builds one service and its routes.
func (e *emitter) service(s *ir.Service) (Service, error) {
	u, err := url.Parse(s.UpstreamURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Service{}, fmt.Errorf("service %s: upstream URL %q is not http(s)://host[:port][/path]", s.Name, s.UpstreamURL)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return Service{}, fmt.Errorf("service %s: upstream port %q", s.Name, p)
		}
	}
	svc := Service{Name: s.Name, Protocol: u.Scheme, Host: u.Hostname(), Port: port, Path: u.Path,
		Tags: []string{"rampart"}}
	if err := e.upstreamTLS(s, &svc); err != nil {
		return Service{}, err
	}
	e.upstreamTimeouts(s, &svc)
	for _, r := range s.Routes {
		routes, err := e.route(s, r)
		if err != nil {
			return Service{}, &targetapi.RouteError{Route: r.ID, Err: err}
		}
		svc.Routes = append(svc.Routes, routes...)
	}
	return svc, nil
}

// upstreamTLS sets the service's TLS verification. Kong verifies against
// lua_ssl_trusted_certificate (kong.conf), which holds the policy's CA
// files; it cannot present a client certificate from a file, nor verify a
// name other than the upstream host.
func (e *emitter) upstreamTLS(s *ir.Service, svc *Service) error {
	t := s.UpstreamTLS
	if t == nil {
		return nil
	}
	if svc.Protocol != "https" {
		return fmt.Errorf("service %s: upstream TLS settings on a plain-HTTP upstream", s.Name)
	}
	verify := t.Verify
	svc.TLSVerify = &verify
	for _, r := range s.Routes {
		if t.CertFile != "" || t.KeyFile != "" {
			e.gap(r, ir.CtlUpstreamTLS, "Kong needs the upstream client certificate as a PEM certificate entity, not a file")
		}
		if t.ServerName != "" && t.ServerName != svc.Host {
			e.gap(r, ir.CtlUpstreamTLS, "Kong verifies the upstream host name, not serverName "+t.ServerName)
		}
	}
	return nil
}

// upstreamTimeouts sets the service's timeouts to the smallest upstream
// timeout of its routes (Kong sets them per service).
func (e *emitter) upstreamTimeouts(s *ir.Service, svc *Service) {
	ms := 0
	for _, r := range s.Routes {
		ms = minSet(ms, r.Limits.UpstreamTimeout*1000)
	}
	svc.ConnectTimeout, svc.ReadTimeout, svc.WriteTimeout = ms, ms, ms
}

// route builds a route: one Kong route per group of methods that the
// same authorization rules cover (Kong's acl and openid-connect apply to
// a whole route), and, with CORS, a preflight route.
func (e *emitter) route(s *ir.Service, r *ir.Route) ([]Route, error) {
	path, err := pathRegex(r.Path, r.Prefix)
	if err != nil {
		return nil, err
	}
	base := Route{Name: routeName(r), Paths: []string{path}, RegexPriority: e.priority[r.ID],
		Tags: []string{"rampart", RouteTag(r.ID)}}
	base.Hosts, base.Protocols, base.HTTPSRedirectStatusCode = e.routeListeners(s)
	var out []Route
	groups := methodGroups(r)
	preflight := r.CORS != nil && !slices.Contains(r.Methods, "OPTIONS")
	// parts is how many Kong routes count the route's limits apart. The
	// preflight route's IP limit is not one of them: cors (priority 2000)
	// answers preflights before rate-limiting runs, as ir.PhaseOrder puts
	// CORS before the IP limit, so it counts only the other OPTIONS
	// requests, which it refuses with 405 (rampart's engine refuses those
	// at routing, uncounted).
	parts := len(groups)
	for _, g := range groups {
		kr := base
		kr.Methods = g.Methods
		if len(groups) > 1 {
			kr.Name += "_" + strings.ToLower(strings.Join(g.Methods, "_"))
		}
		if kr.Plugins, err = e.plugins(s, g, parts); err != nil {
			return nil, err
		}
		out = append(out, kr)
	}
	if preflight {
		pre := base
		pre.Name += "_preflight"
		pre.Methods = []string{"OPTIONS"}
		if pre.Plugins, err = e.preflightPlugins(s, r); err != nil {
			return nil, err
		}
		out = append(out, pre)
	}
	return out, nil
}

// preflightPlugins are the plugins of a CORS route's OPTIONS route: cors
// answers preflights, request-termination 405 ends any other OPTIONS
// request, and, as on the route itself, the security headers (with
// HSTS), the access log and the client-IP rate limit (the only limit key
// that needs no authentication). cors ends a preflight in the access phase; Kong still runs the
// header_filter and log phases, so the headers and the log apply.
func (e *emitter) preflightPlugins(s *ir.Service, r *ir.Route) ([]Plugin, error) {
	caps := e.caps()
	out := []Plugin{e.corsPlugin(r), terminate(405, "Method Not Allowed")}
	ip := *r
	ip.RateLimits = slices.DeleteFunc(slices.Clone(r.RateLimits), func(rl ir.RateLimit) bool { return rl.Key != "ip" })
	if rl, ok := e.rateLimit(&ip, authScheme{}, caps, 1); ok {
		out = append(out, rl)
	}
	headers, err := e.responseHeaders(s, r)
	if err != nil {
		return nil, err
	}
	if len(headers) > 0 {
		out = append(out, Plugin{Name: "response-transformer", Config: &ResponseTransformerConfig{
			Replace: HeaderList{Headers: headers}, Add: HeaderList{Headers: headers}}})
	}
	// The log drops what the route's own credentials would expose.
	if lg, ok := e.logPlugin(r, e.authScheme(r, caps), caps); ok {
		out = append(out, lg)
	}
	slices.SortStableFunc(out, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// bodyMethods are the methods whose content type request-validator
// checks: it checks every request it sees, and would refuse a GET
// without a Content-Type.
var bodyMethods = []string{"PATCH", "POST", "PUT"}

// methodGroups splits a route by the rules that apply to each method (and,
// with content types, by whether the method carries a body):
// each group is a copy of the route with its methods and the rules that
// cover all of them (with their method lists dropped). The IR is not
// modified.
func methodGroups(r *ir.Route) []*ir.Route {
	var out []*ir.Route
	keys := map[string]*ir.Route{}
	for _, m := range r.Methods {
		var key []string
		var rules []ir.Rule
		for i, rule := range r.Rules {
			if len(rule.Methods) == 0 || slices.Contains(rule.Methods, m) {
				key = append(key, strconv.Itoa(i))
				rule.Methods = nil
				rules = append(rules, rule)
			}
		}
		if len(r.ContentTypes) > 0 && slices.Contains(bodyMethods, m) {
			key = append(key, "body")
		}
		k := strings.Join(key, ",")
		if g, ok := keys[k]; ok {
			g.Methods = append(g.Methods, m)
			continue
		}
		g := *r
		g.Methods, g.Rules = []string{m}, rules
		keys[k] = &g
		out = append(out, &g)
	}
	return out
}

// RouteTag is the tag on every Kong route built from the IR route id
// ("service/route"): Kong tags cannot contain "/", so it becomes ".".
func RouteTag(id string) string { return "rampart-route:" + strings.ReplaceAll(id, "/", ".") }

// routeName is the Kong route name for a route: "service.route"; the
// routes split from it add "_<methods>" or "_preflight" ("_" is not in
// rampart's names, so they cannot collide).
func routeName(r *ir.Route) string { return r.Service + "." + r.Name }

// routeListeners returns the hosts, protocols and redirect status of a
// service's listeners. Kong matches routes by Host, not by port.
func (e *emitter) routeListeners(s *ir.Service) (hosts, protocols []string, redirect int) {
	for _, name := range s.Listeners {
		l := e.listeners[name]
		if l == nil {
			continue
		}
		hosts = append(hosts, l.Hosts...)
		proto := "http"
		if l.TLS != nil {
			proto = "https"
			if l.RedirectPort != 0 {
				redirect = 308
			}
		}
		protocols = append(protocols, proto)
	}
	slices.Sort(hosts)
	slices.Sort(protocols)
	protocols = slices.Compact(protocols)
	if len(protocols) != 1 || protocols[0] != "https" {
		redirect = 0
	}
	return slices.Compact(hosts), protocols, redirect
}

var pathParam = regexp.MustCompile(`\{[^{}/]+\}`)

// pathRegex is the anchored Kong regex path ("~" prefix) for a route's
// path: literal text is escaped, each {param} matches one segment, and a
// prefix route also matches everything below the path.
func pathRegex(path string, prefix bool) (string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("path %q does not start with /", path)
	}
	var b strings.Builder
	b.WriteString("~")
	last := 0
	for _, m := range pathParam.FindAllStringIndex(path, -1) {
		b.WriteString(regexp.QuoteMeta(path[last:m[0]]))
		b.WriteString("[^/]+")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(path[last:]))
	switch {
	case prefix && strings.HasSuffix(path, "/"):
		b.WriteString(".*")
	case prefix:
		b.WriteString("(?:/.*)?")
	}
	b.WriteString("$")
	if _, err := regexp.Compile(b.String()[1:]); err != nil {
		return "", fmt.Errorf("path %q: %v", path, err)
	}
	return b.String(), nil
}

// hostPort splits "host:port".
func hostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	return h, n, err
}
