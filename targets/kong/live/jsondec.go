package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// jsonReader decodes JSON into generic values (maps, slices, strings,
// float64, bools, nil) as encoding/json does into an any, building only
// what its scopes keep: skipped values are checked but not built. Strings
// with escapes or bytes outside printable ASCII are unquoted by
// encoding/json itself, so every string reads exactly as encoding/json
// reads it.
type jsonReader struct {
	data  []byte
	i     int
	depth int
	names interner
	// configs are the plugin configs read before, by text; nil reads
	// every config.
	configs *configCache
}

// decodeJSON decodes a JSON object (the Admin API's answers, the entity
// endpoints as Fetch assembles them) with the scopes applied.
func decodeJSON(data []byte) (map[string]any, error) {
	return decodeJSONCached(data, &configCache{})
}

// decodeJSONCached is decodeJSON reading plugin configs through configs
// (nil: each config is read).
func decodeJSONCached(data []byte, configs *configCache) (map[string]any, error) {
	r := &jsonReader{data: data, names: interner{}, configs: configs}
	r.space()
	if r.i >= len(data) || data[r.i] != '{' {
		return nil, fmt.Errorf("want an object at the top level")
	}
	v, err := r.value(docScope, true)
	if err != nil {
		return nil, err
	}
	if r.space(); r.i < len(data) {
		return nil, fmt.Errorf("more than one JSON document (data after offset %d)", r.i)
	}
	return v.(map[string]any), nil
}

// errJSONDepth is encoding/json's nesting limit.
var errJSONDepth = errors.New("JSON nested too deeply")

func (r *jsonReader) fail(what string) error {
	if r.i >= len(r.data) {
		return fmt.Errorf("JSON: unexpected end of input: want %s", what)
	}
	return fmt.Errorf("JSON: invalid character %q at offset %d: want %s", r.data[r.i], r.i, what)
}

func (r *jsonReader) space() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// value reads one value; build says whether to return it.
func (r *jsonReader) value(s scope, build bool) (any, error) {
	if r.i >= len(r.data) {
		return nil, r.fail("a value")
	}
	switch c := r.data[r.i]; {
	case c == '{' && s == configScope && build:
		return r.cachedObject(s)
	case c == '{':
		return r.object(s, build)
	case c == '[':
		return r.array(s, build)
	case c == '"':
		b, err := r.str()
		if err != nil || !build {
			return nil, err
		}
		return r.names.str(b), nil
	case c == 't':
		return true, r.literal("true")
	case c == 'f':
		return false, r.literal("false")
	case c == 'n':
		return nil, r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number(build)
	}
	return nil, r.fail("a value")
}

func (r *jsonReader) literal(word string) error {
	if len(r.data)-r.i < len(word) || string(r.data[r.i:r.i+len(word)]) != word {
		return r.fail(word)
	}
	r.i += len(word)
	return nil
}

// object reads {…}; members its scope drops are skipped.
func (r *jsonReader) object(s scope, build bool) (any, error) {
	if r.depth++; r.depth > maxDepth {
		return nil, errJSONDepth
	}
	defer func() { r.depth-- }()
	var m map[string]any
	if build {
		m = map[string]any{}
	}
	r.i++
	r.space()
	if r.i < len(r.data) && r.data[r.i] == '}' {
		r.i++
		return m, nil
	}
	for {
		if r.i >= len(r.data) || r.data[r.i] != '"' {
			return nil, r.fail("a member name")
		}
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		cs, keep, name := keyIn(s, k)
		if r.space(); r.i >= len(r.data) || r.data[r.i] != ':' {
			return nil, r.fail("':'")
		}
		r.i++
		r.space()
		v, err := r.value(cs, build && keep)
		if err != nil {
			return nil, err
		}
		if build && keep {
			if name == "" {
				name = r.names.str(k)
			}
			m[name] = v
		}
		if done, err := r.next('}'); done || err != nil {
			return m, err
		}
	}
}

// next reads the ',' or closing byte after a member; done at the close.
func (r *jsonReader) next(end byte) (bool, error) {
	r.space()
	if r.i < len(r.data) {
		switch r.data[r.i] {
		case ',':
			r.i++
			r.space()
			return false, nil
		case end:
			r.i++
			return true, nil
		}
	}
	return false, r.fail("',' or '" + string(end) + "'")
}

// array reads […].
func (r *jsonReader) array(s scope, build bool) (any, error) {
	if r.depth++; r.depth > maxDepth {
		return nil, errJSONDepth
	}
	defer func() { r.depth-- }()
	var out []any
	if build {
		out = []any{}
	}
	r.i++
	r.space()
	if r.i < len(r.data) && r.data[r.i] == ']' {
		r.i++
		return out, nil
	}
	for {
		v, err := r.value(s.elem(), build)
		if err != nil {
			return nil, err
		}
		if build {
			out = append(out, v)
		}
		if done, err := r.next(']'); done || err != nil {
			return out, err
		}
	}
}

// str reads a string. One in printable ASCII without escapes is returned
// as a slice of the input; one with escapes, unquoted by unescapeJSON;
// any other (bytes outside ASCII, surrogate escapes) is checked and
// unquoted by encoding/json itself.
func (r *jsonReader) str() ([]byte, error) {
	start := r.i
	esc, ascii := false, true
	for j := r.i + 1; j < len(r.data); j++ {
		for j < len(r.data) && plainJSON[r.data[j]] {
			j++
		}
		if j == len(r.data) {
			break
		}
		switch c := r.data[j]; {
		case c == '"':
			r.i = j + 1
			body := r.data[start+1 : j]
			if !esc && ascii {
				return body, nil
			}
			if ascii {
				if s, ok := unescapeJSON(body); ok {
					return s, nil
				}
			}
			var s string
			if err := json.Unmarshal(r.data[start:j+1], &s); err != nil {
				return nil, fmt.Errorf("JSON: string at offset %d: %w", start, err)
			}
			return []byte(s), nil
		case c == '\\':
			esc = true
			j++
		case c < 0x20:
			r.i = j
			return nil, r.fail("a string character")
		case c >= 0x80:
			ascii = false
		}
	}
	r.i = len(r.data)
	return nil, r.fail("the end of a string")
}

// plainJSON marks the bytes a JSON string holds as they are: printable
// ASCII but the quote and the backslash.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unescapeJSON decodes the escapes of an ASCII string body; ok is false
// for an invalid escape or a surrogate, left to encoding/json.
func unescapeJSON(body []byte) ([]byte, bool) {
	out := make([]byte, 0, len(body))
	for {
		i := bytes.IndexByte(body, '\\')
		if i < 0 {
			return append(out, body...), true
		}
		out = append(out, body[:i]...)
		if i+1 == len(body) {
			return nil, false
		}
		switch c := body[i+1]; c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+6 > len(body) {
				return nil, false
			}
			v, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 32)
			if err != nil || (v >= 0xD800 && v <= 0xDFFF) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(v))
			body = body[i+6:]
			continue
		default:
			return nil, false
		}
		body = body[i+2:]
	}
}

// number reads a number as encoding/json does into an any: float64, an
// error when out of range (checked also when the number is skipped).
func (r *jsonReader) number(build bool) (any, error) {
	start := r.i
	d := r.data
	if r.i < len(d) && d[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(d) && d[r.i] == '0':
		r.i++
	case r.i < len(d) && d[r.i] >= '1' && d[r.i] <= '9':
		r.digits()
	default:
		return nil, r.fail("a digit")
	}
	if r.i < len(d) && d[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return nil, r.fail("a digit")
		}
	}
	exp := r.i < len(d) && (d[r.i] == 'e' || d[r.i] == 'E')
	if exp {
		r.i++
		if r.i < len(d) && (d[r.i] == '+' || d[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return nil, r.fail("a digit")
		}
	}
	if !build && !exp && r.i-start < 300 {
		return nil, nil // cannot be out of range
	}
	f, err := strconv.ParseFloat(string(d[start:r.i]), 64)
	if err != nil {
		return nil, fmt.Errorf("JSON: number %s at offset %d: %w", d[start:r.i], start, err)
	}
	return f, nil
}

func (r *jsonReader) digits() int {
	n := 0
	for r.i < len(r.data) && r.data[r.i] >= '0' && r.data[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// interner shares the text of short strings (names, protocols, enum
// values) that a configuration repeats on every entity.
type interner map[string]string

// maxInterned is the longest string interned.
const maxInterned = 24

func (in interner) str(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// adminConfigText returns the text of the Admin API's GET /config answer,
// {"config": "<text>"}, unquoted once; ok is false for any other JSON.
// It saves decoding the answer into a string and copying it back.
func adminConfigText(data []byte) (text []byte, ok bool) {
	open, ok := configOpen(data)
	if !ok {
		return nil, false
	}
	r := &jsonReader{data: data, i: open}
	if text, ok := unquoteParallel(data, r.i); ok {
		return text, true
	}
	text, err := r.str()
	if err != nil {
		return nil, false
	}
	if r.space(); r.i >= len(data) || data[r.i] != '}' {
		return nil, false
	}
	r.i++
	if r.space(); r.i != len(data) {
		return nil, false
	}
	return text, true
}

// configOpen returns the offset of the quote opening the string of the
// Admin API's GET /config answer, {"config": "<text>"}; ok is false for
// any other start.
func configOpen(data []byte) (int, bool) {
	r := &jsonReader{data: data}
	for _, want := range []string{"{", `"config"`, ":"} {
		if r.space(); !bytes.HasPrefix(r.data[r.i:], []byte(want)) {
			return 0, false
		}
		r.i += len(want)
	}
	if r.space(); r.i >= len(data) || data[r.i] != '"' {
		return 0, false
	}
	return r.i, true
}
