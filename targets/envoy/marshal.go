package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v3"
)

// Marshal renders the bootstrap as JSON and as YAML. protojson sorts map
// keys but varies its whitespace between builds of the binary on
// purpose, so the JSON is compacted and re-indented: the same bootstrap
// always gives the same bytes. The YAML is the same document in block
// style.
func Marshal(bs *bootstrapv3.Bootstrap) (jsonData, yamlData []byte, err error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(bs)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal bootstrap: %w", err)
	}
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, nil, err
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		return nil, nil, err
	}
	indented.WriteByte('\n')
	yamlData, err = toYAML(indented.Bytes())
	if err != nil {
		return nil, nil, err
	}
	return indented.Bytes(), yamlData, nil
}

// toYAML re-encodes a JSON document as block-style YAML, keeping key
// order; strings that would read as another type stay quoted.
func toYAML(jsonData []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(jsonData, &doc); err != nil {
		return nil, fmt.Errorf("bootstrap JSON as YAML: %w", err)
	}
	plain(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// plain drops the flow and quoting styles the JSON parse recorded, so
// the encoder picks block style; strings that are not simple words
// (":method", "@type", regular expressions, format commands) are
// double-quoted, so every YAML parser, not only Go's, reads them the same.
func plain(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !simpleWord.MatchString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		plain(c)
	}
}

// simpleWord is a string YAML reads as itself when plain.
var simpleWord = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._/-]*$`)
