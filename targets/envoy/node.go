package envoy

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// nodeFor identifies the bootstrap as rampart's build of the policy.
func nodeFor(p *ir.Policy) *corev3.Node {
	return &corev3.Node{Id: "rampart", Cluster: "rampart-" + p.Name}
}
