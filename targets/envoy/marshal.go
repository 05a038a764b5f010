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
	compact, err := marshalCompact(bs)
	if err != nil {
		return nil, nil, err
	}
	return encode(compact)
}

// encode renders a bootstrap's compact JSON (marshalCompact) as the two
// artifacts.
func encode(compact []byte) (jsonData, yamlData []byte, err error) {
	var indented bytes.Buffer
	indented.Grow(len(compact) * 4)
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		return nil, nil, err
	}
	indented.WriteByte('\n')
	if yamlData, err = toYAML(indented.Bytes()); err != nil {
		return nil, nil, err
	}
	return indented.Bytes(), yamlData, nil
}

// marshalCompact is the bootstrap as compact JSON: the canonical form
// Verify compares (the artifact's JSON is this, indented, which is a
// function of these bytes alone).
func marshalCompact(bs *bootstrapv3.Bootstrap) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(bs)
	if err != nil {
		return nil, fmt.Errorf("marshal bootstrap: %w", err)
	}
	var compact bytes.Buffer
	compact.Grow(len(raw))
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}
