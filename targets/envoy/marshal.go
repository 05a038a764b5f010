package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
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
