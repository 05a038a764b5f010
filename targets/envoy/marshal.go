package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
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
// pass that only follows strings and brackets can place the breaks. A
// first pass checks that structure and sizes the output. (toYAML reads
// JSON text whatever its white space, so it prints the YAML from compact
// directly.)
func indentJSON(compact []byte) ([]byte, error) {
	n, err := indentedLen(compact)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	w, depth := 0, 0
	for i := 0; i < len(compact); i++ {
		switch c := compact[i]; c {
		case '"':
			j := stringEnd(compact, i)
			w += copy(out[w:], compact[i:j])
			i = j - 1
		case '{', '[':
			out[w] = c
			if compact[i+1] == c+2 { // '}' is '{'+2, ']' is '['+2: empty
				out[w+1] = c + 2
				w += 2
				i++
				continue
			}
			depth++
			w = newline(out, w+1, depth)
		case '}', ']':
			depth--
			w = newline(out, w, depth)
			out[w] = c
			w++
		case ',':
			out[w] = c
			w = newline(out, w+1, depth)
		case ':':
			out[w], out[w+1] = ':', ' '
			w += 2
		default:
			out[w] = c
			w++
		}
	}
	out[w] = '\n'
	return out, nil
}

// newline writes a line break and depth levels of indentation at out[w:]
// and returns the position after them.
func newline(out []byte, w, depth int) int {
	out[w] = '\n'
	w++
	for n := 2 * depth; n > 0; {
		k := copy(out[w:w+min(n, len(blanks))], blanks)
		w, n = w+k, n-k
	}
	return w
}

// indentedLen checks that compact is JSON text without white space whose
// strings end and whose brackets balance (what indentJSON relies on), and
// returns the length indentJSON writes for it.
func indentedLen(compact []byte) (int, error) {
	n, depth := len(compact)+1, 0 // the final line break
	for i := 0; i < len(compact); i++ {
		switch c := compact[i]; c {
		case '"':
			j := stringEnd(compact, i)
			if j < 0 {
				return 0, errJSON
			}
			i = j - 1
		case '{', '[':
			if i+1 < len(compact) && compact[i+1] == c+2 {
				i++
				continue
			}
			depth++
			n += 1 + 2*depth
		case '}', ']':
			if depth--; depth < 0 {
				return 0, errJSON
			}
			n += 1 + 2*depth
		case ',':
			n += 1 + 2*depth
		case ':':
			n++
		case ' ', '\t', '\n', '\r':
			return 0, errJSON // not compact
		}
	}
	if depth != 0 {
		return 0, errJSON
	}
	return n, nil
}

// stringEnd is the index just past the JSON string starting at b[i], -1
// if it does not end.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		escapes := 0
		for b[j-1-escapes] == '\\' {
			escapes++
		}
		if escapes%2 == 0 {
			return j + 1
		}
		j++
	}
}

// marshalCompact is the bootstrap as compact JSON: the canonical form
// Verify compares (the artifact's JSON is this, indented, which is a
// function of these bytes alone).
func marshalCompact(bs *bootstrapv3.Bootstrap) ([]byte, error) { return compactJSON(bs) }

// compactJSON is protojson's JSON of m, compacted.
func compactJSON(m proto.Message) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
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
