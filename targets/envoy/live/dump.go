package live

import (
	"errors"
	"fmt"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
)

// parseDump reads /config_dump's JSON into a view (anyjson: as protojson
// reads it, each distinct Any decoded once, so the listeners, route
// tables and per-route configs a dump repeats are decoded once; with
// base, the decoder that read the policy's bootstrap, an Any whose text
// is the policy's is not read again). Listeners and clusters come from
// their own dumps (static, and dynamic active state); when a dump has
// neither, from the bootstrap's static resources. Unknown fields and Any
// types go-control-plane does not know are errors: what cannot be read
// cannot be compared.
//
// A dump holds the configuration two or three times: the bootstrap's
// static resources, the listeners and clusters dumps, and each inline
// route table again among the routes dump's static route configs. The
// first reading skips the copies that are used only when the others are
// missing (dumpSkips); when a skipped part turns out to be needed, the
// dump is read again whole.
func parseDump(data []byte, base *anyjson.Decoder, policy *reuse) (*view, error) {
	fork := func() *anyjson.Decoder {
		if base == nil {
			return &anyjson.Decoder{}
		}
		return base.Fork()
	}
	dec := fork()
	dec.Skip = dumpSkips
	v, err := parseDumpWith(data, dec, policy)
	if errors.Is(err, errSkipped) {
		v, err = parseDumpWith(data, fork(), policy)
	}
	return v, err
}

// dumpSkips are the parts of a dump read only when the rest lacks them:
// the bootstrap's static resources (when there are listeners and
// clusters dumps) and the routes dump's static route configs (the route
// tables listeners hold inline; RDS tables are dynamic).
var dumpSkips = map[protoreflect.FullName]bool{
	"envoy.config.bootstrap.v3.Bootstrap.static_resources": true,
	"envoy.admin.v3.RoutesConfigDump.static_route_configs": true,
}

// errSkipped says a reading that skipped dumpSkips needs them.
var errSkipped = errors.New("a skipped part of the dump is needed")

// parseDumpWith reads a dump with dec; errSkipped when dec skipped a part
// the view needs.
func parseDumpWith(data []byte, dec *anyjson.Decoder, policy *reuse) (*view, error) {
	var cd adminv3.ConfigDump
	u := unpacker{dec: dec}
	if err := u.dec.Unmarshal(data, &cd); err != nil {
		return nil, fmt.Errorf("reading config_dump: %w", err)
	}
	var bs *bootstrapv3.Bootstrap
	var ls []*listenerv3.Listener
	var cs []*clusterv3.Cluster
	haveL, haveC := false, false
	rcs := map[string]*routev3.RouteConfiguration{}
	for i, a := range cd.GetConfigs() {
		m, err := u.unpack(a)
		if err != nil {
			return nil, fmt.Errorf("config_dump configs[%d]: %w", i, err)
		}
		switch x := m.(type) {
		case *adminv3.BootstrapConfigDump:
			bs = x.GetBootstrap()
		case *adminv3.ListenersConfigDump:
			haveL = true
			if ls, err = dumpListeners(u, x); err != nil {
				return nil, err
			}
		case *adminv3.ClustersConfigDump:
			haveC = true
			if cs, err = dumpClusters(u, x); err != nil {
				return nil, err
			}
		case *adminv3.RoutesConfigDump:
			if err := dumpRoutes(u, x, rcs); err != nil {
				return nil, err
			}
		}
	}
	if (!haveL || !haveC) && dec.Skip != nil {
		return nil, errSkipped
	}
	if !haveL && bs != nil {
		ls = bs.GetStaticResources().GetListeners()
	}
	if !haveC && bs != nil {
		cs = bs.GetStaticResources().GetClusters()
	}
	if !haveL && bs == nil {
		return nil, fmt.Errorf("config_dump holds neither a listeners nor a bootstrap dump")
	}
	v, err := newView(u, ls, cs, rcs, policy)
	if errors.Is(err, errNoRouteConfig) && dec.Skip != nil {
		return nil, errSkipped
	}
	if err != nil {
		return nil, err
	}
	v.node = bs.GetNode()
	return v, nil
}

// dumpListeners returns the static listeners and each dynamic listener's
// active state (warming and draining states are not serving).
func dumpListeners(u unpacker, d *adminv3.ListenersConfigDump) ([]*listenerv3.Listener, error) {
	var out []*listenerv3.Listener
	for _, s := range d.GetStaticListeners() {
		l, err := unpackAs[*listenerv3.Listener](u, s.GetListener())
		if err != nil {
			return nil, fmt.Errorf("static listener: %w", err)
		}
		out = append(out, l)
	}
	for _, dl := range d.GetDynamicListeners() {
		if dl.GetActiveState() == nil {
			continue
		}
		l, err := unpackAs[*listenerv3.Listener](u, dl.GetActiveState().GetListener())
		if err != nil {
			return nil, fmt.Errorf("dynamic listener %s: %w", dl.GetName(), err)
		}
		out = append(out, l)
	}
	return out, nil
}

// dumpClusters returns the static and active dynamic clusters.
func dumpClusters(u unpacker, d *adminv3.ClustersConfigDump) ([]*clusterv3.Cluster, error) {
	var out []*clusterv3.Cluster
	for _, s := range d.GetStaticClusters() {
		c, err := unpackAs[*clusterv3.Cluster](u, s.GetCluster())
		if err != nil {
			return nil, fmt.Errorf("static cluster: %w", err)
		}
		out = append(out, c)
	}
	for _, dc := range d.GetDynamicActiveClusters() {
		c, err := unpackAs[*clusterv3.Cluster](u, dc.GetCluster())
		if err != nil {
			return nil, fmt.Errorf("dynamic cluster: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// dumpRoutes records the static and dynamic route configurations by name.
func dumpRoutes(u unpacker, d *adminv3.RoutesConfigDump, into map[string]*routev3.RouteConfiguration) error {
	for _, s := range d.GetStaticRouteConfigs() {
		rc, err := unpackAs[*routev3.RouteConfiguration](u, s.GetRouteConfig())
		if err != nil {
			return fmt.Errorf("static route config: %w", err)
		}
		into[rc.GetName()] = rc
	}
	for _, dr := range d.GetDynamicRouteConfigs() {
		rc, err := unpackAs[*routev3.RouteConfiguration](u, dr.GetRouteConfig())
		if err != nil {
			return fmt.Errorf("dynamic route config: %w", err)
		}
		into[rc.GetName()] = rc
	}
	return nil
}
