package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
	"github.com/rampart-policy/rampart/targets/internal/digest"
)

// marker is rampart's node metadata entry (envoy.MetadataKey).
type marker struct {
	Policy string `json:"policy"`
	Digest string `json:"digest"`
	IR     string `json:"ir"`
}

// markedNode is the part of a bootstrap's node that holds the marker.
type markedNode struct {
	Metadata struct {
		Rampart *marker `json:"rampart"`
	} `json:"metadata"`
}

// bootstrapDumpType is the config_dump entry holding the bootstrap.
const bootstrapDumpType = "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"

// digestRE is the form of a policy digest.
var digestRE = regexp.MustCompile(`\Asha256:[0-9a-f]{64}\z`)

// readMarker returns the marker of an envoy.json, an envoy.yaml or a
// config_dump (whose bootstrap Envoy shows as it was loaded).
func readMarker(content []byte) (marker, bool) {
	if !bytes.Contains(content, []byte(envoy.MetadataKey)) {
		return marker{}, false
	}
	data, err := asJSON(content)
	if err != nil {
		return marker{}, false
	}
	var doc struct {
		Node    markedNode `json:"node"`
		Configs []struct {
			Type      string `json:"@type"`
			Bootstrap struct {
				Node markedNode `json:"node"`
			} `json:"bootstrap"`
		} `json:"configs"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return marker{}, false
	}
	m := doc.Node.Metadata.Rampart
	for _, c := range doc.Configs {
		if c.Type == bootstrapDumpType {
			m = c.Bootstrap.Node.Metadata.Rampart
		}
	}
	if m == nil || m.Policy == "" || !digestRE.MatchString(m.Digest) {
		return marker{}, false
	}
	return *m, true
}

// Digest reports whether content is an envoy.json, envoy.yaml or
// config_dump of a bootstrap rampart built, and returns the policy digest
// its node metadata records (drift/terraform.Marked).
func (*Live) Digest(content []byte) (string, bool) {
	m, ok := readMarker(content)
	return m.Digest, ok
}

// PolicyName returns the policy name the node metadata of a rampart
// bootstrap records (drift/terraform.Named).
func (*Live) PolicyName(content []byte) (string, bool) {
	m, ok := readMarker(content)
	return m.Policy, ok
}

// asJSON returns content as JSON: a JSON document as it is, anything
// else read as one YAML document (envoy.yaml).
func asJSON(content []byte) ([]byte, error) {
	if t := bytes.TrimLeft(content, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return content, nil
	}
	var doc map[string]any
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("neither JSON nor a YAML mapping: %w", err)
	}
	return json.Marshal(doc)
}

// parseLive reads what Compare is given: a config_dump, or a bootstrap
// as deployed (envoy.json or envoy.yaml, as the Terraform source finds
// it in a resource attribute). A config_dump's only field is "configs";
// a bootstrap has none of that name.
func parseLive(content []byte, base *anyjson.Decoder, policy *reuse) (*view, error) {
	data, err := asJSON(content)
	if err != nil {
		return nil, err
	}
	if first, _ := firstKey(data); first == "" || first == "configs" {
		return parseDump(data, base, policy)
	}
	var bs bootstrapv3.Bootstrap
	u := unpacker{dec: &anyjson.Decoder{}}
	if base != nil {
		u.dec = base.Fork()
	}
	if err := u.dec.Unmarshal(data, &bs); err != nil {
		return nil, fmt.Errorf("reading a bootstrap (envoy.json, envoy.yaml): %w", err)
	}
	v, err := newView(u, bs.GetStaticResources().GetListeners(), bs.GetStaticResources().GetClusters(), nil, policy)
	if err != nil {
		return nil, err
	}
	v.node = bs.GetNode()
	return v, nil
}

// firstKey returns the first key of a JSON object without reading the
// rest of it; "" when data is not an object or the object is empty.
func firstKey(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", err
	}
	t, err := dec.Token()
	k, _ := t.(string)
	return k, err
}

// nodeMarker returns the marker in a bootstrap node's metadata.
func nodeMarker(n *corev3.Node) (marker, bool) {
	f := n.GetMetadata().GetFields()[envoy.MetadataKey].GetStructValue().GetFields()
	m := marker{Policy: f["policy"].GetStringValue(), Digest: f["digest"].GetStringValue(), IR: f["ir"].GetStringValue()}
	if m.Policy == "" || !digestRE.MatchString(m.Digest) {
		return marker{}, false
	}
	return m, true
}

// checkMarker compares the marker of the live bootstrap's node, when it
// has one, with p's: a bootstrap built from another policy, or from
// another version of this one, is a neutral finding (the controls
// compared besides say what differs). A live bootstrap without a marker
// was not built by this version of rampart and is not judged here.
func checkMarker(d *drift.Diff, p *ir.Policy, node *corev3.Node) {
	got, ok := nodeMarker(node)
	if !ok {
		return
	}
	at := drift.At{Control: ir.CtlUndeclared, Path: "node.metadata." + envoy.MetadataKey}
	want := marker{Policy: p.Name, Digest: digest.Policy(p), IR: ir.Version}
	if got == want {
		d.Add(at, "bootstrap built from this policy")
		return
	}
	show := func(m marker) string { return "policy " + strconv.Quote(m.Policy) + " " + m.Digest + " (" + m.IR + ")" }
	d.Add(at, "bootstrap built from this policy", drift.Finding{Direction: drift.Changed, Severity: drift.Neutral,
		Expected: show(want), Actual: show(got),
		Message: "the live Envoy was built from " + show(got) + ", not from this policy's " + want.Digest + ": the policy or its sources changed since it was deployed"})
}
