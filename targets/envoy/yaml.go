package envoy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// toYAML re-encodes a JSON document as block-style YAML, keeping key
// order. It prints straight from the JSON text (yaml.v3's parse and
// encode, then encoding/json's tokenizer, took most of a large build's
// time). Strings that are not simple words — ":method", "@type", regular
// expressions, format commands, and words YAML 1.1 reads as booleans or
// null — are double-quoted with encoding/json's escapes, which YAML's
// double-quoted style shares, so every YAML parser, not only Go's, reads
// them the same.
func toYAML(jsonData []byte) ([]byte, error) {
	y := &yamlPrinter{in: jsonData}
	y.out.Grow(len(jsonData) * 3) // block YAML of compact JSON is about 2.5 times longer
	y.ws()
	if err := y.value(0, ""); err != nil {
		return nil, fmt.Errorf("bootstrap JSON as YAML: %w", err)
	}
	if y.ws(); y.i != len(y.in) {
		return nil, fmt.Errorf("bootstrap JSON as YAML: trailing data")
	}
	return y.out.Bytes(), nil
}

// yamlPrinter writes YAML block style from JSON text.
type yamlPrinter struct {
	in  []byte
	i   int
	out bytes.Buffer
	// pending replaces the indentation of the next line: a list item's
	// "- " marker, so the item's first line shares it.
	pending string
}

// errJSON is JSON the printer cannot follow (the target only prints JSON
// protojson wrote).
var errJSON = errors.New("malformed JSON")

// ws skips JSON white space.
func (y *yamlPrinter) ws() {
	for y.i < len(y.in) && (y.in[y.i] == ' ' || y.in[y.i] == '\n' || y.in[y.i] == '\t' || y.in[y.i] == '\r') {
		y.i++
	}
}

// peek is the next byte after white space, 0 at the end.
func (y *yamlPrinter) peek() byte {
	y.ws()
	if y.i >= len(y.in) {
		return 0
	}
	return y.in[y.i]
}

// start begins a line at indent, or after the pending item marker.
func (y *yamlPrinter) start(indent int) {
	if y.pending != "" {
		y.out.WriteString(y.pending)
		y.pending = ""
		return
	}
	for ; indent > len(blanks); indent -= len(blanks) {
		y.out.WriteString(blanks)
	}
	y.out.WriteString(blanks[:indent])
}

// blanks are spaces to indent with.
const blanks = "                                                                "

// value prints the value at y.i at indent; key, if not empty, is its
// mapping key ("name:").
func (y *yamlPrinter) value(indent int, key string) error {
	c := y.peek()
	if c != '{' && c != '[' {
		s, err := y.scalar()
		if err != nil {
			return err
		}
		y.start(indent)
		if key != "" {
			y.out.WriteString(key)
			y.out.WriteByte(' ')
		}
		y.out.WriteString(s)
		y.out.WriteByte('\n')
		return nil
	}
	y.i++
	if e := y.peek(); e == '}' || e == ']' {
		y.i++
		y.start(indent)
		if key != "" {
			y.out.WriteString(key)
			y.out.WriteByte(' ')
		}
		y.out.WriteByte(c)
		y.out.WriteByte(c + 2) // '}' is '{'+2, ']' is '['+2
		y.out.WriteByte('\n')
		return nil
	}
	inner := indent
	if key != "" {
		y.start(indent)
		y.out.WriteString(key)
		y.out.WriteByte('\n')
		inner = indent + 2
	}
	if c == '{' {
		return y.mapping(inner)
	}
	return y.sequence(inner)
}

// mapping prints a mapping's entries at indent, from its first key.
func (y *yamlPrinter) mapping(indent int) error {
	for {
		if y.peek() != '"' {
			return errJSON
		}
		raw, err := y.str()
		if err != nil {
			return err
		}
		k, err := quoteScalar(raw)
		if err != nil {
			return err
		}
		if y.peek() != ':' {
			return errJSON
		}
		y.i++
		if err := y.value(indent, k+":"); err != nil {
			return err
		}
		switch y.peek() {
		case ',':
			y.i++
		case '}':
			y.i++
			return nil
		default:
			return errJSON
		}
	}
}

// sequence prints a list's items at indent, from its first element.
func (y *yamlPrinter) sequence(indent int) error {
	for {
		if y.pending != "" {
			y.pending += "- " // a list as a list's first item: "- - x"
		} else {
			y.pending = strings.Repeat(" ", indent) + "- "
		}
		if err := y.value(indent+2, ""); err != nil {
			return err
		}
		switch y.peek() {
		case ',':
			y.i++
		case ']':
			y.i++
			return nil
		default:
			return errJSON
		}
	}
}

// str moves past the JSON string at y.i and returns it, quotes included.
func (y *yamlPrinter) str() ([]byte, error) {
	start := y.i
	for y.i++; y.i < len(y.in); y.i++ {
		switch y.in[y.i] {
		case '\\':
			y.i++
		case '"':
			y.i++
			return y.in[start:y.i], nil
		}
	}
	return nil, errJSON
}

// scalar reads the JSON scalar at y.i and returns it as YAML.
func (y *yamlPrinter) scalar() (string, error) {
	if y.i >= len(y.in) {
		return "", errJSON
	}
	if y.in[y.i] == '"' {
		raw, err := y.str()
		if err != nil {
			return "", err
		}
		return quoteScalar(raw)
	}
	start := y.i
	for y.i < len(y.in) && !strings.ContainsRune(",}] \n\t\r", rune(y.in[y.i])) {
		y.i++
	}
	switch tok := string(y.in[start:y.i]); {
	case tok == "null" || tok == "true" || tok == "false":
		return tok, nil
	case json.Valid(y.in[start:y.i]) && tok != "":
		return tok, nil // a number, as written
	}
	return "", errJSON
}

// quoteScalar prints a JSON string token (quotes included) as YAML: a
// simple word plain, anything else double-quoted with encoding/json's
// escapes (SetEscapeHTML false). A token that is already in that form (no
// escape, control character or U+2028/U+2029, which encoding/json
// escapes) is used as it is.
func quoteScalar(raw []byte) (string, error) {
	body := raw[1 : len(raw)-1]
	if plainJSON(body) {
		if simpleWord(body) && !reserved(body) {
			return string(body), nil
		}
		return string(raw), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	if simpleWord([]byte(v)) && !reserved([]byte(v)) {
		return v, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// plainJSON reports a string body encoding/json would write unchanged:
// no backslash, no control character, no U+2028 or U+2029, valid UTF-8.
func plainJSON(b []byte) bool {
	for i, c := range b {
		if c == '\\' || c < 0x20 {
			return false
		}
		if c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9) {
			return false
		}
	}
	return utf8.Valid(b)
}

// simpleWord reports a string YAML reads as itself when plain:
// [A-Za-z_][A-Za-z0-9._/-]*.
func simpleWord(b []byte) bool {
	if len(b) == 0 || !(isLetter(b[0]) || b[0] == '_') {
		return false
	}
	for _, c := range b[1:] {
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// reserved reports a word YAML 1.1 or 1.2 reads as a boolean or null
// (yamlReserved, in any case).
func reserved(w []byte) bool {
	return len(w) <= 5 && yamlReserved[string(bytes.ToLower(w))]
}

// yamlReserved are plain words YAML 1.1 or 1.2 reads as booleans or null.
var yamlReserved = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "true": true,
	"false": true, "on": true, "off": true, "null": true}
