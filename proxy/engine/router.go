package engine

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/proxy/config"
)

// route is a compiled route.
type route struct {
	cfg      *config.Route
	segments []string // path segments; "" marks a {param}
	methods  map[string]bool
}

// router finds routes by listener, path and method.
type router struct {
	byListener map[string]*table
}

// table holds one listener's routes: exact paths in a map, patterns with
// placeholders and prefixes in specificity order.
type table struct {
	exact    map[string][]*route
	patterns []*route // with {param} segments, most specific first
	prefixes []*route // longest first
}

// newRouter compiles the config's routes.
func newRouter(routes []config.Route) *router {
	rt := &router{byListener: map[string]*table{}}
	for i := range routes {
		r := compileRoute(&routes[i])
		for _, l := range r.cfg.Listeners {
			t := rt.byListener[l]
			if t == nil {
				t = &table{exact: map[string][]*route{}}
				rt.byListener[l] = t
			}
			t.add(r)
		}
	}
	for _, t := range rt.byListener {
		t.sort()
	}
	return rt
}

// newFoldRouter compiles the routes with lower-cased paths, for
// detecting requests that differ from a route only in letter case.
func newFoldRouter(routes []config.Route) *router {
	folded := make([]config.Route, len(routes))
	for i, r := range routes {
		folded[i] = r
		folded[i].Path = strings.ToLower(r.Path)
	}
	rt := newRouter(folded)
	// keep pointers to the original routes so callers can compare them
	for _, t := range rt.byListener {
		for _, rs := range t.exact {
			relink(rs, routes, folded)
		}
		relink(t.patterns, routes, folded)
		relink(t.prefixes, routes, folded)
	}
	return rt
}

// relink points compiled routes back at the original config entries.
func relink(rs []*route, orig, folded []config.Route) {
	for _, r := range rs {
		for i := range folded {
			if r.cfg == &folded[i] {
				r.cfg = &orig[i]
			}
		}
	}
}

func compileRoute(c *config.Route) *route {
	r := &route{cfg: c, methods: map[string]bool{}}
	for _, m := range c.Methods {
		r.methods[m] = true
	}
	for _, s := range strings.Split(strings.Trim(c.Path, "/"), "/") {
		if strings.HasPrefix(s, "{") {
			s = ""
		}
		r.segments = append(r.segments, s)
	}
	return r
}

func (t *table) add(r *route) {
	switch {
	case r.cfg.Prefix:
		t.prefixes = append(t.prefixes, r)
	case strings.Contains(r.cfg.Path, "{"):
		t.patterns = append(t.patterns, r)
	default:
		p := strings.TrimSuffix(r.cfg.Path, "/")
		if p == "" {
			p = "/"
		}
		t.exact[p] = append(t.exact[p], r)
	}
}

// sort orders patterns so literal segments beat placeholders, and
// prefixes longest first.
func (t *table) sort() {
	slices.SortStableFunc(t.patterns, func(a, b *route) int {
		return strings.Compare(patternKey(b), patternKey(a))
	})
	slices.SortStableFunc(t.prefixes, func(a, b *route) int { return len(b.cfg.Path) - len(a.cfg.Path) })
}

// patternKey ranks a pattern: one character per segment, "1" literal and
// "0" placeholder, so comparing keys prefers literals earlier in the path.
func patternKey(r *route) string {
	var b strings.Builder
	for _, s := range r.segments {
		if s == "" {
			b.WriteByte('0')
		} else {
			b.WriteByte('1')
		}
	}
	return b.String()
}

// match returns the routes of the most specific path that matches on
// listener: the exact path's routes, else the best placeholder pattern's,
// else the longest prefix's. Several routes may share that path (one per
// method); the caller picks by method.
func (rt *router) match(listener, path string) []*route {
	t := rt.byListener[listener]
	if t == nil {
		return nil
	}
	clean := strings.TrimSuffix(path, "/")
	if clean == "" {
		clean = "/"
	}
	if rs := t.exact[clean]; len(rs) > 0 {
		return rs
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if out := samePath(t.patterns, func(r *route) bool { return segmentsMatch(r.segments, segs) }); len(out) > 0 {
		return out
	}
	return samePath(t.prefixes, func(r *route) bool { return hasPathPrefix(path, r.cfg.Path) })
}

// samePath returns the first route in rs that ok accepts, with every
// other accepted route declaring the same path.
func samePath(rs []*route, ok func(*route) bool) []*route {
	var out []*route
	for _, r := range rs {
		if ok(r) && (len(out) == 0 || r.cfg.Path == out[0].cfg.Path) {
			out = append(out, r)
		}
	}
	return out
}

func segmentsMatch(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if segs[i] == "" || (p != "" && p != segs[i]) {
			return false
		}
	}
	return true
}

// hasPathPrefix matches "/a" against "/a", "/a/" and "/a/b", never "/ab".
func hasPathPrefix(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return true
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}
