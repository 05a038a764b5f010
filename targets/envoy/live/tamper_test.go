package live

import (
	"slices"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// onFirst edits the first listener for which edit returns true.
func onFirst(t *testing.T, cd *adminv3.ConfigDump, edit func(l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool) string {
	t.Helper()
	done := ""
	editListeners(t, cd, func(l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
		if done != "" || !edit(l, hcm) {
			return false
		}
		done = l.GetName()
		return true
	})
	if done == "" {
		t.Fatal("no listener to tamper with")
	}
	return done
}

// filterIndex is the index of an HTTP filter, -1 when absent.
func filterIndex(hcm *hcmv3.HttpConnectionManager, name string) int {
	for i, f := range hcm.GetHttpFilters() {
		if f.GetName() == name {
			return i
		}
	}
	return -1
}

// onRoute edits the first forwarding route for which edit returns true,
// returning its policy route.
func onRoute(t *testing.T, cd *adminv3.ConfigDump, edit func(r *routev3.Route) bool) (id string) {
	t.Helper()
	onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
		for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				if r.GetRoute() != nil && edit(r) {
					id = routeID(r.GetName())
					return true
				}
			}
		}
		return false
	})
	return id
}

// onVHost edits the first virtual host with a config of its own for
// filter, returning the policy routes that inherit it ("" for a route of
// no policy route, such as the 404).
func onVHost(t *testing.T, cd *adminv3.ConfigDump, filter string, edit func(vh *routev3.VirtualHost)) (ids []string) {
	t.Helper()
	onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
		for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
			if vh.TypedPerFilterConfig[filter] == nil {
				continue
			}
			for _, r := range vh.GetRoutes() {
				if _, own := r.TypedPerFilterConfig[filter]; !own {
					ids = append(ids, policyRoute(r.GetName()))
				}
			}
			edit(vh)
			return true
		}
		return false
	})
	if len(ids) == 0 {
		t.Fatal("no route inherits the virtual host's config")
	}
	return ids
}

// policyRoute is the policy route an Envoy route stands for, "" for none
// (the listener's 404s are named after the listener).
func policyRoute(name string) string {
	id := routeID(name)
	if !strings.Contains(id, "/") {
		return ""
	}
	return id
}

// setVHostFilter repacks a virtual host's per-filter config.
func setVHostFilter(t *testing.T, vh *routev3.VirtualHost, name string, m proto.Message) {
	t.Helper()
	vh.TypedPerFilterConfig[name] = pack(t, m)
}

// setPerFilter repacks a per-filter config.
func setPerFilter(t *testing.T, r *routev3.Route, name string, m proto.Message) {
	t.Helper()
	r.TypedPerFilterConfig[name] = pack(t, m)
}

var tampers = []tamper{
	{"TLS lowered", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(l *listenerv3.Listener, _ *hcmv3.HttpConnectionManager) bool {
			ts := l.GetFilterChains()[0].GetTransportSocket()
			if ts == nil {
				return false
			}
			tc := &tlsv3.DownstreamTlsContext{}
			ts.GetTypedConfig().UnmarshalTo(tc)
			tc.CommonTlsContext.TlsParams.TlsMinimumProtocolVersion = tlsv3.TlsParameters_TLSv1_0
			ts.ConfigType = &corev3.TransportSocket_TypedConfig{TypedConfig: pack(t, tc)}
			return true
		})
		return want{ir.CtlTLS, "", l, drift.Changed, nil}
	}},
	// a listener whose routes check content types serves HTTP/1.1 only:
	// HTTP/2 there lets a body without content-length pass the #no-body
	// route unchecked
	{"codec AUTO on a content-type listener", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			if hcm.CodecType != hcmv3.HttpConnectionManager_HTTP1 {
				return false
			}
			hcm.CodecType = hcmv3.HttpConnectionManager_AUTO
			return true
		})
		return want{ir.CtlContentTypes, "", l, drift.Unexpected, nil}
	}},
	{"ALPN h2 on a content-type listener", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(l *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			ts := l.GetFilterChains()[0].GetTransportSocket()
			if ts == nil || hcm.CodecType != hcmv3.HttpConnectionManager_HTTP1 {
				return false
			}
			tc := &tlsv3.DownstreamTlsContext{}
			ts.GetTypedConfig().UnmarshalTo(tc)
			tc.CommonTlsContext.AlpnProtocols = []string{"h2", "http/1.1"}
			ts.ConfigType = &corev3.TransportSocket_TypedConfig{TypedConfig: pack(t, tc)}
			return true
		})
		return want{ir.CtlContentTypes, "", l, drift.Unexpected, nil}
	}},
	{"rbac removed", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			i := filterIndex(hcm, fRBAC)
			if i < 0 {
				return false
			}
			hcm.HttpFilters = append(hcm.HttpFilters[:i], hcm.HttpFilters[i+1:]...)
			return true
		})
		return want{ir.CtlAuthzRules, "", l, drift.Missing, nil}
	}},
	{"jwt_authn after rbac", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			i, j := filterIndex(hcm, fJWT), filterIndex(hcm, fRBAC)
			if i < 0 || j < 0 {
				return false
			}
			hcm.HttpFilters[i], hcm.HttpFilters[j] = hcm.HttpFilters[j], hcm.HttpFilters[i]
			return true
		})
		return want{ir.CtlAuthzRules, "", l, drift.Changed, nil}
	}},
	{"ext_authz failure_mode_allow", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			i := filterIndex(hcm, fExtAuthz)
			if i < 0 {
				return false
			}
			ea := &extauthzv3.ExtAuthz{}
			hcm.HttpFilters[i].GetTypedConfig().UnmarshalTo(ea)
			ea.FailureModeAllow = true
			hcm.HttpFilters[i].ConfigType = &hcmv3.HttpFilter_TypedConfig{TypedConfig: pack(t, ea)}
			return true
		})
		return want{ir.CtlAPIKey, "", l, drift.Changed, nil}
	}},
	{"filter_enforced lowered", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			i := filterIndex(hcm, fRateLimit)
			if i < 0 {
				return false
			}
			rl := &localrlv3.LocalRateLimit{}
			hcm.HttpFilters[i].GetTypedConfig().UnmarshalTo(rl)
			rl.FilterEnforced.DefaultValue = &typev3.FractionalPercent{Numerator: 0, Denominator: typev3.FractionalPercent_HUNDRED}
			hcm.HttpFilters[i].ConfigType = &hcmv3.HttpFilter_TypedConfig{TypedConfig: pack(t, rl)}
			return true
		})
		return want{ir.CtlRateLimit, "", l, drift.Changed, nil}
	}},
	{"rate raised", func(t *testing.T, cd *adminv3.ConfigDump) want {
		id := onRoute(t, cd, func(r *routev3.Route) bool {
			a, ok := r.TypedPerFilterConfig[fRateLimit]
			if !ok {
				return false
			}
			rl := &localrlv3.LocalRateLimit{}
			a.UnmarshalTo(rl)
			if len(rl.Descriptors) == 0 {
				return false
			}
			rl.Descriptors[0].TokenBucket.MaxTokens *= 100
			setPerFilter(t, r, fRateLimit, rl)
			return true
		})
		return want{ir.CtlRateLimit, id, "", drift.Changed, nil}
	}},
	{"route header dropped", func(t *testing.T, cd *adminv3.ConfigDump) want {
		ctl := ""
		id := onRoute(t, cd, func(r *routev3.Route) bool {
			if len(r.ResponseHeadersToAdd) == 0 {
				return false
			}
			ctl = headerControl(strings.ToLower(r.ResponseHeadersToAdd[0].GetHeader().GetKey()))
			r.ResponseHeadersToAdd = r.ResponseHeadersToAdd[1:]
			return true
		})
		return want{ctl, id, "", drift.Missing, nil}
	}},
	{"rbac removed from a route (it inherits its virtual host's)", func(t *testing.T, cd *adminv3.ConfigDump) want {
		id := onRoute(t, cd, func(r *routev3.Route) bool {
			if _, ok := r.TypedPerFilterConfig[fRBAC]; !ok {
				return false
			}
			delete(r.TypedPerFilterConfig, fRBAC)
			return true
		})
		return want{ir.CtlAuthzRules, id, "", drift.Changed, nil}
	}},
	{"virtual host rbac weakened", func(t *testing.T, cd *adminv3.ConfigDump) want {
		ids := onVHost(t, cd, fRBAC, func(vh *routev3.VirtualHost) {
			setVHostFilter(t, vh, fRBAC, &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{
				Policies: map[string]*rbacconfigv3.Policy{"any": {
					Permissions: []*rbacconfigv3.Permission{{Rule: &rbacconfigv3.Permission_Any{Any: true}}},
					Principals:  []*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_Any{Any: true}}}}}}}})
		})
		return want{ir.CtlAuthzRules, "", "", drift.Changed, ids}
	}},
	{"virtual host rbac removed", func(t *testing.T, cd *adminv3.ConfigDump) want {
		ids := onVHost(t, cd, fRBAC, func(vh *routev3.VirtualHost) { delete(vh.TypedPerFilterConfig, fRBAC) })
		return want{ir.CtlAuthzRules, "", "", drift.Missing, ids}
	}},
	{"virtual host body limit raised", func(t *testing.T, cd *adminv3.ConfigDump) want {
		ids := onVHost(t, cd, fBuffer, func(vh *routev3.VirtualHost) {
			setVHostFilter(t, vh, fBuffer, &bufferv3.BufferPerRoute{Override: &bufferv3.BufferPerRoute_Buffer{
				Buffer: &bufferv3.Buffer{MaxRequestBytes: wrapperspb.UInt32(1 << 30)}}})
		})
		return want{ir.CtlBodyLimit, "", "", drift.Changed, ids}
	}},
	{"virtual host header dropped", func(t *testing.T, cd *adminv3.ConfigDump) want {
		var ids []string
		onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
				for i, h := range vh.ResponseHeadersToAdd {
					if strings.EqualFold(h.GetHeader().GetKey(), "x-frame-options") {
						vh.ResponseHeadersToAdd = append(vh.ResponseHeadersToAdd[:i], vh.ResponseHeadersToAdd[i+1:]...)
						for _, r := range vh.GetRoutes() {
							ids = append(ids, policyRoute(r.GetName()))
						}
						return true
					}
				}
			}
			return false
		})
		return want{ir.CtlHeaders, "", "", drift.Missing, ids}
	}},
	{"cors on the route configuration", func(t *testing.T, cd *adminv3.ConfigDump) want {
		// reported where it is set (cors merges it into routes with a
		// policy of their own) and on each route without one
		ids := []string{""}
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			if filterIndex(hcm, fCORS) < 0 {
				return false
			}
			rc := hcm.GetRouteConfig()
			rc.TypedPerFilterConfig = map[string]*anypb.Any{fCORS: pack(t, &corsv3.CorsPolicy{ExposeHeaders: "authorization"})}
			for _, vh := range rc.GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					if _, own := r.TypedPerFilterConfig[fCORS]; !own && !slices.Contains(ids, policyRoute(r.GetName())) {
						ids = append(ids, policyRoute(r.GetName()))
					}
				}
			}
			return true
		})
		return want{ir.CtlCORS, "", l, drift.Unexpected, ids}
	}},
	{"route added", func(t *testing.T, cd *adminv3.ConfigDump) want {
		onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			vh := hcm.GetRouteConfig().GetVirtualHosts()[0]
			for _, r := range vh.GetRoutes() {
				if r.GetRoute() != nil {
					nr := proto.Clone(r).(*routev3.Route)
					nr.Name = "debug"
					nr.Match = &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/debug"}}
					nr.TypedPerFilterConfig = nil
					vh.Routes = append([]*routev3.Route{nr}, vh.Routes...)
					return true
				}
			}
			return false
		})
		return want{ir.CtlUndeclared, "", "", drift.Unexpected, nil}
	}},
	{"access log removed", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			if len(hcm.AccessLog) == 0 {
				return false
			}
			hcm.AccessLog = nil
			return true
		})
		return want{ir.CtlAccessLog, "", l, drift.Changed, nil}
	}},
}
