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
	if jsonData, err = indentJSON(compact); err != nil {
		return nil, nil, err
	}
	if yamlData, err = toYAML(compact); err != nil {
		return nil, nil, err
	}
	return jsonData, yamlData, nil
}

// indentJSON is envoy.json: compact indented by two spaces, with a final
// line break, byte for byte what json.Indent(dst, compact, "", "  ")
// writes (TestIndentJSONMatches, FuzzIndentJSON) at a fraction of its
// cost: compact is valid JSON without white space (marshalCompact), so a
// pass that only follows strings and brackets can place the breaks. The
// output is sized by a first pass. (toYAML reads JSON text whatever its
// white space, so it prints the YAML from compact directly.)
func indentJSON(compact []byte) ([]byte, error) {
	n, err := indentJSONTo(nil, compact)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n)
	_, err = indentJSONTo(&out, compact)
	return out, err
}

// indentJSONTo appends compact, indented, to *dst, or only measures it
// when dst is nil; it returns the indented length.
func indentJSONTo(dst *[]byte, compact []byte) (int, error) {
	n, depth := 0, 0
	put := func(b ...byte) {
		n += len(b)
		if dst != nil {
			*dst = append(*dst, b...)
		}
	}
	newline := func() {
		n += 1 + 2*depth
		if dst != nil {
			*dst = append(*dst, '\n')
			for range depth {
				*dst = append(*dst, ' ', ' ')
			}
		}
	}
	for i := 0; i < len(compact); i++ {
		switch c := compact[i]; c {
		case '"':
			j := i + 1
			for ; j < len(compact) && compact[j] != '"'; j++ {
				if compact[j] == '\\' {
					j++
				}
			}
			if j >= len(compact) {
				return 0, errJSON
			}
			put(compact[i : j+1]...)
			i = j
		case '{', '[':
			if i+1 < len(compact) && compact[i+1] == c+2 { // '}' is '{'+2, ']' is '['+2
				put(c, c+2)
				i++
				continue
			}
			put(c)
			depth++
			newline()
		case '}', ']':
			if depth--; depth < 0 {
				return 0, errJSON
			}
			newline()
			put(c)
		case ',':
			put(c)
			newline()
		case ':':
			put(c, ' ')
		case ' ', '\t', '\n', '\r':
			return 0, errJSON // not compact
		default:
			put(c)
		}
	}
	if depth != 0 {
		return 0, errJSON
	}
	put('\n')
	return n, nil
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
