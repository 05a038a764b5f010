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
	if jsonData, err = marshalJSON(bs); err != nil {
		return nil, nil, err
	}
	if yamlData, err = toYAML(jsonData); err != nil {
		return nil, nil, err
	}
	return jsonData, yamlData, nil
}

// marshalJSON is Marshal's JSON alone: the form Verify compares.
func marshalJSON(bs *bootstrapv3.Bootstrap) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(bs)
	if err != nil {
		return nil, fmt.Errorf("marshal bootstrap: %w", err)
	}
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	indented.WriteByte('\n')
	return indented.Bytes(), nil
}
