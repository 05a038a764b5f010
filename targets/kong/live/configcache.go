package live

import (
	"bytes"
	"sync"
)

// configCache holds plugin configs already decoded, by their text. Kong
// exports every field of every plugin's schema, and a configuration of
// thousands of routes repeats a few hundred distinct configs over tens
// of thousands of plugins (at 5,000 routes: 775 distinct texts, 44,359
// configs, three quarters of the answer's lines). A decoder reading a
// config whose exact text it has read before, from the same state (the
// text starts at its line's start, so its indentation is part of it; the
// nesting depth is part of the key), gives the value it gave then:
// equal text read the same way is an equal value. Only a text whose
// decoding succeeded and consumed exactly that text is kept, so a text
// found here is one the decoder reads, with no error.
//
// Values are shared between the plugins that repeat a text: they are
// read, never changed (withDefaults copies). A configCache is safe for
// concurrent use (the block decoder's parts share one); the zero value
// and nil are ready (nil keeps nothing).
type configCache struct {
	mu   sync.Mutex
	m    map[int]map[string]cachedConfig
	size int
	// recent is, by depth and head (a text's first bytes: its first
	// line in YAML), the last text kept or found with that head. A
	// decoder finds a repeated text from its head, comparing the text
	// where it reads, without first finding where the text ends (a
	// line at a time in YAML, a byte at a time in JSON) and hashing it.
	recent map[recentKey]cachedConfig
	// hits counts the texts found, for the tests.
	hits int
}

// cachedConfig is a text kept and the value decoded from it.
type cachedConfig struct {
	text string
	v    any
}

// recentKey is a head at a depth.
type recentKey struct {
	depth int
	head  string
}

// maxConfigCache bounds the text a configCache keeps, so an answer of
// distinct configs is not copied whole.
const maxConfigCache = 64 << 20

// maxHead bounds a head.
const maxHead = 64

// get returns the text kept equal to text at depth, and its value; it
// becomes the recent text of head.
func (c *configCache) get(depth int, head, text []byte) (cachedConfig, bool) {
	if c == nil {
		return cachedConfig{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[depth][string(text)]
	if ok {
		c.hits++
		c.recent[recentKey{depth, string(head)}] = e
	}
	return e, ok
}

// put keeps text, read at depth, and its value; it becomes the recent
// text of head.
func (c *configCache) put(depth int, head, text []byte, v any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+len(text) > maxConfigCache {
		return
	}
	if c.m == nil {
		c.m, c.recent = map[int]map[string]cachedConfig{}, map[recentKey]cachedConfig{}
	}
	if c.m[depth] == nil {
		c.m[depth] = map[string]cachedConfig{}
	}
	e, ok := c.m[depth][string(text)]
	if !ok {
		e = cachedConfig{string(text), v}
		c.m[depth][e.text] = e
		c.size += len(text)
	}
	c.recent[recentKey{depth, string(head)}] = e
}

// recentText returns the recent text of head at depth, and its value;
// the caller checks that the text is where it reads.
func (c *configCache) recentText(depth int, head []byte) (cachedConfig, bool) {
	if c == nil {
		return cachedConfig{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.recent[recentKey{depth, string(head)}]
	return e, ok
}

// found counts a recent text found where a decoder reads.
func (c *configCache) found() {
	c.mu.Lock()
	c.hits++
	c.mu.Unlock()
}

// cachedNode reads, through r.configs, the block node starting on the
// current line, as node(s, true) reads it. Its text runs from the
// line's start to the end of the last content line (neither blank nor a
// comment, as advance reads them) before the first content line indented
// less than it (blockEnd). A text read before is not read again: the
// reader moves past it as reading it would have (advance from its end
// skips the same blank and comment lines). A text read now is kept when
// the reading ended on the content line after it.
//
// The recent text of the node's first line (its head) is tried first:
// it is the node's text when the bytes from the line's start are that
// text and the content line after them is indented less than the node
// (blockEnd would end there); such a text ends with a newline, unless
// both end the data (a text kept at the end of a part, without a
// newline, is not taken where a line goes on after it).
func (r *blockReader) cachedNode(s scope) (any, bool) {
	start := r.lineStart()
	head := r.data[start : start+min(len(r.text)+r.ind+1, len(r.data)-start, maxHead)]
	if e, ok := r.configs.recentText(r.depth, head); ok && r.ends(start, e.text) {
		r.configs.found()
		r.next = start + len(e.text)
		return e.v, r.advance()
	}
	end := blockEnd(r.data, start, r.ind)
	text := r.data[start:end]
	if e, ok := r.configs.get(r.depth, head, text); ok {
		r.next = end
		return e.v, r.advance()
	}
	v, ok := r.node(s, true)
	at := len(r.data)
	if !r.eof {
		at = r.lineStart()
	}
	if ok && at == contentLine(r.data, end) {
		r.configs.put(r.depth, head, text, v)
	}
	return v, ok
}

// ends reports whether text, a node's text indented r.ind, is the text
// of the node starting at r.data[start], as blockEnd finds it.
func (r *blockReader) ends(start int, text string) bool {
	end := start + len(text)
	if end > len(r.data) || string(r.data[start:end]) != text || (text[len(text)-1] != '\n' && end != len(r.data)) {
		return false
	}
	next := contentLine(r.data, end)
	j := next
	for j < len(r.data) && r.data[j] == ' ' {
		j++
	}
	return next == len(r.data) || j-next < r.ind
}

// blockEnd returns the end (after its newline) of the last content line
// from start, the start of a content line indented ind, before the first
// content line indented less than ind.
func blockEnd(data []byte, start, ind int) int {
	end := start
	for i := start; i < len(data); {
		j := i
		for j < len(data) && data[j] == ' ' {
			j++
		}
		next := len(data)
		if k := bytes.IndexByte(data[j:], '\n'); k >= 0 {
			next = j + k + 1
		}
		if j < len(data) && data[j] != '\n' && data[j] != '#' {
			if j-i < ind {
				return end
			}
			end = next
		}
		i = next
	}
	return end
}

// contentLine returns the start of the first content line from i, or
// len(data).
func contentLine(data []byte, i int) int {
	for i < len(data) {
		j := i
		for j < len(data) && data[j] == ' ' {
			j++
		}
		if j < len(data) && data[j] != '\n' && data[j] != '#' {
			return i
		}
		k := bytes.IndexByte(data[j:], '\n')
		if k < 0 {
			return len(data)
		}
		i = j + k + 1
	}
	return len(data)
}

// cachedObject reads, through r.configs, the object at r.i as
// object(s, true) reads it. Its text runs to the bracket that closes it
// (jsonEnd); a text read before is not read again, a text read now is
// kept when the reading ended there. The recent text of the object's
// first bytes (its head) is tried first: where the bytes from r.i are
// that text, jsonEnd ends there too.
func (r *jsonReader) cachedObject(s scope) (any, error) {
	head := r.data[r.i:min(r.i+maxHead, len(r.data))]
	if e, ok := r.configs.recentText(r.depth, head); ok && len(r.data)-r.i >= len(e.text) && string(r.data[r.i:r.i+len(e.text)]) == e.text {
		r.configs.found()
		r.i += len(e.text)
		return e.v, nil
	}
	end := jsonEnd(r.data, r.i)
	if end < 0 {
		return r.object(s, true)
	}
	text := r.data[r.i:end]
	if e, ok := r.configs.get(r.depth, head, text); ok {
		r.i = end
		return e.v, nil
	}
	v, err := r.object(s, true)
	if err == nil && r.i == end {
		r.configs.put(r.depth, head, text, v)
	}
	return v, err
}

// jsonEnd returns the offset after the bracket closing the object or
// array opening at data[i], counting brackets outside strings; -1 when
// there is none. It does not check the text: the caller's reading does.
func jsonEnd(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			close := stringEnd(data, i)
			if close < 0 {
				return -1
			}
			i = close
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// stringEnd returns the offset of the quote closing the string opening
// at data[open]: the first quote after it not escaped by an odd run of
// backslashes; -1 when there is none.
func stringEnd(data []byte, open int) int {
	for i := open + 1; ; {
		k := bytes.IndexByte(data[i:], '"')
		if k < 0 {
			return -1
		}
		q := i + k
		b := q
		for data[b-1] == '\\' {
			b--
		}
		if (q-b)%2 == 0 {
			return q
		}
		i = q + 1
	}
}
