package envoy

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/internal/digest"
)

// MetadataKey names the node metadata field holding rampart's marker:
// {"policy": name, "digest": "sha256:…", "ir": ir.Version}. JSON has no
// comments, so the marker is data: it is in envoy.json and envoy.yaml,
// and Envoy shows it in /config_dump's bootstrap, so drift can tell
// which policy a running Envoy was built from.
const MetadataKey = "rampart"

// nodeFor identifies the bootstrap as rampart's build of the policy and
// carries the policy's marker in the node metadata.
func nodeFor(p *ir.Policy) *corev3.Node {
	marker := &structpb.Struct{Fields: map[string]*structpb.Value{
		"policy": structpb.NewStringValue(p.Name),
		"digest": structpb.NewStringValue(digest.Policy(p)),
		"ir":     structpb.NewStringValue(ir.Version),
	}}
	return &corev3.Node{Id: "rampart", Cluster: "rampart-" + p.Name,
		Metadata: &structpb.Struct{Fields: map[string]*structpb.Value{MetadataKey: structpb.NewStructValue(marker)}}}
}
