package envoy

import (
	"fmt"

	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// httpFilters is the listener's filter chain in ir.PhaseOrder (see
// PhaseFilters), leaving out filters no route on the listener uses. rbac
// and router are always present; rbac's listener-wide rules deny
// everything, and every route overrides them with its own.
func (e *emitter) httpFilters(l *ir.Listener) ([]*hcmv3.HttpFilter, error) {
	on := e.filtersOn(l)
	var out []*hcmv3.HttpFilter
	for _, name := range filterOrder() {
		if !on[name] {
			continue
		}
		cfg, err := e.filterConfig(l, name)
		if err != nil {
			return nil, err
		}
		out = append(out, &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: e.pack(cfg)}})
	}
	return out, nil
}

// filtersOn reports which filters the listener's routes need (worked
// out once per listener: every route asks).
func (e *emitter) filtersOn(l *ir.Listener) map[string]bool {
	if on, ok := e.filters[l.Name]; ok {
		return on
	}
	on := map[string]bool{filterRBAC: true, filterRouter: true}
	e.filters[l.Name] = on
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			on[filterCORS] = on[filterCORS] || r.CORS != nil
			on[filterRateLimit] = on[filterRateLimit] || len(nativeLimits(r)) > 0
			on[filterBuffer] = on[filterBuffer] || r.Limits.MaxBodyBytes > 0
			on[filterExtAuthz] = on[filterExtAuthz] || e.needsAuthorizer(r)
			on[filterJWT] = on[filterJWT] || len(e.jwtProviders(r)) > 0
		}
	}
	return on
}

// filterConfig is a filter's listener-wide configuration.
func (e *emitter) filterConfig(l *ir.Listener, name string) (proto.Message, error) {
	switch name {
	case filterCORS:
		return &corsv3.Cors{}, nil
	case filterRateLimit:
		// no listener-wide bucket: each route brings its own
		return &localrlv3.LocalRateLimit{StatPrefix: "rampart_ratelimit", FilterEnabled: percent100("local_rate_limit_enabled"),
			FilterEnforced: percent100("local_rate_limit_enforced")}, nil
	case filterBuffer:
		return &bufferv3.Buffer{MaxRequestBytes: wrapperspb.UInt32(e.maxBody(l))}, nil
	case filterExtAuthz:
		return e.extAuthz(l)
	case filterJWT:
		return e.jwtAuthn(l)
	case filterRBAC:
		return &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW}}, nil
	case filterRouter:
		return &routerv3.Router{SuppressEnvoyHeaders: true}, nil
	}
	return nil, fmt.Errorf("no configuration for filter %s", name)
}

// router is the router filter alone, for redirect listeners.
func (e *emitter) router() *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: filterRouter, ConfigType: &hcmv3.HttpFilter_TypedConfig{
		TypedConfig: e.pack(&routerv3.Router{SuppressEnvoyHeaders: true})}}
}

// perFilter is a forwarding route's per-filter configuration, for each
// filter on the listener; parts is how many Envoy routes forward r's
// requests (its rate limits are shared among them).
func (e *emitter) perFilter(l *ir.Listener, r *ir.Route, parts int) (map[string]*anypb.Any, error) {
	on := e.filtersOn(l)
	out := map[string]*anypb.Any{}
	if on[filterCORS] && r.CORS != nil {
		out[filterCORS] = e.pack(corsPolicy(r.CORS))
	}
	if on[filterRateLimit] {
		rl, err := e.localLimit(r, parts)
		if err != nil {
			return nil, err
		}
		if rl != nil {
			out[filterRateLimit] = e.pack(rl)
		}
	}
	if on[filterBuffer] {
		out[filterBuffer] = e.pack(bufferPerRoute(r))
	}
	if on[filterExtAuthz] {
		out[filterExtAuthz] = e.pack(&extauthzv3.ExtAuthzPerRoute{Override: &extauthzv3.ExtAuthzPerRoute_Disabled{Disabled: true}})
		if e.needsAuthorizer(r) {
			out[filterExtAuthz] = e.pack(&extauthzv3.ExtAuthzPerRoute{Override: &extauthzv3.ExtAuthzPerRoute_CheckSettings{
				CheckSettings: &extauthzv3.CheckSettings{}}})
		}
	}
	if on[filterJWT] {
		out[filterJWT] = e.pack(e.jwtPerRoute(r))
	}
	out[filterRBAC] = e.pack(e.routeRBAC(l, r))
	return out, nil
}

// directPerFilter is a direct-response route's configuration: CORS (so a
// preflight for another method is still answered), the route's IP limits
// when limited (a 415 is decided after them), and no authentication. A
// direct response forwards nothing, so its limits are the policy's own,
// not shared with the forwarding routes (their buckets are apart anyway:
// dividing this one would not lower what reaches the upstream).
func (e *emitter) directPerFilter(l *ir.Listener, r *ir.Route, limited bool) map[string]*anypb.Any {
	on := e.filtersOn(l)
	out := map[string]*anypb.Any{}
	if r != nil && on[filterCORS] && r.CORS != nil {
		out[filterCORS] = e.pack(corsPolicy(r.CORS))
	}
	if r != nil && limited && on[filterRateLimit] {
		if rl, err := e.localLimit(r, 1); err == nil && rl != nil {
			out[filterRateLimit] = e.pack(rl)
		}
	}
	if on[filterBuffer] {
		out[filterBuffer] = e.pack(&bufferv3.BufferPerRoute{Override: &bufferv3.BufferPerRoute_Disabled{Disabled: true}})
	}
	if on[filterExtAuthz] {
		out[filterExtAuthz] = e.pack(&extauthzv3.ExtAuthzPerRoute{Override: &extauthzv3.ExtAuthzPerRoute_Disabled{Disabled: true}})
	}
	if on[filterJWT] {
		out[filterJWT] = e.pack(&jwtv3.PerRouteConfig{RequirementSpecifier: &jwtv3.PerRouteConfig_Disabled{Disabled: true}})
	}
	out[filterRBAC] = e.pack(allowAll("direct-response"))
	return out
}

// bufferPerRoute bounds the route's request body, or turns buffering off.
func bufferPerRoute(r *ir.Route) *bufferv3.BufferPerRoute {
	if r.Limits.MaxBodyBytes <= 0 {
		return &bufferv3.BufferPerRoute{Override: &bufferv3.BufferPerRoute_Disabled{Disabled: true}}
	}
	return &bufferv3.BufferPerRoute{Override: &bufferv3.BufferPerRoute_Buffer{
		Buffer: &bufferv3.Buffer{MaxRequestBytes: wrapperspb.UInt32(clampU32(r.Limits.MaxBodyBytes))}}}
}

// maxBody is the largest body limit on the listener (the filter's own
// setting; each route sets its own).
func (e *emitter) maxBody(l *ir.Listener) uint32 {
	var m uint32 = 1
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			m = max(m, clampU32(r.Limits.MaxBodyBytes))
		}
	}
	return m
}

// clampU32 clamps n to a uint32, never wrapping.
func clampU32(n int) uint32 {
	switch {
	case n < 0:
		return 0
	case uint64(n) > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(n)
}
