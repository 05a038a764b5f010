package live

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// view is a normalised Envoy configuration: what drift compares.
type view struct {
	listeners map[string]*lview
	order     []string
	clusters  map[string]*clusterv3.Cluster
	// routeConfigs are RDS route configurations by name.
	routeConfigs map[string]*routev3.RouteConfiguration
	// node is the bootstrap's node, when the live side shows one: it
	// carries rampart's marker (checkMarker).
	node *corev3.Node
}

// lview is one listener.
type lview struct {
	name, address string
	// tls is the filter chain's downstream TLS context; nil for plaintext.
	tls *tlsv3.DownstreamTlsContext
	hcm *hcmv3.HttpConnectionManager
	// client is where the listener takes the client address from.
	client clientView
	// filters are the HTTP filters' names in order and their configs.
	filters []string
	configs map[string]proto.Message
	vhosts  []*vview
}

// vview is one virtual host with its routes in order.
type vview struct {
	vh     *routev3.VirtualHost
	routes []*rview
	byName map[string]*rview
}

// rview is one route with its per-filter configs unpacked.
type rview struct {
	route     *routev3.Route
	perFilter map[string]proto.Message
}

// hcmName is the HTTP connection manager's network filter.
const hcmName = "envoy.filters.network.http_connection_manager"

// newView reduces listeners and clusters to a view; route configurations
// named by RDS are looked up in rcs.
func newView(listeners []*listenerv3.Listener, clusters []*clusterv3.Cluster, rcs map[string]*routev3.RouteConfiguration) (*view, error) {
	v := &view{listeners: map[string]*lview{}, clusters: map[string]*clusterv3.Cluster{}, routeConfigs: rcs}
	for _, l := range listeners {
		lv, err := v.listener(l)
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.GetName(), err)
		}
		if _, dup := v.listeners[lv.name]; !dup {
			v.order = append(v.order, lv.name)
		}
		v.listeners[lv.name] = lv
	}
	for _, c := range clusters {
		v.clusters[c.GetName()] = c
	}
	return v, nil
}

// listener reduces one listener: its (first and, for rampart, only)
// filter chain's TLS context and connection manager.
func (v *view) listener(l *listenerv3.Listener) (*lview, error) {
	lv := &lview{name: l.GetName(), configs: map[string]proto.Message{}}
	if sa := l.GetAddress().GetSocketAddress(); sa != nil {
		lv.address = fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue())
	}
	if len(l.GetFilterChains()) == 0 {
		return lv, nil
	}
	if len(l.GetFilterChains()) > 1 {
		return nil, fmt.Errorf("%d filter chains: rampart compares listeners with one", len(l.GetFilterChains()))
	}
	lv.client = readClientView(l)
	fc := l.GetFilterChains()[0]
	if ts := fc.GetTransportSocket(); ts != nil {
		tc := &tlsv3.DownstreamTlsContext{}
		if err := ts.GetTypedConfig().UnmarshalTo(tc); err != nil {
			return nil, fmt.Errorf("transport socket: %w", err)
		}
		lv.tls = tc
	}
	for _, f := range fc.GetFilters() {
		if f.GetName() != hcmName {
			continue
		}
		hcm := &hcmv3.HttpConnectionManager{}
		if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
			return nil, fmt.Errorf("%s: %w", hcmName, err)
		}
		lv.hcm = hcm
	}
	if lv.hcm == nil {
		return lv, nil
	}
	for _, hf := range lv.hcm.GetHttpFilters() {
		lv.filters = append(lv.filters, hf.GetName())
		if tc := hf.GetTypedConfig(); tc != nil {
			m, err := unpack(tc)
			if err != nil {
				return nil, fmt.Errorf("http filter %s: %w", hf.GetName(), err)
			}
			lv.configs[hf.GetName()] = m
		}
	}
	rc := lv.hcm.GetRouteConfig()
	if name := lv.hcm.GetRds().GetRouteConfigName(); name != "" {
		if rc = v.routeConfigs[name]; rc == nil {
			return nil, fmt.Errorf("route configuration %q (RDS) is not in the dump", name)
		}
	}
	return lv, lv.routes(rc)
}

// routes reduces a route configuration's virtual hosts and routes.
func (lv *lview) routes(rc *routev3.RouteConfiguration) error {
	for _, vh := range rc.GetVirtualHosts() {
		vv := &vview{vh: vh, byName: map[string]*rview{}}
		for i, r := range vh.GetRoutes() {
			rv := &rview{route: r, perFilter: map[string]proto.Message{}}
			for name, a := range r.GetTypedPerFilterConfig() {
				m, err := unpack(a)
				if err != nil {
					return fmt.Errorf("route %s per-filter config %s: %w", r.GetName(), name, err)
				}
				rv.perFilter[name] = m
			}
			key := r.GetName()
			if key == "" {
				key = fmt.Sprintf("#%d", i)
			}
			vv.routes = append(vv.routes, rv)
			vv.byName[key] = rv
		}
		lv.vhosts = append(lv.vhosts, vv)
	}
	return nil
}

// unpack resolves an Any into its message.
func unpack(a *anypb.Any) (proto.Message, error) {
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	return m, nil
}
