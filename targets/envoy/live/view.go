package live

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
)

// view is a normalised Envoy configuration: what drift compares.
type view struct {
	u         unpacker
	listeners map[string]*lview
	order     []string
	clusters  map[string]*clusterv3.Cluster
	// routeConfigs are RDS route configurations by name.
	routeConfigs map[string]*routev3.RouteConfiguration
	// node is the bootstrap's node, when the live side shows one: it
	// carries rampart's marker (checkMarker).
	node *corev3.Node
	// policy offers the policy's reduced route tables (nil on the
	// policy's side).
	policy *reuse
}

// reuse is the policy's side, reduced, offered to a live view: a live
// route configuration or virtual host that is the policy's own message
// (shared by the decoder: anyjson KeepText and Parts) takes the
// reduction, and the recorded comparison (recordSelf), already made.
type reuse struct {
	tables    map[*routev3.RouteConfiguration]*lview
	listeners map[string]*lview
}

// newReuse indexes the policy's view.
func newReuse(v *view) *reuse {
	r := &reuse{tables: map[*routev3.RouteConfiguration]*lview{}, listeners: v.listeners}
	for _, lv := range v.listeners {
		if lv.rc != nil {
			r.tables[lv.rc] = lv
		}
	}
	return r
}

// table is the policy's listener whose route table is rc.
func (r *reuse) table(rc *routev3.RouteConfiguration) *lview {
	if r == nil || rc == nil {
		return nil
	}
	return r.tables[rc]
}

// routes returns the policy's reduced routes of virtual host vh of
// listener name by their message, when the live route configuration rc
// and vh (their own per-filter configs unpacked: rcFilters, vhFilters)
// give their routes what the policy's do: the same per-filter configs
// and response header rules; nil otherwise.
func (r *reuse) routes(name string, rc *routev3.RouteConfiguration, rcFilters map[string]proto.Message,
	vh *routev3.VirtualHost, vhFilters map[string]proto.Message) map[*routev3.Route]*rview {
	if r == nil {
		return nil
	}
	w := r.listeners[name]
	if w == nil || w.rc == nil || !sameMessages(w.rcPerFilter, rcFilters) || !proto.Equal(rcHeaders(w.rc), rcHeaders(rc)) {
		return nil
	}
	for _, wv := range w.vhosts {
		if wv.vh.GetName() == vh.GetName() && sameMessages(wv.perFilter, vhFilters) && proto.Equal(vhHeaders(wv.vh), vhHeaders(vh)) {
			return wv.byRoute
		}
	}
	return nil
}

// sameMessages reports two maps of equal messages.
func sameMessages(a, b map[string]proto.Message) bool {
	if len(a) != len(b) {
		return false
	}
	for k, m := range a {
		if n, ok := b[k]; !ok || (m != n && !proto.Equal(m, n)) {
			return false
		}
	}
	return true
}

// vhHeaders is what of a virtual host its routes' effective response
// headers depend on (effectiveHeaders).
func vhHeaders(vh *routev3.VirtualHost) *routev3.VirtualHost {
	return &routev3.VirtualHost{ResponseHeadersToAdd: vh.GetResponseHeadersToAdd(), ResponseHeadersToRemove: vh.GetResponseHeadersToRemove()}
}

// rcHeaders is what of a route configuration its routes' effective
// response headers depend on (effectiveHeaders).
func rcHeaders(rc *routev3.RouteConfiguration) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{ResponseHeadersToAdd: rc.GetResponseHeadersToAdd(), ResponseHeadersToRemove: rc.GetResponseHeadersToRemove(),
		MostSpecificHeaderMutationsWins: rc.GetMostSpecificHeaderMutationsWins()}
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
	// rcPerFilter are the route configuration's own per-filter configs.
	rcPerFilter map[string]proto.Message
	// rc is the route configuration the vhosts were reduced from.
	rc *routev3.RouteConfiguration
	// self is the comparison of the route table with itself (Want
	// records it; nil when not recorded): a live listener whose route
	// configuration is this very message (its text was the policy's, see
	// Want.dec) compares as this does, so its checks are appended, not
	// made again.
	self *drift.Diff
}

// vview is one virtual host with its routes in order.
type vview struct {
	vh *routev3.VirtualHost
	// perFilter are the virtual host's own per-filter configs, unpacked.
	perFilter map[string]proto.Message
	routes    []*rview
	byName    map[string]*rview
	// byRoute finds the routes by their message.
	byRoute map[*routev3.Route]*rview
}

// rview is one route with its effective configuration: what Envoy
// applies to it, resolved from the route, its virtual host and the route
// configuration.
type rview struct {
	route *routev3.Route
	// self is the route's comparison with itself (as lview.self).
	self *drift.Diff
	// perFilter is each filter's effective per-route config: the most
	// specific of the route's, the virtual host's and the route
	// configuration's (how Envoy resolves every filter rampart configures
	// per route; cors also merges the less specific ones field by field,
	// which vhostFilters compares on its own).
	perFilter map[string]proto.Message
	// from says where each effective config is set: "" (the route),
	// levelVHost or levelRC.
	from map[string]string
	// headers are the effective response headers added, by lower-cased
	// name, as "value (APPEND_ACTION)"; removed the headers removed at
	// any level.
	headers map[string]string
	removed []string
}

// Levels a route inherits configuration from.
const (
	levelVHost = "virtual host"
	levelRC    = "route configuration"
)

// errNoRouteConfig: a listener's RDS route configuration is not in the
// dump.
var errNoRouteConfig = errors.New("not in the dump")

// hcmName is the HTTP connection manager's network filter.
const hcmName = "envoy.filters.network.http_connection_manager"

// newView reduces listeners and clusters to a view; route configurations
// named by RDS are looked up in rcs; what policy offers is not reduced
// again.
func newView(u unpacker, listeners []*listenerv3.Listener, clusters []*clusterv3.Cluster, rcs map[string]*routev3.RouteConfiguration,
	policy *reuse) (*view, error) {
	v := &view{u: u, listeners: map[string]*lview{}, clusters: map[string]*clusterv3.Cluster{}, routeConfigs: rcs, policy: policy}
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
		tc, err := unpackAs[*tlsv3.DownstreamTlsContext](v.u, ts.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("transport socket: %w", err)
		}
		lv.tls = tc
	}
	for _, f := range fc.GetFilters() {
		if f.GetName() != hcmName {
			continue
		}
		hcm, err := unpackAs[*hcmv3.HttpConnectionManager](v.u, f.GetTypedConfig())
		if err != nil {
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
			m, err := v.u.unpack(tc)
			if err != nil {
				return nil, fmt.Errorf("http filter %s: %w", hf.GetName(), err)
			}
			lv.configs[hf.GetName()] = m
		}
	}
	rc := lv.hcm.GetRouteConfig()
	if name := lv.hcm.GetRds().GetRouteConfigName(); name != "" {
		if rc = v.routeConfigs[name]; rc == nil {
			return nil, fmt.Errorf("route configuration %q (RDS): %w", name, errNoRouteConfig)
		}
	}
	if k := v.policy.table(rc); k != nil {
		lv.rc, lv.vhosts, lv.rcPerFilter, lv.self = rc, k.vhosts, k.rcPerFilter, k.self
		return lv, nil
	}
	return lv, lv.routes(v.u, rc, v.policy)
}

// routes reduces a route configuration's virtual hosts and routes, each
// route to its effective configuration; a route the policy offers
// (reuse.routes) is taken as the policy reduced it.
func (lv *lview) routes(u unpacker, rc *routev3.RouteConfiguration, policy *reuse) error {
	rcFilters, err := u.unpackAll(rc.GetTypedPerFilterConfig())
	if err != nil {
		return fmt.Errorf("route configuration %s per-filter config %w", rc.GetName(), err)
	}
	lv.rcPerFilter, lv.rc = rcFilters, rc
	for _, vh := range rc.GetVirtualHosts() {
		vf, err := u.unpackAll(vh.GetTypedPerFilterConfig())
		if err != nil {
			return fmt.Errorf("virtual host %s per-filter config %w", vh.GetName(), err)
		}
		vv := &vview{vh: vh, perFilter: vf, byName: map[string]*rview{}, byRoute: map[*routev3.Route]*rview{}}
		same := policy.routes(lv.name, rc, rcFilters, vh, vf)
		for i, r := range vh.GetRoutes() {
			key := r.GetName()
			if key == "" {
				key = fmt.Sprintf("#%d", i)
			}
			if rv := same[r]; rv != nil {
				vv.routes, vv.byName[key], vv.byRoute[r] = append(vv.routes, rv), rv, rv
				continue
			}
			own, err := u.unpackAll(r.GetTypedPerFilterConfig())
			if err != nil {
				return fmt.Errorf("route %s per-filter config %w", r.GetName(), err)
			}
			rv := &rview{route: r, perFilter: own, from: map[string]string{}}
			for _, lvl := range []struct {
				name string
				m    map[string]proto.Message
			}{{levelVHost, vf}, {levelRC, rcFilters}} {
				for f, m := range lvl.m {
					if _, ok := rv.perFilter[f]; !ok {
						rv.perFilter[f], rv.from[f] = m, lvl.name
					}
				}
			}
			rv.headers, rv.removed = effectiveHeaders(rc, vh, r)
			vv.routes, vv.byName[key], vv.byRoute[r] = append(vv.routes, rv), rv, rv
		}
		lv.vhosts = append(lv.vhosts, vv)
	}
	return nil
}

// unpackAll unpacks a typed_per_filter_config map.
func (u unpacker) unpackAll(cfg map[string]*anypb.Any) (map[string]proto.Message, error) {
	out := make(map[string]proto.Message, len(cfg))
	for name, a := range cfg {
		m, err := u.unpack(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = m
	}
	return out, nil
}

// effectiveHeaders applies the response header rules of a route, its
// virtual host and the route configuration in the order Envoy does
// (route first, unless most_specific_header_mutations_wins), each level
// removing then adding; it returns the headers added, by lower-cased
// name with value and append action, and every header removed.
func effectiveHeaders(rc *routev3.RouteConfiguration, vh *routev3.VirtualHost, r *routev3.Route) (map[string]string, []string) {
	type level struct {
		add []*corev3.HeaderValueOption
		rm  []string
	}
	levels := []level{{r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove()},
		{vh.GetResponseHeadersToAdd(), vh.GetResponseHeadersToRemove()},
		{rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove()}}
	if rc.GetMostSpecificHeaderMutationsWins() {
		slices.Reverse(levels)
	}
	added := map[string]string{}
	var removed []string
	for _, l := range levels {
		for _, n := range l.rm {
			n = strings.ToLower(n)
			delete(added, n)
			removed = append(removed, n)
		}
		for _, h := range l.add {
			k := strings.ToLower(h.GetHeader().GetKey())
			if _, ok := added[k]; ok && h.GetAppendAction() == corev3.HeaderValueOption_ADD_IF_ABSENT {
				continue
			}
			added[k] = h.GetHeader().GetValue() + " (" + h.GetAppendAction().String() + ")"
		}
	}
	return added, removed
}

// unpacker unpacks Anys through the decoder that read them, when there is
// one (each distinct Any decoded once; its message is shared, so views
// only read messages), else from their bytes.
type unpacker struct{ dec *anyjson.Decoder }

// unpack resolves an Any into its message.
func (u unpacker) unpack(a *anypb.Any) (proto.Message, error) {
	if u.dec == nil {
		return unpack(a)
	}
	m, err := u.dec.Unpack(a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	return m, nil
}

// unpackAs unpacks a into a T, which it must hold (as UnmarshalTo).
func unpackAs[T proto.Message](u unpacker, a *anypb.Any) (T, error) {
	var zero T
	m, err := u.unpack(a)
	if err != nil {
		return zero, err
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("mismatched message type: got %q, want %q", a.MessageName(), zero.ProtoReflect().Descriptor().FullName())
	}
	return t, nil
}

// unpack resolves an Any into its message.
func unpack(a *anypb.Any) (proto.Message, error) {
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.GetTypeUrl(), err)
	}
	return m, nil
}
