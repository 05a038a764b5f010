package nginx

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
)

// Location kinds, mirroring the engine's router: an exact path beats a
// {param} pattern, which beats the longest prefix.
const (
	kindExact = iota
	kindPattern
	kindPrefix
)

// authzPath is the internal location of the authorizer subrequest.
const authzPath = "/_rampart_authz"

// loc is one nginx location: the routes of one path (one per method
// set) of one service.
type loc struct {
	kind   int
	path   string
	svc    *ir.Service
	routes []*ir.Route
}

// quoteMeta regex-escapes s.
func quoteMeta(s string) string { return regexp.QuoteMeta(s) }

// group collects a listener's routes into locations, in the order nginx
// must see them: exact and prefix by path, patterns by the engine's
// specificity (literal segments first), regex locations being
// first-match.
func (e *emitter) group(l *ir.Listener) ([]*loc, error) {
	var out []*loc
	byKey := map[string]*loc{}
	for _, s := range e.p.Services {
		if !contains(s.Listeners, l.Name) {
			continue
		}
		for _, r := range s.Routes {
			kind, key, err := routeKind(r)
			if err != nil {
				return nil, &targetapi.RouteError{Route: r.ID, Err: err}
			}
			k := fmt.Sprint(kind, key)
			lc := byKey[k]
			if lc == nil {
				lc = &loc{kind: kind, path: key, svc: s}
				byKey[k] = lc
				out = append(out, lc)
			}
			if lc.svc != s {
				return nil, &targetapi.RouteError{Route: r.ID, Err: fmt.Errorf("shares path %s with route %s on listener %s, which belongs to another service", r.Path, lc.routes[0].ID, l.Name)}
			}
			lc.routes = append(lc.routes, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.kind == kindPattern {
			return patternKey(a.path) > patternKey(b.path)
		}
		return a.path < b.path
	})
	return out, nil
}

// routeKind classifies a route and returns its normalised path.
func routeKind(r *ir.Route) (int, string, error) {
	if err := checkPath(r.Path); err != nil {
		return 0, "", err
	}
	switch {
	case strings.Contains(r.Path, "{") && r.Prefix:
		return 0, "", fmt.Errorf("prefix path %q holds a {param}", r.Path)
	case r.Prefix:
		return kindPrefix, strings.TrimSuffix(r.Path, "/"), nil
	case strings.Contains(r.Path, "{"):
		return kindPattern, r.Path, nil
	}
	p := strings.TrimSuffix(r.Path, "/")
	if p == "" {
		p = "/"
	}
	return kindExact, p, nil
}

// checkPath accepts absolute paths of RFC 3986 segment characters and
// whole-segment {params}; anything else fails the build.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is not absolute", p)
	}
	if p == authzPath || strings.HasPrefix(p, "/_rampart") {
		return fmt.Errorf("path %q is reserved for rampart's authorizer subrequest", p)
	}
	for _, s := range strings.Split(p[1:], "/") {
		if !pathSegRE.MatchString(s) && !paramSegRE.MatchString(s) || s == "." || s == ".." {
			return fmt.Errorf("path %q: segment %q is not a plain segment or {param}", p, s)
		}
	}
	return nil
}

// patternKey ranks a pattern as the engine does: "1" per literal
// segment, "0" per placeholder.
func patternKey(p string) string {
	var b strings.Builder
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if strings.HasPrefix(s, "{") {
			b.WriteByte('0')
		} else {
			b.WriteByte('1')
		}
	}
	return b.String()
}

// patternRegex builds ^/a/[^/]+/?$ from regex-escaped literal segments.
func patternRegex(p string) string {
	var parts []string
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if strings.HasPrefix(s, "{") {
			parts = append(parts, "[^/]+")
		} else {
			parts = append(parts, quoteMeta(s))
		}
	}
	return "^/" + strings.Join(parts, "/") + "/?$"
}

// matchers returns the location arguments for lc: an exact path matches
// with and without a trailing slash, a prefix matches the path and
// everything below it (never "/pathX"). Prefix locations are plain, not
// ^~: the engine ranks {param} patterns above prefixes, and so does nginx
// for regex locations over plain prefixes.
func matchers(lc *loc, exact map[string]bool) [][]Arg {
	switch lc.kind {
	case kindPattern:
		return [][]Arg{Raws("~", patternRegex(lc.path))}
	case kindExact:
		out := [][]Arg{{Raw("="), Lit(lc.path)}}
		if lc.path != "/" {
			out = append(out, []Arg{Raw("="), Lit(lc.path + "/")})
		}
		return out
	}
	if lc.path == "" {
		return [][]Arg{{Lit("/")}}
	}
	out := [][]Arg{{Lit(lc.path + "/")}}
	if !exact[lc.path] {
		out = append(out, []Arg{Raw("="), Lit(lc.path)})
	}
	return out
}

// locations returns the listener's location blocks, the authorizer's
// internal location, and the catch-all that answers 404.
func (e *emitter) locations(l *ir.Listener) ([]Directive, error) {
	locs, err := e.group(l)
	if err != nil {
		return nil, err
	}
	exact := map[string]bool{}
	rootPrefix := false
	for _, lc := range locs {
		exact[lc.path] = exact[lc.path] || lc.kind == kindExact
		rootPrefix = rootPrefix || (lc.kind == kindPrefix && lc.path == "")
	}
	var out, named []Directive
	auth := false
	for _, lc := range locs {
		body, extra, err := e.location(l, lc)
		if err != nil {
			return nil, err
		}
		auth = auth || len(extra) > 0
		named = append(named, extra...)
		for _, m := range matchers(lc, exact) {
			out = append(out, B("location", m, body...).WithComment(routeIDs(lc.routes)))
		}
	}
	if auth {
		a, err := e.authzLocation(l)
		if err != nil {
			return nil, err
		}
		out = append([]Directive{a}, out...)
	}
	if !rootPrefix {
		out = append(out, catchAll(l))
	}
	return append(out, named...), nil
}

// catchAll answers 404 to every path no route declares.
func catchAll(l *ir.Listener) Directive {
	body := append([]Directive{D("set", Raw(varRoute), Raw(""))}, addHeaders(defaultHeaderSet(l))...)
	body = append(body, D("return", Raw("404")))
	return B("location", Raws("/"), body...).WithComment("undeclared routes")
}

// routeIDs names a location's routes for comments.
func routeIDs(rs []*ir.Route) string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return "route " + strings.Join(ids, ", ")
}

// location returns one location's body in nginx phase order, plus any
// named locations it needs at server level.
func (e *emitter) location(l *ir.Listener, lc *loc) (body, named []Directive, err error) {
	hdrs, err := e.routeHeaders(l, lc.routes)
	if err != nil {
		return nil, nil, err
	}
	cors, err := e.cors(lc)
	if err != nil {
		return nil, nil, err
	}
	all := append(append([]header{}, hdrs...), cors.headers...)
	steps := []func() ([]Directive, error){
		func() ([]Directive, error) { return e.routeVar(lc) },
		func() ([]Directive, error) { return cors.preflight(all), nil },
		func() ([]Directive, error) { return methodCheck(lc.routes, all) },
		func() ([]Directive, error) { return e.subjectCheck(l), nil },
		func() ([]Directive, error) { return e.contentTypes(lc) },
		func() ([]Directive, error) { return e.rateLimits(lc) },
		func() ([]Directive, error) { return locationLimits(lc.routes), nil },
		func() ([]Directive, error) {
			var d []Directive
			d, named, err = e.auth(lc, all)
			return d, err
		},
		func() ([]Directive, error) { return e.proxy(lc, all, len(named) > 0) },
		func() ([]Directive, error) { return addHeaders(all), nil },
		func() ([]Directive, error) { return e.accessLog(lc.routes) },
	}
	for _, step := range steps {
		ds, err := step()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", routeIDs(lc.routes), err)
		}
		body = append(body, ds...)
	}
	return body, named, nil
}

// routeVar sets $rampart_route for the log and the upstream: the route ID,
// or a map on the method when several routes share the path.
func (e *emitter) routeVar(lc *loc) ([]Directive, error) {
	ids := make([]string, len(lc.routes))
	for i, r := range lc.routes {
		ids[i] = r.ID
	}
	v, err := e.perRoute(lc.routes, ids)
	if err != nil {
		return nil, err
	}
	return []Directive{D("set", Raw(varRoute), v)}, nil
}

// methodCheck answers 405 with Allow to methods no route of the location
// declares. It is an if/return in the rewrite phase rather than
// limit_except: limit_except answers 403, lets HEAD through with GET, and
// runs in the access phase after rate limits.
func methodCheck(rs []*ir.Route, hdrs []header) ([]Directive, error) {
	var methods []string
	for _, r := range rs {
		for _, m := range r.Methods {
			if !contains(methods, m) {
				methods = append(methods, m)
			}
		}
	}
	alt, err := methodAlternation(methods)
	if err != nil {
		return nil, err
	}
	body := append(addHeaders(hdrs), D("add_header", Lit("Allow"), Lit(strings.Join(methods, ", ")), Raw("always")),
		D("return", Raw("405")))
	return []Directive{B("if", Raws("(", "$request_method", "!~", "^("+alt+")$", ")"), body...)}, nil
}
