package live

import (
	"bytes"
	"hash/maphash"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// blockReader decodes the block-style YAML that Kong's GET /config
// answers with (lyaml, kong/db/declarative/export.lua) and that yaml.v3
// writes: block mappings and sequences, one scalar per line (plain,
// single- or double-quoted), plain scalars continued on deeper lines, []
// and {}, comment and blank lines between nodes. It gives exactly what
// yaml.v3 and norm give, with the scopes applied. Anything else — tabs,
// anchors, aliases, tags, flow collections, block scalars, multi-line
// quoted scalars, "? " keys, merge keys, document markers, a byte outside
// printable ASCII, a timestamp-like plain scalar, a repeated key — makes
// it give up (ok false), and the caller decodes the document with
// yaml.v3. The differential test and FuzzBlockYAML hold it to yaml.v3.
type blockReader struct {
	data []byte
	// next is the offset of the line after the current one.
	next int
	eof  bool
	// ind is the current line's indentation, text its content, gap
	// whether a blank or comment line came before it.
	ind  int
	text []byte
	gap  bool
	// keys are the keys of the open mappings, by depth.
	keys  []*keySet
	seed  maphash.Seed
	depth int
	names interner
	buf   []byte
	// configs are the plugin configs read before, by text; nil reads
	// every config.
	configs *configCache
}

// maxBlockDepth bounds nesting; deeper documents go to yaml.v3.
const maxBlockDepth = 1000

// decodeBlockYAML decodes a block-YAML document whose top is a mapping;
// ok is false when the document is outside the subset. A large document
// is decoded in parts on GOMAXPROCS goroutines (decodeBlockParallel);
// when that cannot read it, it is read again in one piece.
func decodeBlockYAML(data []byte) (m map[string]any, ok bool) {
	if workers := runtime.GOMAXPROCS(0); workers > 1 && len(data) >= parallelMin {
		if m, ok := decodeBlockParallel(data, workers, max(len(data)/(4*workers), parallelMin/4)); ok {
			return m, true
		}
	}
	return decodeBlockSerial(data)
}

// newBlockReader returns a reader of data.
func newBlockReader(data []byte) *blockReader {
	return &blockReader{data: data, seed: maphash.MakeSeed(), names: interner{}}
}

// decodeBlockSerial is decodeBlockYAML on one goroutine.
func decodeBlockSerial(data []byte) (m map[string]any, ok bool) {
	return decodeBlockCached(data, &configCache{})
}

// decodeBlockCached is decodeBlockSerial reading plugin configs through
// configs (nil: each config is read).
func decodeBlockCached(data []byte, configs *configCache) (m map[string]any, ok bool) {
	r := newBlockReader(data)
	r.configs = configs
	if !r.advance() || r.eof || r.ind != 0 {
		return nil, false
	}
	v, ok := r.node(docScope, true)
	if !ok || !r.eof {
		return nil, false
	}
	m, ok = v.(map[string]any)
	return m, ok
}

// advance moves to the next line that is neither blank nor a comment.
func (r *blockReader) advance() bool {
	r.gap = false
	for {
		if r.next >= len(r.data) {
			r.eof, r.text = true, nil
			return true
		}
		start := r.next
		end := len(r.data)
		if i := bytes.IndexByte(r.data[start:], '\n'); i >= 0 {
			end = start + i
		}
		r.next = end + 1
		i := start
		for i < end && r.data[i] == ' ' {
			i++
		}
		switch {
		case i == end:
			r.gap = true
			continue
		case r.data[i] == '#':
			if !printable(r.data[i:end]) {
				return false
			}
			r.gap = true
			continue
		case r.data[i] == '\t' || r.data[end-1] == '\r':
			return false
		case i == start && docMarker(r.data[start:end]):
			return false
		}
		r.ind, r.text = i-start, r.data[i:end]
		return true
	}
}

// lineStart is the offset of the current line.
func (r *blockReader) lineStart() int {
	return r.next - 1 - len(r.text) - r.ind
}

// printable reports whether t is printable ASCII.
func printable(t []byte) bool {
	for _, c := range t {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// docMarker reports a line that YAML reads at column 0 as a document
// marker or a directive.
func docMarker(line []byte) bool {
	if line[0] == '%' {
		return true
	}
	if len(line) >= 3 && (string(line[:3]) == "---" || string(line[:3]) == "...") {
		return len(line) == 3 || line[3] == ' ' || line[3] == '\t'
	}
	return false
}

// seqEntry reports whether t starts a sequence entry.
func seqEntry(t []byte) bool {
	return t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// node reads the block node starting on the current line.
func (r *blockReader) node(s scope, build bool) (any, bool) {
	if seqEntry(r.text) {
		return r.seq(r.ind, s, build)
	}
	return r.mapping(r.ind, s, build)
}

// enter opens a level of nesting.
func (r *blockReader) enter() bool {
	r.depth++
	return r.depth <= maxBlockDepth
}

// mapping reads a block mapping whose keys are at column ind.
func (r *blockReader) mapping(ind int, s scope, build bool) (any, bool) {
	defer func() { r.depth-- }()
	if !r.enter() {
		return nil, false
	}
	seen := r.keySet()
	var m map[string]any
	if build {
		m = map[string]any{}
	}
	for !r.eof && r.ind == ind {
		if seqEntry(r.text) {
			return nil, false
		}
		k, rest, isEntry, ok := r.entry(r.text)
		if !ok || !isEntry {
			return nil, false
		}
		if !seen.add(k, r.seed) {
			return nil, false
		}
		cs, keep, name := keyIn(s, k)
		var v any
		if rest == nil {
			v, ok = r.block(ind, cs, build && keep)
		} else {
			v, ok = r.inline(rest, ind, cs, build && keep)
		}
		if !ok {
			return nil, false
		}
		if build && keep {
			if name == "" {
				name = r.names.str(k)
			}
			m[name] = v
		}
	}
	return m, r.eof || r.ind < ind
}

// block reads the value of "key:" at column ind from the lines below: a
// deeper node, a sequence at the key's column, or null.
func (r *blockReader) block(ind int, s scope, build bool) (any, bool) {
	if !r.advance() {
		return nil, false
	}
	switch {
	case r.eof:
		return nil, true
	case r.ind > ind && s == configScope && build:
		return r.cachedNode(s)
	case r.ind > ind:
		return r.node(s, build)
	case r.ind == ind && seqEntry(r.text):
		return r.seq(ind, s, build)
	}
	return nil, true
}

// keySet returns the emptied key set of the current depth.
func (r *blockReader) keySet() *keySet {
	for len(r.keys) <= r.depth {
		r.keys = append(r.keys, &keySet{hashes: map[uint64]struct{}{}})
	}
	set := r.keys[r.depth]
	set.seen, set.hashing = set.seen[:0], false
	clear(set.hashes)
	return set
}

// keySet finds a repeated key in one mapping. While keys come in
// increasing order (as yaml.v3 writes them) none can repeat and they are
// only listed; from the first key out of order (lyaml writes Lua's table
// order) every key is hashed. Two keys with one hash read as a repeat,
// which only makes the block decoder give up.
type keySet struct {
	seen    [][]byte
	hashing bool
	hashes  map[uint64]struct{}
}

// add records k; false when it may repeat an earlier key.
func (s *keySet) add(k []byte, seed maphash.Seed) bool {
	if !s.hashing {
		if n := len(s.seen); n == 0 || bytes.Compare(k, s.seen[n-1]) > 0 {
			s.seen = append(s.seen, k)
			return true
		}
		s.hashing = true
		for _, p := range s.seen {
			s.hashes[maphash.Bytes(seed, p)] = struct{}{}
		}
	}
	h := maphash.Bytes(seed, k)
	if _, dup := s.hashes[h]; dup {
		return false
	}
	s.hashes[h] = struct{}{}
	return true
}

// seq reads a block sequence whose entries are at column ind.
func (r *blockReader) seq(ind int, s scope, build bool) (any, bool) {
	defer func() { r.depth-- }()
	if !r.enter() {
		return nil, false
	}
	var out []any
	if build {
		out = []any{}
	}
	es := s.elem()
	for !r.eof && r.ind == ind && seqEntry(r.text) {
		var v any
		ok := true
		t := r.text
		switch {
		case len(t) == 1:
			if ok = r.advance(); ok && !r.eof && r.ind > ind {
				v, ok = r.node(es, build)
			}
		case len(t) == 2 || t[2] == ' ' || seqEntry(t[2:]):
			return nil, false
		default:
			_, _, isEntry, entryOK := r.entry(t[2:])
			switch {
			case !entryOK:
				return nil, false
			case isEntry:
				r.ind, r.text = ind+2, t[2:]
				v, ok = r.mapping(ind+2, es, build)
			default:
				v, ok = r.inline(t[2:], ind, es, build)
			}
		}
		if !ok {
			return nil, false
		}
		if build {
			out = append(out, v)
		}
	}
	// A line at column ind that is not an entry ends a sequence written
	// at its key's column; the caller reads it.
	return out, r.eof || r.ind <= ind
}

// entry splits a mapping entry "key: value" or "key:"; rest is nil for
// "key:". isEntry is false for a line that is a scalar; ok is false
// outside the subset.
func (r *blockReader) entry(t []byte) (key, rest []byte, isEntry, ok bool) {
	var end int
	if t[0] == '"' || t[0] == '\'' {
		k, n, qok := r.quoted(t)
		if !qok {
			return nil, nil, false, false
		}
		if n == len(t) || t[n] != ':' {
			return nil, nil, false, true
		}
		key, end = k, n
	} else {
		end = -1
		for j, c := range t {
			if c < 0x20 || c > 0x7e || (c == '#' && j > 0 && t[j-1] == ' ') {
				return nil, nil, false, false
			}
			if c == ':' && (j+1 == len(t) || t[j+1] == ' ') {
				end = j
				break
			}
		}
		if end < 0 {
			return nil, nil, false, true
		}
		key = t[:end]
		if !plainKey(key) {
			return nil, nil, false, false
		}
	}
	switch {
	case end > 1000:
		return nil, nil, false, false // yaml.v3 limits implicit keys to 1024 characters
	case end+1 == len(t):
		return key, nil, true, true
	case t[end+1] != ' ' || end+2 == len(t) || t[end+2] == ' ':
		return nil, nil, false, false
	}
	return key, t[end+2:], true, true
}

// plainKey reports whether a plain key is one yaml.v3 reads as the same
// string: not empty, no leading indicator or trailing space, not a merge
// key, not resolving to a number, bool or null.
func plainKey(k []byte) bool {
	if len(k) == 0 || indicator(k[0]) || k[len(k)-1] == ' ' || string(k) == "<<" {
		return false
	}
	_, isStr, ok := resolvePlain(k)
	return ok && isStr
}

// indicator reports a byte that cannot start a plain scalar here (the
// YAML c-indicators; "-", "?" and ":" before a non-space are allowed by
// YAML but left to yaml.v3 when starting a key).
func indicator(c byte) bool { return indicators[c] }

// indicators are indicator's answers by byte.
var indicators = func() (t [256]bool) {
	for _, c := range []byte("-?:,[]{}#&*!|>'\"%@` ") {
		t[c] = true
	}
	return t
}()

// inline reads the value that follows "key: " or "- " on the current
// line (and, for a plain scalar, its continuation lines deeper than ind).
func (r *blockReader) inline(t []byte, ind int, s scope, build bool) (any, bool) {
	var v any
	switch {
	case string(t) == "[]":
		if build {
			v = []any{}
		}
	case string(t) == "{}":
		if build {
			v = map[string]any{}
		}
	case t[0] == '"' || t[0] == '\'':
		b, n, ok := r.quoted(t)
		if !ok || n != len(t) {
			return nil, false
		}
		if build {
			v = r.names.str(b)
		}
	default:
		return r.plain(t, ind, build)
	}
	if !r.advance() || (!r.eof && r.ind > ind) {
		return nil, false
	}
	return v, true
}

// plain reads a plain scalar and its continuation lines, folded with
// single spaces, and resolves it as yaml.v3 does.
func (r *blockReader) plain(t []byte, ind int, build bool) (any, bool) {
	if !plainText(t) || (indicator(t[0]) && !(strings.IndexByte("-?:", t[0]) >= 0 && len(t) > 1 && t[1] != ' ')) {
		return nil, false
	}
	text := t
	if !r.advance() {
		return nil, false
	}
	if !r.eof && r.ind > ind {
		r.buf = append(r.buf[:0], t...)
		for !r.eof && r.ind > ind {
			if r.gap || indicator(r.text[0]) || !plainText(r.text) {
				return nil, false
			}
			r.buf = append(append(r.buf, ' '), r.text...)
			if !r.advance() {
				return nil, false
			}
		}
		text = r.buf
	}
	if !build {
		return nil, plainOK(text)
	}
	v, isStr, ok := resolvePlain(text)
	switch {
	case !ok:
		return nil, false
	case isStr:
		return r.names.str(text), true
	}
	return v, true
}

// plainText reports whether a line's text is one plain scalar: printable
// ASCII, no ": " or final ':' (a mapping), no " #" (a comment), no
// trailing space.
func plainText(t []byte) bool {
	for j, c := range t {
		switch {
		case c < 0x20 || c > 0x7e:
			return false
		case c == ':' && (j+1 == len(t) || t[j+1] == ' '):
			return false
		case c == '#' && j > 0 && t[j-1] == ' ':
			return false
		}
	}
	return t[len(t)-1] != ' '
}

// quoted reads a single- or double-quoted scalar that ends on its line;
// n is the offset after the closing quote. Escapes are those of yaml.v3's
// scanner that stand for one character.
func (r *blockReader) quoted(t []byte) (s []byte, n int, ok bool) {
	q := t[0]
	plain := true
	for j := 1; j < len(t); j++ {
		c := t[j]
		switch {
		case c < 0x20 || c > 0x7e:
			return nil, 0, false
		case c == q && q == '\'' && j+1 < len(t) && t[j+1] == '\'':
			plain = false
			j++
		case c == q:
			if plain {
				return t[1:j], j + 1, true
			}
			return r.unescape(t[1:j], q)
		case c == '\\' && q == '"':
			plain = false
			j++
		}
	}
	return nil, 0, false
}

// unescape decodes the body of a quoted scalar with escapes; n counts
// the quotes.
func (r *blockReader) unescape(body []byte, q byte) ([]byte, int, bool) {
	out := make([]byte, 0, len(body))
	for j := 0; j < len(body); j++ {
		c := body[j]
		if q == '\'' {
			if c == '\'' {
				j++
			}
			out = append(out, c)
			continue
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		j++
		if j == len(body) {
			return nil, 0, false
		}
		if e, ok := simpleEscapes[body[j]]; ok {
			out = append(out, e)
			continue
		}
		width := 0
		switch body[j] {
		case 'x':
			width = 2
		case 'u':
			width = 4
		}
		if width == 0 || j+1+width > len(body) {
			return nil, 0, false
		}
		v, err := strconv.ParseUint(string(body[j+1:j+1+width]), 16, 32)
		if err != nil || (v >= 0xD800 && v <= 0xDFFF) {
			return nil, 0, false
		}
		out = utf8.AppendRune(out, rune(v))
		j += width
	}
	return out, len(body) + 2, true
}

// simpleEscapes are yaml.v3's one-byte escapes.
var simpleEscapes = map[byte]byte{'0': 0, 'a': 7, 'b': 8, 't': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13, 'e': 0x1b,
	' ': ' ', '"': '"', '\'': '\'', '\\': '\\', '/': '/'}
