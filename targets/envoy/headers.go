package envoy

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

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
