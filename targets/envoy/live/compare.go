package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// Filter names rampart emits.
const (
	fCORS      = "envoy.filters.http.cors"
	fRateLimit = "envoy.filters.http.local_ratelimit"
	fBuffer    = "envoy.filters.http.buffer"
	fExtAuthz  = "envoy.filters.http.ext_authz"
	fJWT       = "envoy.filters.http.jwt_authn"
	fRBAC      = "envoy.filters.http.rbac"
	fRouter    = "envoy.filters.http.router"
)

// filterControls maps a filter to the control it enforces; ext_authz's is
// the route's (delegated) authentication.
var filterControls = map[string]string{
	fCORS: ir.CtlCORS, fRateLimit: ir.CtlRateLimit, fBuffer: ir.CtlBodyLimit, fExtAuthz: ir.CtlAPIKey,
	fJWT: ir.CtlJWT, fRBAC: ir.CtlAuthzRules, fRouter: ir.CtlUndeclared,
}

// filterControl is a filter's control; unknown filters are undeclared
// behaviour.
func filterControl(name string) string {
	if c, ok := filterControls[name]; ok {
		return c
	}
	return ir.CtlUndeclared
}

// comparer compares two views for one policy.
type comparer struct {
	p         *ir.Policy
	d         *drift.Diff
	routes    map[string]*ir.Route
	listeners map[string]*ir.Listener
	providers map[string]*ir.Provider
	// equal remembers same's answers.
	equal map[pair]bool
}

func newComparer(p *ir.Policy) *comparer {
	c := &comparer{p: p, d: drift.NewDiff("envoy"), routes: map[string]*ir.Route{}, listeners: map[string]*ir.Listener{},
		providers: map[string]*ir.Provider{}, equal: map[pair]bool{}}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			c.routes[r.ID] = r
		}
	}
	for _, l := range p.Listeners {
		c.listeners[l.Name] = l
	}
	for _, pr := range p.Providers {
		c.providers[pr.Name] = pr
	}
	return c
}

// canon renders a message as compact protojson, for findings.
func canon(m proto.Message) string {
	if m == nil {
		return ""
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return string(b)
	}
	return out.String()
}

// pair is two messages compared.
type pair struct{ w, g proto.Message }

// same reports proto.Equal(w, g), remembered by pointers: the views share
// one message among the routes that repeat a configuration (see
// unpacker), so most comparisons are of a pair already compared.
func (c *comparer) same(w, g proto.Message) bool {
	if w == nil || g == nil {
		return proto.Equal(w, g)
	}
	if w == g {
		return true
	}
	k := pair{w, g}
	if eq, ok := c.equal[k]; ok {
		return eq
	}
	eq := proto.Equal(w, g)
	c.equal[k] = eq
	return eq
}

// msg compares two messages; they are rendered only when they differ.
func (c *comparer) msg(at drift.At, name string, w, g proto.Message) {
	if c.same(w, g) {
		c.d.Add(at, name)
		return
	}
	c.d.Value(at, name, canon(w), canon(g), drift.AnyWeakens)
}

// compare walks listeners and clusters.
func (c *comparer) compare(want, got *view) {
	for _, name := range want.order {
		w := want.listeners[name]
		at := c.listenerAt(name)
		g, ok := got.listeners[name]
		if !ok {
			c.d.Add(at, "listener "+name, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: name,
				Message: "listener " + name + " is missing in live"})
			continue
		}
		c.listener(at, w, g)
	}
	for _, name := range got.order {
		if _, ok := want.listeners[name]; !ok {
			g := got.listeners[name]
			c.d.Add(drift.At{Control: ir.CtlUndeclared, Listener: name, Path: "listeners[" + name + "]"}, "listener "+name,
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: name + " " + g.address,
					Message: fmt.Sprintf("listener %s (%s) is in live but not in the policy", name, g.address)})
		}
	}
	c.clusters(want, got)
}

// listenerAt places a listener's comparison.
func (c *comparer) listenerAt(name string) drift.At {
	at := drift.At{Control: ir.CtlTLS, Listener: name, Path: "listeners[" + name + "]"}
	if l := c.listeners[strings.TrimSuffix(name, "_redirect")]; l != nil {
		at.Origin = l.Origin
	}
	return at
}

// listener compares one listener.
func (c *comparer) listener(at drift.At, w, g *lview) {
	c.d.Value(withCtl(at, ir.CtlUndeclared, "address"), "address", w.address, g.address, drift.AnyWeakens)
	c.tls(withPath(at, "filter_chains[0].transport_socket"), w.tls, g.tls)
	c.clientAddress(at, c.policyListener(w.name), w, g)
	c.protocols(at, w, g)
	if w.hcm == nil || g.hcm == nil {
		c.d.Value(withCtl(at, ir.CtlUndeclared, "http_connection_manager"), "http_connection_manager",
			present(w.hcm != nil), present(g.hcm != nil), drift.AnyWeakens)
		return
	}
	c.hcm(withPath(at, "hcm"), w, g)
	c.filters(withPath(at, "hcm.http_filters"), w, g)
	if w.self != nil && g.rc == w.rc {
		c.d.Append(w.self)
		return
	}
	c.routeTable(at, w, g)
}

// routeTable compares the route configurations' own per-filter configs
// and their virtual hosts: what depends on the route table alone.
func (c *comparer) routeTable(at drift.At, w, g *lview) {
	c.mergedFilters(withPath(at, "hcm.route_config.typed_per_filter_config"), w.rcPerFilter, g.rcPerFilter)
	c.vhosts(withPath(at, "hcm.route_config"), w, g)
}

// recordSelf compares each listener's route table, and each of its
// routes, with itself and keeps the checks (lview.self, rview.self),
// when the comparison found nothing (it cannot but find
// nothing; if it ever did, comparisons are made in full).
func recordSelf(p *ir.Policy, v *view) {
	for _, lv := range v.listeners {
		if lv.hcm == nil {
			continue
		}
		c := newComparer(p)
		at := c.listenerAt(lv.name)
		for _, vv := range lv.vhosts {
			vat := withCtl(withPath(at, "hcm.route_config"), ir.CtlUndeclared, "virtual_hosts["+vv.vh.GetName()+"]")
			for _, rv := range vv.routes {
				rc := *c
				rc.d = drift.NewDiff("envoy")
				rc.route(rc.routeAt(vat, rv.route.GetName()), rv, rv)
				if len(rc.d.Result().Findings) == 0 {
					rv.self = rc.d
				}
			}
		}
		c.routeTable(at, lv, lv)
		if len(c.d.Result().Findings) == 0 {
			lv.self = c.d
		}
	}
}

func present(b bool) string {
	if b {
		return "present"
	}
	return ""
}

// tlsVersions orders TLS versions; AUTO is Envoy's server default
// (minimum 1.2, maximum 1.3).
var tlsVersions = map[tlsv3.TlsParameters_TlsProtocol]int64{
	tlsv3.TlsParameters_TLSv1_0: 10, tlsv3.TlsParameters_TLSv1_1: 11, tlsv3.TlsParameters_TLSv1_2: 12, tlsv3.TlsParameters_TLSv1_3: 13,
}

func version(v tlsv3.TlsParameters_TlsProtocol, auto int64) int64 {
	if n, ok := tlsVersions[v]; ok {
		return n
	}
	return auto
}

func showVersion(n int64) string { return fmt.Sprintf("TLS %d.%d", n/10, n%10) }

// tls compares the downstream TLS contexts; certificates are not compared
// (Envoy redacts private keys; rampart names files).
func (c *comparer) tls(at drift.At, w, g *tlsv3.DownstreamTlsContext) {
	if w == nil || g == nil {
		if w != nil {
			c.d.Add(at, "TLS", drift.Finding{Direction: drift.Missing, Severity: drift.Weakening, Expected: "TLS",
				Message: "TLS is missing in live: the listener accepts plaintext"})
		} else if g != nil {
			c.d.Add(at, "TLS", drift.Finding{Direction: drift.Unexpected, Severity: drift.Neutral, Actual: "TLS",
				Message: "TLS is set in live but not by the policy"})
		}
		return
	}
	wp, gp := w.GetCommonTlsContext().GetTlsParams(), g.GetCommonTlsContext().GetTlsParams()
	c.d.Number(withPath(at, "tls_minimum_protocol_version"), "minimum TLS version",
		version(wp.GetTlsMinimumProtocolVersion(), 12), version(gp.GetTlsMinimumProtocolVersion(), 12), drift.LowerWeakens, showVersion)
	c.d.Number(withPath(at, "tls_maximum_protocol_version"), "maximum TLS version",
		version(wp.GetTlsMaximumProtocolVersion(), 13), version(gp.GetTlsMaximumProtocolVersion(), 13), drift.AnyWeakens, showVersion)
	c.d.Set(withPath(at, "cipher_suites"), "cipher suites", orDefault(wp.GetCipherSuites()), orDefault(gp.GetCipherSuites()), drift.HigherWeakens)
	c.d.Set(withPath(at, "ecdh_curves"), "curves", orDefault(wp.GetEcdhCurves()), orDefault(gp.GetEcdhCurves()), drift.HigherWeakens)
	c.d.Value(withCtl(at, ir.CtlMTLS, "require_client_certificate"), "client certificate required",
		fmt.Sprint(w.GetRequireClientCertificate().GetValue()), fmt.Sprint(g.GetRequireClientCertificate().GetValue()), drift.AnyWeakens)
	c.msg(withCtl(at, ir.CtlMTLS, "validation_context"), "client certificate validation",
		w.GetCommonTlsContext().GetValidationContext(), g.GetCommonTlsContext().GetValidationContext())
}

// orDefault stands for Envoy's built-in list when none is set.
func orDefault(ss []string) []string {
	if len(ss) == 0 {
		return []string{"(envoy default)"}
	}
	return ss
}

// hcm compares the connection manager's own settings.
func (c *comparer) hcm(at drift.At, w, g *lview) {
	c.d.Number(withCtl(at, ir.CtlHeaderLimit, "max_request_headers_kb"), "max_request_headers_kb",
		int64(orU32(w.hcm.GetMaxRequestHeadersKb().GetValue(), 60)), int64(orU32(g.hcm.GetMaxRequestHeadersKb().GetValue(), 60)),
		drift.HigherWeakens, func(n int64) string { return fmt.Sprintf("%d KiB", n) })
	c.d.Number(withCtl(at, ir.CtlTimeouts, "request_headers_timeout"), "request_headers_timeout",
		dur(w.hcm.GetRequestHeadersTimeout()), dur(g.hcm.GetRequestHeadersTimeout()),
		drift.HigherWeakens, showDur)
	c.d.Number(withCtl(at, ir.CtlTimeouts, "idle_timeout"), "idle_timeout",
		dur(w.hcm.GetCommonHttpProtocolOptions().GetIdleTimeout()), dur(g.hcm.GetCommonHttpProtocolOptions().GetIdleTimeout()),
		drift.HigherWeakens, showDur)
	c.d.Value(withCtl(at, ir.CtlRateLimit, "use_remote_address"), "use_remote_address (client address for IP limits)",
		fmt.Sprint(w.hcm.GetUseRemoteAddress().GetValue()), fmt.Sprint(g.hcm.GetUseRemoteAddress().GetValue()), drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlUndeclared, "normalize_path"), "normalize_path",
		fmt.Sprint(w.hcm.GetNormalizePath().GetValue()), fmt.Sprint(g.hcm.GetNormalizePath().GetValue()), drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlUndeclared, "path_with_escaped_slashes_action"), "path_with_escaped_slashes_action",
		w.hcm.GetPathWithEscapedSlashesAction().String(), g.hcm.GetPathWithEscapedSlashesAction().String(), drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlMTLS, "forward_client_cert_details"), "forward_client_cert_details",
		w.hcm.GetForwardClientCertDetails().String(), g.hcm.GetForwardClientCertDetails().String(), drift.AnyWeakens)
	c.d.Value(withCtl(at, ir.CtlHeaders, "server_header_transformation"), "server_header_transformation",
		w.hcm.GetServerHeaderTransformation().String(), g.hcm.GetServerHeaderTransformation().String(), drift.AnyWeakens)
	c.accessLogs(withCtl(at, ir.CtlAccessLog, "access_log"), w, g)
}

// accessLogs compares the access logs, their typed configs unpacked.
func (c *comparer) accessLogs(at drift.At, w, g *lview) {
	wl, gl := w.hcm.GetAccessLog(), g.hcm.GetAccessLog()
	if len(wl) != len(gl) {
		c.d.Number(at, "access logs", int64(len(wl)), int64(len(gl)), drift.LowerWeakens, func(n int64) string { return fmt.Sprint(n) })
		return
	}
	for i := range wl {
		lat := withPath(at, fmt.Sprintf("[%d]", i))
		wm, werr := unpack(wl[i].GetTypedConfig())
		gm, gerr := unpack(gl[i].GetTypedConfig())
		if werr != nil || gerr != nil {
			c.d.Value(lat, "access log", canon(wl[i]), canon(gl[i]), drift.AnyWeakens)
			continue
		}
		c.msg(lat, "access log "+wl[i].GetName(), wm, gm)
		c.msg(withPath(lat, "filter"), "access log filter", wl[i].GetFilter(), gl[i].GetFilter())
	}
}

// routeOf maps an Envoy route name ("service/route", maybe "#suffix") to
// the policy route.
func (c *comparer) routeOf(name string) *ir.Route {
	id, _, _ := strings.Cut(name, "#")
	return c.routes[id]
}

// authControl is the control ext_authz enforces on a route: its first
// provider's.
func (c *comparer) authControl(r *ir.Route) string {
	if r == nil {
		return ir.CtlAPIKey
	}
	for _, n := range r.Providers {
		switch c.providers[n].Kind {
		case "jwt":
			return ir.CtlJWT
		case "introspection":
			return ir.CtlIntrospection
		case "mtls":
			return ir.CtlMTLSAuthn
		}
		return ir.CtlAPIKey
	}
	return ir.CtlAuthzRules
}

// vhosts compares virtual hosts by name and their routes.
func (c *comparer) vhosts(at drift.At, w, g *lview) {
	gv := map[string]*vview{}
	for _, v := range g.vhosts {
		gv[v.vh.GetName()] = v
	}
	seen := map[string]bool{}
	for _, wv := range w.vhosts {
		name := wv.vh.GetName()
		seen[name] = true
		g, ok := gv[name]
		if !ok {
			c.d.Add(withCtl(at, ir.CtlUndeclared, "virtual_hosts["+name+"]"), "virtual host "+name, drift.Finding{Direction: drift.Missing, Severity: drift.Neutral, Expected: name,
				Message: "virtual host " + name + " is missing in live"})
			continue
		}
		c.vhost(at, wv, g)
	}
	for _, v := range g.vhosts {
		if !seen[v.vh.GetName()] {
			c.d.Add(withCtl(at, ir.CtlUndeclared, "virtual_hosts["+v.vh.GetName()+"]"), "virtual host "+v.vh.GetName(),
				drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: strings.Join(v.vh.GetDomains(), " "),
					Message: "virtual host " + v.vh.GetName() + " is in live but not in the policy"})
		}
	}
}

// vhost compares a virtual host of both sides, and its routes.
func (c *comparer) vhost(at drift.At, w, g *vview) {
	vat := withCtl(at, ir.CtlUndeclared, "virtual_hosts["+w.vh.GetName()+"]")
	c.d.Set(withPath(vat, "domains"), "domains", w.vh.GetDomains(), g.vh.GetDomains(), drift.HigherWeakens)
	c.mergedFilters(withPath(vat, "typed_per_filter_config"), w.perFilter, g.perFilter)
	c.vroutes(vat, w, g)
}

// routeAt places the comparison of route n of the virtual host at at.
func (c *comparer) routeAt(at drift.At, n string) drift.At {
	rat := withPath(at, "routes["+n+"]")
	if pr := c.routeOf(n); pr != nil {
		rat.Route, rat.Origin = pr.ID, pr.Origin
	}
	return rat
}

// vroutes compares a virtual host's routes by name, and their order
// (Envoy takes the first match).
func (c *comparer) vroutes(at drift.At, w, g *vview) {
	var wOrder, gOrder []string
	for _, r := range w.routes {
		n := r.route.GetName()
		rat := c.routeAt(at, n)
		gr, ok := g.byName[n]
		if !ok {
			sev := drift.Neutral
			if r.route.GetDirectResponse() != nil {
				sev = drift.Weakening // a 404/405/415 guard: requests fall through
			}
			c.d.Add(rat, "route "+n, drift.Finding{Direction: drift.Missing, Severity: sev, Expected: n,
				Message: "route " + n + " is missing in live"})
			continue
		}
		wOrder = append(wOrder, n)
		if gr == r && r.self != nil {
			c.d.Append(r.self)
			continue
		}
		c.route(rat, r, gr)
	}
	for _, r := range g.routes {
		n := r.route.GetName()
		if _, ok := w.byName[n]; ok {
			gOrder = append(gOrder, n)
			continue
		}
		sev := drift.Weakening
		if r.route.GetDirectResponse() != nil {
			sev = drift.Neutral
		}
		c.d.Add(withPath(at, "routes["+n+"]"), "route "+n, drift.Finding{Direction: drift.Unexpected, Severity: sev, Actual: n + " " + canon(r.route.GetMatch()),
			Message: fmt.Sprintf("route %q (%s) is in live but not in the policy", n, canon(r.route.GetMatch()))})
	}
	for i := range wOrder {
		if i < len(gOrder) && wOrder[i] != gOrder[i] {
			rat := withPath(at, "routes")
			if pr := c.routeOf(gOrder[i]); pr != nil {
				rat.Route, rat.Origin = pr.ID, pr.Origin
			}
			c.d.Add(rat, "route order", drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: wOrder[i], Actual: gOrder[i],
				Message: fmt.Sprintf("route order changed: policy has %q at position %d, live has %q (Envoy takes the first match)", wOrder[i], i, gOrder[i])})
			break
		}
	}
	if len(wOrder) > 0 {
		c.d.Add(withPath(at, "routes"), "route order")
	}
}

// route compares one route.
func (c *comparer) route(at drift.At, w, g *rview) {
	c.msg(withCtl(at, ir.CtlMethods, "match"), "match", w.route.GetMatch(), g.route.GetMatch())
	switch {
	case w.route.GetRoute() != nil && g.route.GetRoute() != nil:
		wa, ga := w.route.GetRoute(), g.route.GetRoute()
		c.d.Number(withCtl(at, ir.CtlTimeouts, "route.timeout"), "upstream timeout", dur(wa.GetTimeout()), dur(ga.GetTimeout()), drift.HigherWeakens, showDur)
		c.d.Number(withCtl(at, ir.CtlTimeouts, "route.idle_timeout"), "idle timeout", dur(wa.GetIdleTimeout()), dur(ga.GetIdleTimeout()), drift.HigherWeakens, showDur)
		if proto.Equal(wa, ga) {
			c.d.Add(withCtl(at, ir.CtlUndeclared, "route"), "route action")
			break
		}
		wa, ga = proto.Clone(wa).(*routev3.RouteAction), proto.Clone(ga).(*routev3.RouteAction)
		wa.Timeout, ga.Timeout, wa.IdleTimeout, ga.IdleTimeout = nil, nil, nil, nil
		c.msg(withCtl(at, ir.CtlUndeclared, "route"), "route action", wa, ga)
	case w.route.GetDirectResponse() != nil && g.route.GetDirectResponse() != nil:
		c.d.Value(withCtl(at, ir.CtlMethods, "direct_response.status"), "direct response status",
			fmt.Sprint(w.route.GetDirectResponse().GetStatus()), fmt.Sprint(g.route.GetDirectResponse().GetStatus()), drift.AnyWeakens)
	default:
		c.d.Value(withCtl(at, ir.CtlUndeclared, "action"), "route action", canon(actionOf(w.route)), canon(actionOf(g.route)), drift.AnyWeakens)
	}
	c.headers(at, w, g)
	c.perFilter(withPath(at, "typed_per_filter_config"), w, g)
}

// actionOf is a route's action as a message.
func actionOf(r *routev3.Route) proto.Message {
	switch {
	case r.GetRoute() != nil:
		return r.GetRoute()
	case r.GetDirectResponse() != nil:
		return r.GetDirectResponse()
	case r.GetRedirect() != nil:
		return r.GetRedirect()
	}
	return nil
}

// headerControl is the control a response header belongs to.
func headerControl(name string) string {
	switch {
	case name == "strict-transport-security":
		return ir.CtlHSTS
	case strings.HasPrefix(name, "access-control-"):
		return ir.CtlCORS
	}
	return ir.CtlHeaders
}

// headers compares the route's effective response headers added (by
// name) and removed, whichever level sets them.
func (c *comparer) headers(at drift.At, w, g *rview) {
	wm, gm := w.headers, g.headers
	for _, h := range sortedKeys(wm) {
		c.d.Value(withCtl(at, headerControl(h), "response_headers_to_add["+h+"]"), "response header "+h, wm[h], gm[h], drift.AnyWeakens)
	}
	for _, h := range sortedKeys(gm) {
		if _, ok := wm[h]; !ok {
			c.d.Value(withCtl(at, headerControl(h), "response_headers_to_add["+h+"]"), "response header "+h, "", gm[h], drift.HigherWeakens)
		}
	}
	c.d.Set(withCtl(at, ir.CtlHeaders, "response_headers_to_remove"), "response headers removed", w.removed, g.removed, drift.LowerWeakens)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// withCtl returns at for control with path extended by field.
func withCtl(at drift.At, control, field string) drift.At {
	at.Control = control
	return withPath(at, field)
}

// withPath returns at with its path extended by field.
func withPath(at drift.At, field string) drift.At {
	at.Path += "." + field
	return at
}
