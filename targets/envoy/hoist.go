package envoy

import (
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// HoistedFilters are the HTTP filters whose per-route configuration the
// target may set once on a virtual host instead of on each route. Envoy
// resolves each of them most-specific-first (route, then virtual host,
// then route configuration: Http::Utility::resolveMostSpecificPerFilterConfig)
// and keeps no state in it, so a route that inherits the virtual host's
// configuration behaves exactly as with its own copy:
//
//   - rbac: the engine is built from the RBACPerRoute and only read;
//   - buffer: the limit is read per request;
//   - ext_authz: only the most specific disabled flag is read (the
//     context extensions are merged, and rampart sets none);
//   - jwt_authn: the requirement name or disabled flag is read.
//
// Left out on purpose:
//
//   - local_ratelimit: the token buckets live in the per-route
//     configuration object, so routes sharing the virtual host's
//     configuration would share buckets, where the policy (and rampart's
//     proxy) keeps them per route;
//   - cors: the filter merges the route's and the virtual host's policies
//     field by field (an empty field on the route falls through to the
//     virtual host's), so a hoisted policy would leak into routes.
var HoistedFilters = []string{filterBuffer, filterExtAuthz, filterJWT, filterRBAC}

// hoist moves what the routes of a virtual host repeat onto the virtual
// host: for each of HoistedFilters the per-route configuration the
// forwarding routes repeat most (every route of the virtual host has one,
// so none inherits a configuration it did not have), and the response
// headers every route adds or removes. The effective configuration of
// every route is unchanged.
//
// Only a forwarding route's configuration is hoisted, never a direct
// response's (RBAC allowing all, jwt_authn, ext_authz and buffer off): a
// route that loses its own configuration in live then inherits a real
// route's checks, not none (drift reports it either way).
func hoist(vh *routev3.VirtualHost) {
	if len(vh.Routes) < 2 {
		return
	}
	for _, f := range HoistedFilters {
		hoistFilter(vh, f)
	}
	hoistHeaders(vh)
}

// hoistFilter sets the virtual host's configuration for filter f to the
// forwarding routes' configuration that saves the most bytes, and drops it
// from the routes that carry the same; nothing moves unless every route
// has a configuration for f and one is repeated. (pack marshals
// deterministically, so equal messages have equal anyKeys.)
func hoistFilter(vh *routev3.VirtualHost, f string) {
	count := map[string]int{}
	var order []string
	for _, r := range vh.Routes {
		a := r.TypedPerFilterConfig[f]
		if a == nil {
			return
		}
		if r.GetRoute() == nil {
			continue // a direct response's configuration is never inherited
		}
		k := anyKey(a)
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	best, saved := "", 0
	for _, k := range order { // first seen wins a tie: deterministic
		if s := (count[k] - 1) * len(k); count[k] > 1 && s > saved {
			best, saved = k, s
		}
	}
	if best == "" {
		return
	}
	if vh.TypedPerFilterConfig == nil {
		vh.TypedPerFilterConfig = map[string]*anypb.Any{}
	}
	for _, r := range vh.Routes {
		if anyKey(r.TypedPerFilterConfig[f]) != best {
			continue
		}
		if vh.TypedPerFilterConfig[f] == nil {
			vh.TypedPerFilterConfig[f] = proto.Clone(r.TypedPerFilterConfig[f]).(*anypb.Any)
		}
		delete(r.TypedPerFilterConfig, f)
	}
}

// hoistHeaders moves the response headers every route of the virtual host
// adds, with the same value and action, to the virtual host, and the
// removals every route makes of headers no route adds. Envoy applies a
// virtual host's header rules wherever it applies a route's (the route
// entry's finalizeResponseHeaders runs the route's, the virtual host's and
// the route configuration's parsers), and a hoisted header is one no route
// still sets itself, so the order the levels run in does not matter.
func hoistHeaders(vh *routev3.VirtualHost) {
	var common []*corev3.HeaderValueOption
	for _, h := range vh.Routes[0].ResponseHeadersToAdd {
		if everyRoute(vh, func(r *routev3.Route) bool { return addsExactly(r, h) }) {
			common = append(common, h)
		}
	}
	for _, h := range common {
		for _, r := range vh.Routes {
			r.ResponseHeadersToAdd = slices.DeleteFunc(r.ResponseHeadersToAdd, func(o *corev3.HeaderValueOption) bool {
				return proto.Equal(o, h)
			})
		}
		vh.ResponseHeadersToAdd = append(vh.ResponseHeadersToAdd, proto.Clone(h).(*corev3.HeaderValueOption))
	}
	for _, name := range slices.Clone(vh.Routes[0].ResponseHeadersToRemove) {
		if !everyRoute(vh, func(r *routev3.Route) bool {
			return slices.Contains(r.ResponseHeadersToRemove, name) && !addsName(r, name)
		}) {
			continue
		}
		for _, r := range vh.Routes {
			r.ResponseHeadersToRemove = slices.DeleteFunc(r.ResponseHeadersToRemove, func(o string) bool { return o == name })
			if len(r.ResponseHeadersToRemove) == 0 {
				r.ResponseHeadersToRemove = nil
			}
		}
		vh.ResponseHeadersToRemove = append(vh.ResponseHeadersToRemove, name)
	}
}

// everyRoute reports whether ok holds for every route of vh.
func everyRoute(vh *routev3.VirtualHost, ok func(*routev3.Route) bool) bool {
	return !slices.ContainsFunc(vh.Routes, func(r *routev3.Route) bool { return !ok(r) })
}

// addsExactly reports whether r adds h and no other value for its name.
func addsExactly(r *routev3.Route, h *corev3.HeaderValueOption) bool {
	n := 0
	for _, o := range r.ResponseHeadersToAdd {
		if strings.EqualFold(o.GetHeader().GetKey(), h.GetHeader().GetKey()) {
			if !proto.Equal(o, h) {
				return false
			}
			n++
		}
	}
	return n == 1
}

// addsName reports whether r adds a header called name.
func addsName(r *routev3.Route, name string) bool {
	return slices.ContainsFunc(r.ResponseHeadersToAdd, func(o *corev3.HeaderValueOption) bool {
		return strings.EqualFold(o.GetHeader().GetKey(), name)
	})
}
