package envoy_test

import (
	"slices"
	"strings"
	"testing"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// anchor is the filter order the issue and the IR's phase order give:
// every connection manager's filters must appear in this relative order.
var anchor = []string{
	"envoy.filters.http.cors", "envoy.filters.http.local_ratelimit", "envoy.filters.http.buffer",
	"envoy.filters.http.ext_authz", "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac",
	"envoy.filters.http.router",
}

// checkFacts asserts, on one parsed artifact, every fact the issue lists.
func checkFacts(t *testing.T, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	t.Helper()
	t.Run("filter-order", func(t *testing.T) { factFilterOrder(t, p, bs) })
	t.Run("ratelimit-100-percent", func(t *testing.T) { factRateLimit(t, p, bs) })
	t.Run("ratelimit-shared-by-forwarding-routes", func(t *testing.T) { factRateLimitShared(t, p, bs) })
	t.Run("ext-authz-fails-closed", func(t *testing.T) { factExtAuthz(t, p, bs) })
	t.Run("rbac-per-route-has-rules", func(t *testing.T) { factRBAC(t, bs) })
	t.Run("tls-explicit-no-dhe", func(t *testing.T) { factTLS(t, p, bs) })
	t.Run("jwt-token-locations", func(t *testing.T) { factJWT(t, p, bs) })
	t.Run("access-log-no-credentials", func(t *testing.T) { factAccessLog(t, p, bs) })
	t.Run("every-route-present", func(t *testing.T) { factRoutes(t, p, bs) })
	t.Run("cors-per-route", func(t *testing.T) { factCORS(t, p, bs) })
	t.Run("limits-and-headers", func(t *testing.T) { factLimitsHeaders(t, p, bs) })
	t.Run("local-reply-headers", func(t *testing.T) { factLocalReplyHeaders(t, p, bs) })
	t.Run("content-types-http1-only", func(t *testing.T) { factContentTypesHTTP1(t, p, bs) })
}

// hcms returns the main (non-redirect) connection managers by listener.
func hcms(t testing.TB, bs *bootstrapv3.Bootstrap) map[string]*hcmv3.HttpConnectionManager {
	out := map[string]*hcmv3.HttpConnectionManager{}
	for _, l := range bs.GetStaticResources().GetListeners() {
		if strings.HasSuffix(l.Name, "_redirect") {
			continue
		}
		ms := collect[*hcmv3.HttpConnectionManager](t, l)
		if len(ms) != 1 {
			t.Fatalf("listener %s has %d connection managers, want 1", l.Name, len(ms))
		}
		out[l.Name] = ms[0]
	}
	return out
}

func factFilterOrder(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	ms := hcms(t, bs)
	if len(ms) != len(p.Listeners) {
		t.Fatalf("%d connection managers for %d listeners", len(ms), len(p.Listeners))
	}
	for name, m := range ms {
		var names []string
		for _, f := range m.HttpFilters {
			names = append(names, f.Name)
		}
		last := -1
		for _, n := range names {
			i := slices.Index(anchor, n)
			if i < 0 || i <= last {
				t.Errorf("listener %s: filters %v are not in the order %v", name, names, anchor)
				break
			}
			last = i
		}
		if !slices.Contains(names, "envoy.filters.http.rbac") || names[len(names)-1] != "envoy.filters.http.router" {
			t.Errorf("listener %s: filters %v lack rbac or do not end with the router", name, names)
		}
	}
}

func is100(f *typev3.FractionalPercent) bool {
	return f != nil && f.Numerator == 100 && f.Denominator == typev3.FractionalPercent_HUNDRED
}

func factRateLimit(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	want := 0
	for _, s := range p.Services {
		for _, r := range s.Routes {
			for _, rl := range r.RateLimits {
				if rl.Key == "ip" || rl.Key == "header" {
					want++
				}
			}
		}
	}
	descriptors := 0
	for _, rl := range collect[*localrlv3.LocalRateLimit](t, bs) {
		if !is100(rl.GetFilterEnabled().GetDefaultValue()) || !is100(rl.GetFilterEnforced().GetDefaultValue()) {
			t.Errorf("local_ratelimit %s: filter_enabled/filter_enforced not 100 %%: %v / %v", rl.StatPrefix, rl.FilterEnabled, rl.FilterEnforced)
		}
		for _, d := range rl.Descriptors {
			if d.TokenBucket.GetMaxTokens() == 0 || d.TokenBucket.GetFillInterval().AsDuration() <= 0 {
				t.Errorf("descriptor %v: empty token bucket", d.Entries)
			}
			descriptors++
		}
	}
	if want > 0 && descriptors < want {
		t.Errorf("%d IP/header limits in the policy, %d descriptors in the bootstrap", want, descriptors)
	}
}

func factExtAuthz(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	clusters := map[string]bool{}
	for _, c := range bs.GetStaticResources().GetClusters() {
		clusters[c.Name] = true
	}
	all := collect[*extauthzv3.ExtAuthz](t, bs)
	for _, ea := range all {
		if ea.GetFailureModeAllow() {
			t.Error("ext_authz with failure_mode_allow true")
		}
		if ea.GetStatusOnError().GetCode() != typev3.StatusCode_ServiceUnavailable {
			t.Errorf("ext_authz status_on_error %v, want 503", ea.GetStatusOnError())
		}
		hs := ea.GetHttpService()
		if hs == nil || !clusters[hs.GetServerUri().GetCluster()] || !strings.Contains(hs.PathPrefix, "/authorize") {
			t.Errorf("ext_authz does not call the authorizer's /authorize through a defined cluster: %v", hs)
		}
	}
	nonPublic := false
	for _, s := range p.Services {
		for _, r := range s.Routes {
			nonPublic = nonPublic || !r.Public
		}
	}
	if p.Targets.AuthorizerURL != "" && nonPublic && len(all) == 0 {
		t.Error("the policy names an authorizer and has authenticated routes, but no ext_authz")
	}
	if p.Targets.AuthorizerURL == "" && len(all) > 0 {
		t.Error("ext_authz without an authorizer in the policy")
	}
}

func factRBAC(t testing.TB, bs *bootstrapv3.Bootstrap) {
	for _, pr := range collect[*rbacv3.RBACPerRoute](t, bs) {
		if pr.GetRbac() == nil || pr.GetRbac().GetRules() == nil {
			t.Errorf("RBACPerRoute without rbac rules (turns RBAC off on the route): %v", pr)
		}
	}
	for name, m := range hcms(t, bs) {
		for _, r := range placedRoutes(t, m) {
			// its own or, hoisted, its virtual host's: never the
			// listener-wide rules
			if r.perFilter("envoy.filters.http.rbac") == nil {
				t.Errorf("listener %s route %s has no rbac configuration of its own or its virtual host's", name, r.rt.Name)
			}
		}
		for _, f := range collect[*rbacv3.RBAC](t, m) {
			if f.GetRules() == nil {
				t.Errorf("listener %s: rbac filter without rules allows everything", name)
			}
		}
	}
}

func factTLS(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	byName := map[string]*ir.Listener{}
	for _, l := range p.Listeners {
		byName[l.Name] = l
	}
	versions := map[string]tlsv3.TlsParameters_TlsProtocol{"1.2": tlsv3.TlsParameters_TLSv1_2, "1.3": tlsv3.TlsParameters_TLSv1_3}
	for _, l := range bs.GetStaticResources().GetListeners() {
		ctxs := collect[*tlsv3.DownstreamTlsContext](t, l)
		il := byName[l.Name]
		if il == nil || il.TLS == nil {
			if len(ctxs) > 0 {
				t.Errorf("listener %s: TLS the policy does not ask for", l.Name)
			}
			continue
		}
		if len(ctxs) != 1 {
			t.Fatalf("listener %s: %d TLS contexts, want 1", l.Name, len(ctxs))
		}
		tp := ctxs[0].GetCommonTlsContext().GetTlsParams()
		if tp.GetTlsMinimumProtocolVersion() != versions[il.TLS.MinVersion] || tp.GetTlsMaximumProtocolVersion() != versions[il.TLS.MaxVersion] {
			t.Errorf("listener %s: TLS %v-%v, want explicit %s-%s", l.Name, tp.GetTlsMinimumProtocolVersion(), tp.GetTlsMaximumProtocolVersion(), il.TLS.MinVersion, il.TLS.MaxVersion)
		}
		if ca := il.TLS.ClientAuth; ca != nil && (ctxs[0].GetRequireClientCertificate().GetValue() != ca.Required ||
			ctxs[0].GetCommonTlsContext().GetValidationContext().GetTrustedCa().GetFilename() != ca.CAFile) {
			t.Errorf("listener %s: client certificates not verified as the policy says", l.Name)
		}
	}
	for _, ctx := range collect[*tlsv3.TlsParameters](t, bs) {
		if ctx.TlsMinimumProtocolVersion == tlsv3.TlsParameters_TLS_AUTO || ctx.TlsMaximumProtocolVersion == tlsv3.TlsParameters_TLS_AUTO {
			t.Errorf("TLS parameters leave a version to Envoy's default: %v", ctx)
		}
		for _, c := range ctx.CipherSuites {
			if strings.Contains(c, "DHE-") && !strings.Contains(c, "ECDHE-") {
				t.Errorf("DHE suite %s, which BoringSSL does not implement", c)
			}
		}
	}
}

func factJWT(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	for _, ja := range collect[*jwtv3.JwtAuthentication](t, bs) {
		for name, jp := range ja.Providers {
			if len(jp.FromHeaders) == 0 || len(jp.FromParams) > 0 || len(jp.FromCookies) > 0 {
				t.Errorf("provider %s: token locations %v/%v/%v: want only the policy's header (the default also reads access_token)",
					name, jp.FromHeaders, jp.FromParams, jp.FromCookies)
			}
			if jp.Forward {
				t.Errorf("provider %s forwards the token", name)
			}
			if len(jp.Audiences) == 0 {
				t.Errorf("provider %s checks no audience", name)
			}
			if jp.HeaderInMetadata == "" || jp.PayloadInMetadata == "" {
				t.Errorf("provider %s: header/payload not in metadata, so rbac cannot check alg and claims", name)
			}
		}
		for _, pr := range collect[*jwtv3.PerRouteConfig](t, bs) {
			if n := pr.GetRequirementName(); n != "" && ja.RequirementMap[n] == nil {
				t.Errorf("route requirement %q is not in the requirement map", n)
			}
		}
	}
}

func factAccessLog(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	hideQuery := false
	for _, r := range p.Logging.Redact {
		hideQuery = hideQuery || r.Kind == "query"
	}
	var formats []string
	for _, f := range collect[*filev3.FileAccessLog](t, bs) {
		b, _ := protojson.Marshal(f.GetLogFormat())
		formats = append(formats, string(b))
	}
	for _, f := range collect[*streamv3.StdoutAccessLog](t, bs) {
		b, _ := protojson.Marshal(f.GetLogFormat())
		formats = append(formats, string(b))
	}
	wantLogs := p.Logging.Enabled && (p.Logging.Sink == "file" || p.Logging.Sink == "stdout")
	if wantLogs && len(formats) != len(p.Listeners) {
		t.Errorf("%d access logs for %d listeners", len(formats), len(p.Listeners))
	}
	if !wantLogs && len(formats) > 0 {
		t.Errorf("access log for sink %q", p.Logging.Sink)
	}
	for _, f := range formats {
		low := strings.ToLower(f)
		for _, bad := range []string{"authorization", "cookie", "%req(x-api-key", "%req(x-rampart-log-identity"} {
			if strings.Contains(low, bad) {
				t.Errorf("access log format records %s: %s", bad, f)
			}
		}
		if hideQuery && strings.Contains(f, "%REQ(:PATH)%") {
			t.Errorf("a query key must be hidden, but the log records the full path: %s", f)
		}
	}
}

func factRoutes(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	ms := hcms(t, bs)
	for _, s := range p.Services {
		for _, lname := range s.Listeners {
			var names []string
			for _, r := range collect[*routev3.Route](t, ms[lname]) {
				names = append(names, r.Name)
			}
			for _, r := range s.Routes {
				if !slices.Contains(names, r.ID) {
					t.Errorf("route %s missing from listener %s", r.ID, lname)
				}
			}
			for _, vh := range collect[*routev3.VirtualHost](t, ms[lname]) {
				last := vh.Routes[len(vh.Routes)-1]
				if _, direct := last.Action.(*routev3.Route_DirectResponse); !direct || last.Match.GetPrefix() != "/" ||
					last.GetDirectResponse().GetStatus() != 404 || len(last.Match.Headers) > 0 {
					t.Errorf("listener %s virtual host %s: last route %s is not a 404 catch-all", lname, vh.Name, last.Name)
				}
			}
		}
	}
}

func factCORS(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	routes := map[string]*routev3.Route{}
	for _, r := range collect[*routev3.Route](t, bs) {
		routes[r.Name] = r
	}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			if r.CORS == nil {
				continue
			}
			for _, name := range []string{r.ID, r.ID + "#preflight"} {
				rt := routes[name]
				if rt == nil {
					t.Errorf("route %s missing", name)
					continue
				}
				a := rt.TypedPerFilterConfig["envoy.filters.http.cors"]
				var cp corsv3.CorsPolicy
				if a == nil || a.UnmarshalTo(&cp) != nil || len(cp.AllowOriginStringMatch) != len(r.CORS.AllowOrigins) ||
					!is100(cp.GetFilterEnabled().GetDefaultValue()) {
					t.Errorf("route %s: no CORS policy with the route's %d origins, enabled at 100 %%", name, len(r.CORS.AllowOrigins))
				}
			}
		}
	}
}

func factLimitsHeaders(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	ms := hcms(t, bs)
	for _, s := range p.Services {
		for _, lname := range s.Listeners {
			m := ms[lname]
			routes := map[string]placed{}
			for _, r := range placedRoutes(t, m) {
				routes[r.rt.Name] = r
			}
			for _, r := range s.Routes {
				pr, ok := routes[r.ID]
				if !ok {
					continue // factRoutes reports it
				}
				rt := pr.rt
				if r.Limits.MaxBodyBytes > 0 {
					var b bufferv3.BufferPerRoute
					if a := pr.perFilter("envoy.filters.http.buffer"); a == nil || a.UnmarshalTo(&b) != nil ||
						b.GetBuffer().GetMaxRequestBytes().GetValue() != uint32(r.Limits.MaxBodyBytes) {
						t.Errorf("route %s: no buffer limit of %d bytes", r.ID, r.Limits.MaxBodyBytes)
					}
				}
				if n := r.Limits.MaxHeaderBytes; n > 0 && (m.MaxRequestHeadersKb == nil || int(m.MaxRequestHeadersKb.Value)*1024 > max(n, 1024)) {
					t.Errorf("route %s: header limit %d bytes, connection manager allows %v KiB", r.ID, n, m.MaxRequestHeadersKb)
				}
				if n := r.Limits.UpstreamTimeout; n > 0 && rt.GetRoute().GetTimeout().AsDuration().Seconds() != float64(n) {
					t.Errorf("route %s: upstream timeout %v, want %ds", r.ID, rt.GetRoute().GetTimeout(), n)
				}
				got := map[string]string{}
				for k, h := range pr.responseHeaders() {
					got[k] = strings.ReplaceAll(h.GetHeader().GetValue(), "%%", "%")
				}
				for _, h := range r.Headers.Set {
					if k := strings.ToLower(h.Name); got[k] != h.Value {
						t.Errorf("route %s: header %s = %q, want %q", r.ID, h.Name, got[k], h.Value)
					}
				}
				if r.Headers.HideServerTokens && !pr.removesHeader("server") {
					t.Errorf("route %s: the upstream's Server header is not removed", r.ID)
				}
			}
		}
	}
}

// factLocalReplyHeaders: route response_headers_to_add reach a local
// reply only when the reply is sent on a route (Envoy applies the
// route's header rules to local replies since envoyproxy/envoy#13204;
// the runtime guard always_apply_route_header_rules has since been
// removed). Replies the connection manager sends before routing (400,
// 431, 408) have no route: a local_reply_config mapper matching every
// status adds the headers all of the listener's routes set, and HSTS,
// without replacing a route's own values (ADD_IF_ABSENT). The 404
// routes, which belong to no policy route, carry them as well.
func factLocalReplyHeaders(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	ms := hcms(t, bs)
	for _, l := range p.Listeners {
		m := ms[l.Name]
		if m == nil {
			continue // factFilterOrder reports it
		}
		want := map[string]string{}
		first := true
		for _, s := range p.Services {
			if !slices.Contains(s.Listeners, l.Name) {
				continue
			}
			for _, r := range s.Routes {
				got := map[string]string{}
				for _, h := range r.Headers.Set {
					got[strings.ToLower(h.Name)] = h.Value
				}
				if first {
					want, first = got, false
					continue
				}
				for k, v := range want {
					if got[k] != v {
						delete(want, k)
					}
				}
			}
		}
		if l.TLS != nil && l.TLS.HSTS != nil {
			want["strict-transport-security"] = "" // any value: factTLS-independent presence
		}
		if len(want) == 0 {
			continue
		}
		added := map[string]bool{}
		for _, mp := range m.GetLocalReplyConfig().GetMappers() {
			c := mp.GetFilter().GetStatusCodeFilter().GetComparison()
			if c.GetOp() != accesslogv3.ComparisonFilter_GE || c.GetValue().GetDefaultValue() > 100 {
				continue // not a mapper for every local reply
			}
			for _, h := range mp.GetHeadersToAdd() {
				k := strings.ToLower(h.GetHeader().GetKey())
				v := strings.ReplaceAll(h.GetHeader().GetValue(), "%%", "%")
				if w, ok := want[k]; ok && (w == "" || w == v) && h.GetAppendAction() == corev3.HeaderValueOption_ADD_IF_ABSENT {
					added[k] = true
				}
			}
		}
		for k := range want {
			if !added[k] {
				t.Errorf("listener %s: local replies before routing (400, 431, 408) lack %s: no local_reply_config mapper adds it", l.Name, k)
			}
		}
		for _, pr := range placedRoutes(t, m) {
			has := pr.responseHeaders()
			for k := range want {
				if has[k] == nil {
					t.Errorf("listener %s: route %s sends no %s", l.Name, pr.rt.GetName(), k)
				}
			}
		}
	}
}

// factContentTypesHTTP1: a listener whose routes check content types
// serves HTTP/1.1 only. Its #no-body routes pass a request by the absence
// of content-length and transfer-encoding, which says "no body" only in
// HTTP/1.1 (RFC 9112 §6.3); an HTTP/2 request may send DATA frames
// without content-length, and routing sees headers only. So the
// connection manager's codec is HTTP1 (AUTO would accept HTTP/2 by ALPN
// or prior knowledge) and its TLS context advertises no protocol but
// http/1.1. A listener needs this when the policy gives one of its routes
// content types, or when the bootstrap holds a #no-body route on it.
func factContentTypesHTTP1(t testing.TB, p *ir.Policy, bs *bootstrapv3.Bootstrap) {
	need := map[string]bool{}
	for _, s := range p.Services {
		for _, r := range s.Routes {
			for _, l := range s.Listeners {
				need[l] = need[l] || len(r.ContentTypes) > 0
			}
		}
	}
	for _, l := range bs.GetStaticResources().GetListeners() {
		ms := collect[*hcmv3.HttpConnectionManager](t, l)
		noBody := false
		for _, r := range collect[*routev3.Route](t, l) {
			noBody = noBody || strings.HasSuffix(r.GetName(), "#no-body")
		}
		if !need[l.Name] && !noBody {
			continue
		}
		delete(need, l.Name)
		for _, m := range ms {
			if m.GetCodecType() != hcmv3.HttpConnectionManager_HTTP1 {
				t.Errorf("listener %s checks content types but its codec is %v, not HTTP1: an HTTP/2 request with a body and no content-length passes as bodiless", l.Name, m.GetCodecType())
			}
		}
		for _, ctx := range collect[*tlsv3.DownstreamTlsContext](t, l) {
			for _, proto := range ctx.GetCommonTlsContext().GetAlpnProtocols() {
				if proto != "http/1.1" {
					t.Errorf("listener %s checks content types but advertises ALPN %q", l.Name, proto)
				}
			}
		}
	}
	for name, n := range need {
		if n {
			t.Errorf("the policy checks content types on listener %s, which the bootstrap does not have", name)
		}
	}
}
