package envoy

import (
	"fmt"

	mutationv3 "github.com/envoyproxy/go-control-plane/envoy/config/common/mutation_rules/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	earlyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// hcmName is the HTTP connection manager's network filter name.
const hcmName = "envoy.filters.network.http_connection_manager"

// scrubbed are request headers a client could use to pose as rampart's
// authorizer or as another client; they are removed before routing, so
// only the authorizer's answer (ext_authz allowed_upstream_headers) sets
// them for the upstream.
var scrubbed = []string{"x-rampart-subject", "x-rampart-roles", "x-rampart-route", "x-rampart-log-identity",
	"x-rampart-status", "x-rampart-client-ip", "x-rampart-client-cert"}

// listener is one IR listener: a socket, its TLS transport socket, and
// one HTTP connection manager.
func (e *emitter) listener(l *ir.Listener) (*listenerv3.Listener, error) {
	if err := checkPort("listener "+l.Name, l.Port); err != nil {
		return nil, err
	}
	if l.RedirectPort != 0 {
		if err := checkPort("listener "+l.Name+" redirect", l.RedirectPort); err != nil {
			return nil, err
		}
	}
	hcm, err := e.connectionManager(l)
	if err != nil {
		return nil, err
	}
	chain := &listenerv3.FilterChain{Filters: []*listenerv3.Filter{{
		Name: hcmName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: e.pack(hcm)}}}}
	if l.TLS != nil {
		ts, err := e.downstreamTLS(l)
		if err != nil {
			return nil, err
		}
		chain.TransportSocket = ts
	}
	out := &listenerv3.Listener{Name: l.Name, Address: socket(l.Address, l.Port), FilterChains: []*listenerv3.FilterChain{chain}}
	if err := e.proxyProtocol(l, out); err != nil {
		return nil, err
	}
	return out, nil
}

// connectionManager builds the listener's HCM: its codec (HTTP/1.1 only
// when a route checks content types, see http1Only), routes, the filter
// chain in ir.PhaseOrder, header and timeout limits, path normalisation, the
// client address from the connection, and the access log.
func (e *emitter) connectionManager(l *ir.Listener) (*hcmv3.HttpConnectionManager, error) {
	rc, err := e.routeConfig(l)
	if err != nil {
		return nil, err
	}
	for _, vh := range rc.VirtualHosts {
		hoist(vh)
	}
	filters, err := e.httpFilters(l)
	if err != nil {
		return nil, err
	}
	logs, err := e.accessLogs()
	if err != nil {
		return nil, err
	}
	lim := e.listenerLimits(l)
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix:                    "rampart_" + l.Name,
		CodecType:                     e.codecType(l),
		RouteSpecifier:                &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:                   filters,
		AccessLog:                     logs,
		UseRemoteAddress:              wrapperspb.Bool(true),
		NormalizePath:                 wrapperspb.Bool(true),
		MergeSlashes:                  true,
		PathWithEscapedSlashesAction:  hcmv3.HttpConnectionManager_REJECT_REQUEST,
		StripMatchingHostPort:         false,
		StripPortMode:                 &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true},
		ForwardClientCertDetails:      hcmv3.HttpConnectionManager_SANITIZE,
		EarlyHeaderMutationExtensions: []*corev3.TypedExtensionConfig{e.scrub()},
		CommonHttpProtocolOptions:     &corev3.HttpProtocolOptions{HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_REJECT_REQUEST},
		ServerHeaderTransformation:    hcmv3.HttpConnectionManager_OVERWRITE,
		MaxRequestHeadersKb:           lim.headersKB,
		RequestHeadersTimeout:         lim.headersTimeout,
		LocalReplyConfig:              e.localReply(l),
	}
	if lim.idle != nil {
		hcm.CommonHttpProtocolOptions.IdleTimeout = lim.idle
	}
	if e.hidesServer(l) {
		hcm.ServerHeaderTransformation = hcmv3.HttpConnectionManager_PASS_THROUGH
	}
	if err := e.originalIP(l, hcm); err != nil {
		return nil, err
	}
	if l.TLS != nil && l.TLS.ClientAuth != nil {
		// the verified certificate's subject, for the listener's subject
		// check in rbac; any client-sent value is replaced
		hcm.ForwardClientCertDetails = hcmv3.HttpConnectionManager_SANITIZE_SET
		hcm.SetCurrentClientCertDetails = &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{Subject: wrapperspb.Bool(true)}
	}
	return hcm, nil
}

// scrub is the early header mutation that removes rampart's own headers
// from client requests before any filter sees them.
func (e *emitter) scrub() *corev3.TypedExtensionConfig {
	var muts []*mutationv3.HeaderMutation
	for _, h := range scrubbed {
		muts = append(muts, &mutationv3.HeaderMutation{Action: &mutationv3.HeaderMutation_Remove{Remove: h}})
	}
	return &corev3.TypedExtensionConfig{Name: "rampart.scrub", TypedConfig: e.pack(&earlyv3.HeaderMutation{Mutations: muts})}
}

// redirectListener answers plaintext requests on the redirect port with
// a redirect to HTTPS on the listener's port.
func (e *emitter) redirectListener(l *ir.Listener) *listenerv3.Listener {
	rc := &routev3.RouteConfiguration{Name: l.Name + "_redirect", VirtualHosts: []*routev3.VirtualHost{{
		Name: l.Name + "_redirect", Domains: domains(l.Hosts),
		Routes: []*routev3.Route{{
			Name:  l.Name + "/https-redirect",
			Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{
				SchemeRewriteSpecifier: &routev3.RedirectAction_HttpsRedirect{HttpsRedirect: true},
				PortRedirect:           uint32(l.Port),
				ResponseCode:           routev3.RedirectAction_PERMANENT_REDIRECT,
			}},
		}},
	}}}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix:       "rampart_" + l.Name + "_redirect",
		RouteSpecifier:   &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:      []*hcmv3.HttpFilter{e.router()},
		UseRemoteAddress: wrapperspb.Bool(true),
		StripPortMode:    &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true},
	}
	return &listenerv3.Listener{Name: l.Name + "_redirect", Address: socket(l.Address, l.RedirectPort),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: hcmName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: e.pack(hcm)}}}}}}
}

// socket is a TCP address.
func socket(addr string, port int) *corev3.Address {
	if addr == "" {
		addr = "0.0.0.0"
	}
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: addr, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)}}}}
}

// domains are a virtual host's domains: the listener's hosts, or any.
func domains(hosts []string) []string {
	if len(hosts) == 0 {
		return []string{"*"}
	}
	return append([]string(nil), hosts...)
}

// seconds is a duration of n seconds, or nil for zero.
func seconds(n int) *durationpb.Duration {
	if n <= 0 {
		return nil
	}
	return durationpb.New(secondsDur(n))
}

// checkPort refuses ports Envoy cannot bind.
func checkPort(what string, port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%s port %d", what, port)
	}
	return nil
}
