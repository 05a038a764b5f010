package kong

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// Encode prints a decK file as YAML: keys sorted, every string
// double-quoted, numbers as integers. The same File always gives the same
// bytes. decK renders a whole state file as a Go template with the
// delimiters "${{" and "}}" before reading it as YAML, so a policy string
// holding "${{ env \"DECK_…\" }}" would be evaluated at deploy time; every
// "${{" is written as "\x24{{", which YAML reads back as the same string
// and decK leaves alone (see deckEscape).
func Encode(f *File) ([]byte, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return encodeJSON(data)
}

// encodeJSON is Encode of the file whose JSON (json.Marshal) is data.
func encodeJSON(data []byte) ([]byte, error) {
	tree, err := generic(data)
	if err != nil {
		return nil, err
	}
	out, ok := printYAML(tree)
	if !ok {
		if out, err = yamlV3(tree); err != nil {
			return nil, err
		}
	}
	return deckEscape(out), nil
}

// yamlV3 is tree written by yaml.v3 from toNode(tree), indented by 2:
// what printYAML prints for the documents it takes, and Encode's way for
// the others.
func yamlV3(tree any) ([]byte, error) {
	node, err := toNode(tree)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// deckDelim opens a decK template action.
var deckDelim = []byte("${{")

// deckEscape writes each "${{" of encoded YAML as "\x24{{". Every string
// Encode writes, keys included, is a double-quoted scalar, where "$" is
// never part of an escape sequence and "\x24" is the YAML escape for "$",
// so the document means the same and holds no template delimiter.
func deckEscape(yml []byte) []byte {
	if !bytes.Contains(yml, deckDelim) {
		return yml
	}
	return bytes.ReplaceAll(yml, deckDelim, []byte(`\x24{{`))
}

// generic decodes JSON into maps, slices, strings, bools and
// json.Numbers, so the YAML carries exactly the JSON tags.
func generic(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// toNode builds the YAML node for a generic value.
func toNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val, err := toNode(x[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, str(k), val)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			val, err := toNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, val)
		}
		return n, nil
	case string:
		return str(x), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}, nil
	case json.Number:
		if _, err := x.Int64(); err != nil {
			return nil, fmt.Errorf("kong: non-integer number %s", x)
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: x.String()}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("kong: cannot encode %T", v)
}

// str is a double-quoted string scalar.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s}
}
