package live

import (
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	localrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"

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
		return want{ir.CtlTLS, "", l, drift.Changed}
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
		return want{ir.CtlAuthzRules, "", l, drift.Missing}
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
		return want{ir.CtlAuthzRules, "", l, drift.Changed}
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
		return want{ir.CtlAPIKey, "", l, drift.Changed}
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
		return want{ir.CtlRateLimit, "", l, drift.Changed}
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
		return want{ir.CtlRateLimit, id, "", drift.Changed}
	}},
	{"header dropped", func(t *testing.T, cd *adminv3.ConfigDump) want {
		id := onRoute(t, cd, func(r *routev3.Route) bool {
			for i, h := range r.ResponseHeadersToAdd {
				if strings.EqualFold(h.GetHeader().GetKey(), "x-frame-options") {
					r.ResponseHeadersToAdd = append(r.ResponseHeadersToAdd[:i], r.ResponseHeadersToAdd[i+1:]...)
					return true
				}
			}
			return false
		})
		return want{ir.CtlHeaders, id, "", drift.Missing}
	}},
	{"rbac disabled on a route", func(t *testing.T, cd *adminv3.ConfigDump) want {
		id := onRoute(t, cd, func(r *routev3.Route) bool {
			if _, ok := r.TypedPerFilterConfig[fRBAC]; !ok {
				return false
			}
			delete(r.TypedPerFilterConfig, fRBAC)
			return true
		})
		return want{ir.CtlAuthzRules, id, "", drift.Missing}
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
		return want{ir.CtlUndeclared, "", "", drift.Unexpected}
	}},
	{"access log removed", func(t *testing.T, cd *adminv3.ConfigDump) want {
		l := onFirst(t, cd, func(_ *listenerv3.Listener, hcm *hcmv3.HttpConnectionManager) bool {
			if len(hcm.AccessLog) == 0 {
				return false
			}
			hcm.AccessLog = nil
			return true
		})
		return want{ir.CtlAccessLog, "", l, drift.Changed}
	}},
}
