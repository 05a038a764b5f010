package kong

import (
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// unmatchedRoutes are catch-all routes, one per listener host set (the
// first listener of a set names it), that answer requests no policy route
// matches with request-termination 404, the listener's HSTS and the
// security headers every route on it sets, and the access log. Without
// them Kong answers such requests itself ("no Route matched"), with no
// plugin run: no headers, no log.
//
// Kong ranks routes first by how many of methods, hosts, paths, headers
// and SNIs they match on (kong/router/transform.lua get_priority); the
// catch-all has no methods, so every policy route (hosts, paths and
// methods) is tried before it, whatever its regex_priority.
func (e *emitter) unmatchedRoutes() []Route {
	caps := e.caps()
	var out []Route
	seen := map[string]bool{}
	for _, l := range e.p.Listeners {
		svc := &ir.Service{Listeners: []string{l.Name}}
		hosts, protocols, redirect := e.routeListeners(svc)
		key := strings.Join(hosts, ",") + "|" + strings.Join(protocols, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		r := Route{Name: "unmatched_" + l.Name, Hosts: hosts, Paths: []string{"~/.*$"}, Methods: []string{}, Protocols: protocols,
			HTTPSRedirectStatusCode: redirect, Tags: []string{"rampart", "rampart-unmatched"}}
		r.Plugins = append(r.Plugins, terminate(404, "Not Found"))
		if headers := e.unmatchedHeaders(l, svc); len(headers) > 0 {
			r.Plugins = append(r.Plugins, Plugin{Name: "response-transformer", Config: &ResponseTransformerConfig{
				Replace: HeaderList{Headers: headers}, Add: HeaderList{Headers: slices.Clone(headers)}}})
		}
		if lg, ok := e.logPlugin(&ir.Route{AccessLog: true}, e.allAPIKeys(), caps); ok {
			r.Plugins = append(r.Plugins, lg)
		}
		slices.SortStableFunc(r.Plugins, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, r)
	}
	return out
}

// unmatchedHeaders are the security headers every route served on the
// listener sets (Kong serves every service on every listener, so all
// routes count), in the first route's order, and the listener's HSTS.
func (e *emitter) unmatchedHeaders(l *ir.Listener, svc *ir.Service) []string {
	var common []string
	for i, r := range e.routes() {
		var set []string
		for _, h := range r.Headers.Set {
			if headerNameRE.MatchString(h.Name) && !strings.ContainsAny(h.Value, "\r\n\x00") {
				set = append(set, h.Name+":"+h.Value)
			}
		}
		if i == 0 {
			common = set
			continue
		}
		common = slices.DeleteFunc(common, func(h string) bool { return !slices.Contains(set, h) })
	}
	if v := e.hsts(svc); v != "" {
		common = append(common, "Strict-Transport-Security:"+v)
	}
	return common
}

// allAPIKeys is every API-key provider, so that the catch-all's log
// drops every query parameter key-auth reads anywhere.
func (e *emitter) allAPIKeys() authScheme {
	a := authScheme{kind: ir.KindAPIKey}
	for _, pr := range e.p.Providers {
		if pr.Kind == ir.KindAPIKey {
			a.providers = append(a.providers, pr)
		}
	}
	return a
}
