package envoy

import (
	"fmt"
	"slices"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// responseHeaders sets the route's security headers (and HSTS on a TLS
// listener) on every response, replacing upstream values, and removes the
// upstream's Server header when the policy hides server tokens.
func (e *emitter) responseHeaders(l *ir.Listener, r *ir.Route, rt *routev3.Route) {
	for _, h := range r.Headers.Set {
		rt.ResponseHeadersToAdd = append(rt.ResponseHeadersToAdd, overwrite(h.Name, h.Value))
	}
	if l.TLS != nil && l.TLS.HSTS != nil {
		rt.ResponseHeadersToAdd = append(rt.ResponseHeadersToAdd, overwrite("Strict-Transport-Security", hstsValue(l.TLS.HSTS)))
	}
	if r.Headers.HideServerTokens {
		rt.ResponseHeadersToRemove = []string{"server", "x-powered-by"}
	}
}

// hidesServer reports whether any route on the listener hides server
// tokens: the connection manager then passes the (removed) upstream
// Server header through instead of adding "server: envoy".
func (e *emitter) hidesServer(l *ir.Listener) bool {
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			if r.Headers.HideServerTokens {
				return true
			}
		}
	}
	return false
}

// hstsValue renders the Strict-Transport-Security value.
func hstsValue(h *ir.HSTS) string {
	v := fmt.Sprintf("max-age=%d", h.MaxAgeSeconds)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// listenerHeaders are the response headers a reply without a route of
// the policy's can carry: those every route on the listener sets to the
// same value, and HSTS on a TLS listener. The connection manager's own
// replies before routing (400, 431, 408) and the 404 routes get them.
func (e *emitter) listenerHeaders(l *ir.Listener) []ir.Header {
	var common []ir.Header
	first := true
	for _, s := range e.servicesOn(l.Name) {
		for _, r := range s.Routes {
			if first {
				common, first = slices.Clone(r.Headers.Set), false
				continue
			}
			common = slices.DeleteFunc(common, func(h ir.Header) bool {
				return !slices.ContainsFunc(r.Headers.Set, func(o ir.Header) bool {
					return strings.EqualFold(o.Name, h.Name) && o.Value == h.Value
				})
			})
		}
	}
	if l.TLS != nil && l.TLS.HSTS != nil {
		common = append(common, ir.Header{Name: "Strict-Transport-Security", Value: hstsValue(l.TLS.HSTS)})
	}
	return common
}

// localReply adds the listener's headers to every local reply the
// connection manager sends. Route response_headers_to_add reach local
// replies sent on a route (filters after routing: jwt_authn, rbac,
// ext_authz, local_ratelimit, direct responses) but not replies sent
// before a route is chosen; the mapper's headers are added only where
// the route has not set them (ADD_IF_ABSENT), so a route's values stand.
func (e *emitter) localReply(l *ir.Listener) *hcmv3.LocalReplyConfig {
	hs := e.listenerHeaders(l)
	if len(hs) == 0 {
		return nil
	}
	m := &hcmv3.ResponseMapper{Filter: &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_StatusCodeFilter{
		StatusCodeFilter: &accesslogv3.StatusCodeFilter{Comparison: &accesslogv3.ComparisonFilter{Op: accesslogv3.ComparisonFilter_GE,
			Value: &corev3.RuntimeUInt32{DefaultValue: 100, RuntimeKey: "rampart.local_reply.headers_from_status"}}}}}}
	for _, h := range hs {
		o := overwrite(h.Name, h.Value)
		o.AppendAction = corev3.HeaderValueOption_ADD_IF_ABSENT
		m.HeadersToAdd = append(m.HeadersToAdd, o)
	}
	return &hcmv3.LocalReplyConfig{Mappers: []*hcmv3.ResponseMapper{m}}
}
