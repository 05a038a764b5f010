package envoy

import (
	"bytes"
	"unicode/utf8"
)

// yamlSubsetJSON reads YAML written in the block-style subset toYAML
// prints and writes the document it holds to out as compact JSON, keys
// in document order and strings escaped as protojson escapes them, so
// that the YAML of a bootstrap gives exactly the bootstrap's compact JSON
// (marshalCompact). It reports false, having written part of the
// document or none, for anything outside the subset; the caller then
// reads the YAML with yaml.v3 instead.
//
// The subset: a block mapping or sequence at column 0; mapping entries
// "key: scalar", "key: {}", "key: []" or "key:" followed by a block
// mapping or sequence indented two more; sequence items "- " followed by
// a scalar, "{}", "[]", a nested sequence or a mapping whose first entry
// shares the item's line, later entries aligned under it; keys and
// strings plain (toYAML's simple words, YAML 1.1 booleans and null
// excluded) or double-quoted with encoding/json's escapes and printable
// characters only (no line break, tab or byte-order mark); null, true,
// false; integers of at most 18 digits, "-0" excluded; keys of at most
// maxKeyBytes. Every line ends in
// "\n"; no comments, tags, anchors, flow collections (but the empty
// ones), blank lines or trailing spaces. Within the subset yaml.v3 reads
// the same document (TestYAMLSubsetMatchesYAMLv3, FuzzYAMLSubset), given
// that no mapping repeats a key: yaml.v3 refuses repeated keys and this
// reader does not look for them, so what it writes is only as free of
// them as the JSON it is compared with (protojson writes no key twice).
func yamlSubsetJSON(in []byte, out *jsonSink) bool {
	r := &subsetReader{in: in, out: out}
	switch {
	case r.at("- "):
		if !r.sequence(0) {
			return false
		}
	default:
		k, ok := r.token()
		if !ok || !k.isKey(r) || !r.mapping(0, k) {
			return false
		}
	}
	return r.i == len(r.in) && !out.differs
}

// subsetReader reads the subset (yamlSubsetJSON) from in at i.
type subsetReader struct {
	in  []byte
	i   int
	out *jsonSink
	// dec and enc are scratch space for a string decoded and re-encoded.
	dec, enc []byte
}

// tokenKind is the kind of a scalar token.
type tokenKind uint8

const (
	tokWord     tokenKind = iota // a plain simple word: a string
	tokQuoted                    // a double-quoted string
	tokLiteral                   // null, true or false
	tokNumber                    // an integer
	tokEmptyMap                  // {}
	tokEmptySeq                  // []
)

// token is one scalar (or empty collection) as written, quotes included.
type token struct {
	kind tokenKind
	raw  []byte
}

// isKey reports whether t, just read, is a mapping key: a string of at
// most maxKeyBytes followed by ": " or ":\n" (the colon is not consumed).
func (t token) isKey(r *subsetReader) bool {
	return (t.kind == tokWord || t.kind == tokQuoted) && len(t.raw) <= maxKeyBytes && (r.at(": ") || r.at(":\n"))
}

// maxKeyBytes bounds a key the subset takes: yaml.v3 (libyaml) refuses a
// simple key whose ":" comes more than 1024 characters after its start,
// and a policy's route ID or provider name can be a key (jwt_authn's
// requirement map). Longer keys are left to yaml.v3, which refuses them.
const maxKeyBytes = 1000

// at reports whether the input at i starts with s.
func (r *subsetReader) at(s string) bool {
	return len(r.in)-r.i >= len(s) && string(r.in[r.i:r.i+len(s)]) == s
}

// spaces counts the spaces at i, without moving past them.
func (r *subsetReader) spaces() int {
	n := 0
	for r.i+n < len(r.in) && r.in[r.i+n] == ' ' {
		n++
	}
	return n
}

// next moves to the line's content when the line at i is indented
// exactly col, and reports whether it is; a line indented less (or the
// end of the input) ends the collection at col (ok true, more false),
// and one indented more is outside the subset.
func (r *subsetReader) next(col int) (more, ok bool) {
	if r.i == len(r.in) {
		return false, true
	}
	switch n := r.spaces(); {
	case n == col:
		r.i += n
		return true, true
	case n < col:
		return false, true
	}
	return false, false
}

// mapping reads a block mapping at column col whose first key, k, has
// been read.
func (r *subsetReader) mapping(col int, k token) bool {
	r.out.writeByte('{')
	for first := true; ; first = false {
		if !first {
			var ok bool
			if k, ok = r.token(); !ok || !k.isKey(r) {
				return false
			}
			r.out.writeByte(',')
		}
		r.emit(k)
		r.out.writeByte(':')
		r.i++ // the colon
		if !r.entryValue(col) {
			return false
		}
		if more, ok := r.next(col); !ok {
			return false
		} else if !more {
			r.out.writeByte('}')
			return !r.out.differs
		}
	}
}

// entryValue reads what follows a key's colon: " " and a scalar, or a
// line break and a block collection indented two more than col.
func (r *subsetReader) entryValue(col int) bool {
	if r.at(" ") {
		r.i++
		t, ok := r.token()
		if !ok || !r.at("\n") {
			return false
		}
		r.i++
		r.emit(t)
		return true
	}
	r.i++ // the line break
	if r.spaces() != col+2 {
		return false
	}
	r.i += col + 2
	return r.block(col+2, false)
}

// block reads a block collection at column col (within a line), or, if
// scalar, a sequence item's scalar.
func (r *subsetReader) block(col int, scalar bool) bool {
	if r.at("- ") {
		return r.sequence(col)
	}
	t, ok := r.token()
	switch {
	case !ok:
		return false
	case t.isKey(r):
		return r.mapping(col, t)
	case scalar && r.at("\n"):
		r.i++
		r.emit(t)
		return true
	}
	return false
}

// sequence reads a block sequence whose first "- " is at i, column col.
func (r *subsetReader) sequence(col int) bool {
	r.out.writeByte('[')
	for first := true; ; first = false {
		if !r.at("- ") {
			return false
		}
		if !first {
			r.out.writeByte(',')
		}
		r.i += 2
		if !r.block(col+2, true) {
			return false
		}
		if more, ok := r.next(col); !ok {
			return false
		} else if !more {
			r.out.writeByte(']')
			return !r.out.differs
		}
	}
}

// token reads a scalar or an empty collection at i; it ends before the
// byte that follows it.
func (r *subsetReader) token() (token, bool) {
	if r.i >= len(r.in) {
		return token{}, false
	}
	start := r.i
	switch c := r.in[r.i]; {
	case c == '"':
		if !r.quoted() {
			return token{}, false
		}
		return token{tokQuoted, r.in[start:r.i]}, true
	case c == '{' || c == '[':
		if r.i+1 >= len(r.in) || r.in[r.i+1] != c+2 { // '}' is '{'+2, ']' is '['+2
			return token{}, false
		}
		r.i += 2
		if c == '{' {
			return token{tokEmptyMap, r.in[start:r.i]}, true
		}
		return token{tokEmptySeq, r.in[start:r.i]}, true
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	case isLetter(c) || c == '_':
		for r.i++; r.i < len(r.in) && isWordByte(r.in[r.i]); r.i++ {
		}
		w := r.in[start:r.i]
		switch string(w) {
		case "null", "true", "false":
			return token{tokLiteral, w}, true
		}
		if reserved(w) {
			return token{}, false
		}
		return token{tokWord, w}, true
	}
	return token{}, false
}

// isWordByte reports a byte simpleWord allows after the first.
func isWordByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-'
}

// number reads an integer: -?(0|[1-9][0-9]*), at most 18 digits (an
// int64 whatever the digits), not "-0".
func (r *subsetReader) number() (token, bool) {
	start := r.i
	if r.in[r.i] == '-' {
		r.i++
	}
	digits := r.i
	for r.i < len(r.in) && r.in[r.i] >= '0' && r.in[r.i] <= '9' {
		r.i++
	}
	n := r.i - digits
	switch {
	case n == 0 || n > 18:
		return token{}, false
	case r.in[digits] == '0' && (n > 1 || digits > start):
		return token{}, false // a leading zero, or -0
	}
	return token{tokNumber, r.in[start:r.i]}, true
}

// quoted moves past the double-quoted scalar at i, checking that it is in
// the subset: printable characters, encoding/json's escapes.
func (r *subsetReader) quoted() bool {
	for r.i++; r.i < len(r.in); {
		c := r.in[r.i]
		switch {
		case c == '"':
			r.i++
			return true
		case c == '\\':
			n := escapeLen(r.in[r.i:])
			if n == 0 {
				return false
			}
			r.i += n
		case c >= 0x20 && c < 0x7f:
			r.i++
		default:
			n := printableRune(r.in[r.i:])
			if n == 0 {
				return false
			}
			r.i += n
		}
	}
	return false
}

// escapeLen is the length of the escape sequence at the start of b when
// it is one of encoding/json's that YAML's double-quoted style reads the
// same (\" \\ \b \f \n \r \t, \uXXXX outside the surrogates), 0
// otherwise. (YAML has no "\/".)
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if v, ok := hex4(b[2:]); ok && (v < 0xD800 || v > 0xDFFF) {
			return 6
		}
	}
	return 0
}

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// printableRune is the length of the non-ASCII UTF-8 character at the
// start of b when YAML reads it as itself inside double quotes: valid,
// printable (U+00A0–U+D7FF, U+E000–U+FFFD, U+10000 and up) and neither a
// line break (U+2028, U+2029) nor a byte-order mark (U+FEFF); 0
// otherwise.
func printableRune(b []byte) int {
	v, n := utf8.DecodeRune(b)
	switch {
	case v == utf8.RuneError && n == 1 || v < 0xA0:
		return 0 // invalid, or a C1 control (NEL, U+0085, is a line break)
	case v == 0x2028 || v == 0x2029 || v == 0xFEFF || v >= 0xD800 && v < 0xE000 || v == 0xFFFE || v == 0xFFFF:
		return 0
	}
	return n
}

// emit writes t as JSON.
func (r *subsetReader) emit(t token) {
	switch t.kind {
	case tokWord:
		r.out.writeByte('"')
		r.out.write(t.raw)
		r.out.writeByte('"')
	case tokQuoted:
		if bytes.IndexByte(t.raw, '\\') < 0 {
			r.out.write(t.raw) // nothing protojson would escape either
			return
		}
		r.dec = unquote(r.dec[:0], t.raw)
		r.enc = appendJSONString(r.enc[:0], r.dec)
		r.out.write(r.enc)
	default:
		r.out.write(t.raw)
	}
}

// unquote decodes a double-quoted scalar quoted has checked, appending
// the string to dst.
func unquote(dst, raw []byte) []byte {
	body := raw[1 : len(raw)-1]
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch body[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			v, _ := hex4(body[i+2:])
			dst = utf8.AppendRune(dst, v)
			i += 6
			continue
		default: // '"' and '\\'
			dst = append(dst, body[i+1])
		}
		i += 2
	}
	return dst
}

// appendJSONString appends s as a JSON string the way protojson writes
// one: '"' and '\\' escaped, control characters as \b \f \n \r \t or
// \u00XX in lower-case hexadecimal, everything else as it is.
func appendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c >= 0x20:
			dst = append(dst, c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
	}
	return append(dst, '"')
}

// jsonSink takes the JSON yamlSubsetJSON writes: it appends it to buf,
// or, when want is set, compares it with want as it comes.
type jsonSink struct {
	buf  []byte
	want []byte
	// pos is how much of want has been matched; differs is set at the
	// first byte that does not match.
	pos     int
	differs bool
}

// write takes b.
func (s *jsonSink) write(b []byte) {
	switch {
	case s.want == nil:
		s.buf = append(s.buf, b...)
	case s.differs:
	case len(s.want)-s.pos < len(b) || !bytes.Equal(s.want[s.pos:s.pos+len(b)], b):
		s.differs = true
	default:
		s.pos += len(b)
	}
}

// writeByte takes c.
func (s *jsonSink) writeByte(c byte) {
	switch {
	case s.want == nil:
		s.buf = append(s.buf, c)
	case s.differs:
	case s.pos == len(s.want) || s.want[s.pos] != c:
		s.differs = true
	default:
		s.pos++
	}
}

// sameDocument reports whether yamlData, read as the subset, is exactly
// the document of the compact JSON want.
func sameDocument(yamlData, want []byte) bool {
	s := &jsonSink{want: want}
	return yamlSubsetJSON(yamlData, s) && s.pos == len(want)
}
