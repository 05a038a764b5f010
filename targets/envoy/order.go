package envoy

import "github.com/rampart-policy/rampart/compiler/ir"

// HTTP filter names, as Envoy registers them.
const (
	filterCORS      = "envoy.filters.http.cors"
	filterRateLimit = "envoy.filters.http.local_ratelimit"
	filterBuffer    = "envoy.filters.http.buffer"
	filterExtAuthz  = "envoy.filters.http.ext_authz"
	filterJWT       = "envoy.filters.http.jwt_authn"
	filterRBAC      = "envoy.filters.http.rbac"
	filterRouter    = "envoy.filters.http.router"
)

// PhaseFilters maps each phase of ir.PhaseOrder to the HTTP filters that
// run it, in order; httpFilters walks ir.PhaseOrder through this one
// table. The resulting chain is
//
//	cors → local_ratelimit → buffer → ext_authz → jwt_authn → rbac → router
//
// The anchor lists cors → ext_authz → jwt_authn → rbac →
// local_ratelimit → router; the IR's single order puts IP and header
// limits (ipRateLimit) and size limits (limits) before authentication, so
// a flood is refused by Envoy before it reaches the authorizer or the
// JWKS cache, and Envoy keeps that order here. Limits keyed by subject or
// API key (subjectLimit) run after authorization in the authorizer.
//
// ext_authz runs before jwt_authn within the authn phase: rampart's
// authorizer counts every failed authentication for the auth-failure
// throttle and refuses throttled clients first. With jwt_authn first, a
// bad token would be rejected by Envoy and never counted, and a throttled
// client could keep guessing tokens. jwt_authn then verifies again (with
// its own JWKS fetch) and its payload feeds rbac.
//
// Phases with no HTTP filter: tls (the listener's transport socket),
// routing (route matches and direct responses), proxy (router, clusters),
// response (route response headers) and log (the connection manager's
// access_log).
var PhaseFilters = map[ir.Phase][]string{
	ir.PhaseCORS:        {filterCORS},
	ir.PhaseIPRateLimit: {filterRateLimit},
	ir.PhaseLimits:      {filterBuffer},
	ir.PhaseAuthn:       {filterExtAuthz, filterJWT},
	ir.PhaseAuthz:       {filterRBAC},
	ir.PhaseProxy:       {filterRouter},
}

// filterOrder is the HTTP filter chain in ir.PhaseOrder.
func filterOrder() []string {
	var out []string
	for _, ph := range ir.PhaseOrder {
		out = append(out, PhaseFilters[ph]...)
	}
	return out
}
