package envoy

import (
	"fmt"
	"sort"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// emitter builds one Bootstrap from one policy.
type emitter struct {
	p         *ir.Policy
	providers map[string]*ir.Provider
	clusters  map[string]*clusterv3.Cluster
	// filters caches filtersOn by listener name.
	filters map[string]map[string]bool
	err     error // the first packing error
}

// newEmitter prepares an emitter for p.
func newEmitter(p *ir.Policy) *emitter {
	e := &emitter{p: p, providers: map[string]*ir.Provider{}, clusters: map[string]*clusterv3.Cluster{},
		filters: map[string]map[string]bool{}}
	for _, pr := range p.Providers {
		e.providers[pr.Name] = pr
	}
	return e
}

// bootstrap assembles the static resources: one listener per IR listener
// (plus its redirect listener) and every cluster they refer to, sorted by
// name.
func (e *emitter) bootstrap() (*bootstrapv3.Bootstrap, error) {
	var listeners []*listenerv3.Listener
	for _, l := range e.p.Listeners {
		ls, err := e.listener(l)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, ls)
		if l.RedirectPort != 0 {
			r := e.redirectListener(l)
			if err := e.proxyProtocol(l, r); err != nil {
				return nil, err
			}
			listeners = append(listeners, r)
		}
	}
	if err := e.serviceClusters(); err != nil {
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	names := make([]string, 0, len(e.clusters))
	for n := range e.clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var clusters []*clusterv3.Cluster
	for _, n := range names {
		clusters = append(clusters, e.clusters[n])
	}
	return &bootstrapv3.Bootstrap{
		Node: nodeFor(e.p),
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Listeners: listeners,
			Clusters:  clusters,
		},
	}, nil
}

// addCluster records a cluster; two different clusters under one name
// are an internal error.
func (e *emitter) addCluster(c *clusterv3.Cluster) error {
	if old, ok := e.clusters[c.Name]; ok && !proto.Equal(old, c) {
		return fmt.Errorf("two different clusters named %s", c.Name)
	}
	e.clusters[c.Name] = c
	return nil
}

// pack wraps m in an Any. A message that cannot marshal (a policy string
// that is not UTF-8) records the first error, which bootstrap returns.
func (e *emitter) pack(m proto.Message) *anypb.Any {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		if e.err == nil {
			e.err = fmt.Errorf("pack %T: %w", m, err)
		}
		return &anypb.Any{}
	}
	return a
}

// servicesOn returns the services served on listener name.
func (e *emitter) servicesOn(name string) []*ir.Service {
	var out []*ir.Service
	for _, s := range e.p.Services {
		for _, l := range s.Listeners {
			if l == name {
				out = append(out, s)
			}
		}
	}
	return out
}
