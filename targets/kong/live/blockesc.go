package live

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// This file reads GET /config's YAML text in parts straight from the
// JSON string that carries it ({"config": "<text>"}), unquoting each part
// just before reading it, into a buffer its goroutine reuses: the 110 MB
// text of a 5,000-route answer is never unquoted whole. The parts are
// the ones decodeBlockParallel cuts the unquoted text into (found here
// in the quoted text: a line starts after a "\n" escape), and each is
// read as decodeBlockParallel reads it, so the document reads as
// decodeBlockSerial reads the unquoted text. Whatever the quoted text
// does that this reading does not follow (an escape other than those
// unquoteRun reads, a line break written \u000a, a top-level key
// written with an escape) makes a part fail, and the caller unquotes
// the text whole.

// escPartSize is the size of the quoted parts: small enough for a part
// to be read while its unquoted text is still in the cache.
const escPartSize = 1 << 20

// decodeConfigAnswer decodes GET /config's answer, {"config": "<YAML>"},
// as decodeDoc decodes its unquoted text, on GOMAXPROCS goroutines; ok
// is false when it cannot, and the caller unquotes the text and decodes
// it.
func decodeConfigAnswer(data []byte) (map[string]any, bool) {
	workers := runtime.GOMAXPROCS(0)
	open, ok := configOpen(data)
	if !ok || workers < 2 {
		return nil, false
	}
	body, ok := configBody(data, open)
	// decodeDoc reads a text opening with '{' (after white space) as
	// JSON: such a text, or one opening with an escape, is left to it.
	if !ok || len(body) < parallelMin || bytes.IndexByte([]byte(" \t\r\n\\{"), body[0]) >= 0 {
		return nil, false
	}
	return decodeBlockEscaped(body, workers, escPartSize)
}

// decodeBlockEscaped is decodeBlockParallel reading the unquoted text of
// body, a JSON string's body, in parts of about partSize quoted bytes.
func decodeBlockEscaped(body []byte, workers, partSize int) (map[string]any, bool) {
	keys := escKeyLines(body, workers)
	if len(keys) == 0 {
		return nil, false
	}
	keys[0] = 0
	var parts []blockPart
	members := make([]blockMember, 0, len(keys))
	for i, start := range keys {
		end := len(body)
		if i+1 < len(keys) {
			end = keys[i+1]
		}
		m, ps, ok := escSplitMember(body, start, end, partSize)
		if !ok {
			return nil, false
		}
		m.first, m.count = len(parts), len(ps)
		members = append(members, m)
		parts = append(parts, ps...)
	}
	decodeParts(parts, workers, &configCache{}, func(p *blockPart, buf *[]byte) ([]byte, bool) {
		return unquoteInto(buf, body[p.start:p.end])
	})
	return mergeParts(members, parts)
}

// unquoteInto unquotes src, a run of a JSON string's body cut between
// escapes, into *buf (grown as needed) and returns the text.
func unquoteInto(buf *[]byte, src []byte) ([]byte, bool) {
	if cap(*buf) < len(src) {
		*buf = make([]byte, len(src))
	}
	dst := (*buf)[:len(src)]
	n, ok := unquoteRun(dst, src)
	return dst[:n], ok
}

// escNewline returns the offset of the first "\n" escape at or after i
// in body, -1 when there is none. A backslash starts an escape when an
// even run of backslashes comes before it (each pair is one escaped
// backslash).
func escNewline(body []byte, i int) int {
	for {
		k := bytes.Index(body[i:], []byte(`\n`))
		if k < 0 {
			return -1
		}
		q := i + k
		b := q
		for b > 0 && body[b-1] == '\\' {
			b--
		}
		if (q-b)%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// escKeyLines returns the offsets in body of the lines topKeyLines finds
// in its unquoted text, scanning parts of body on workers goroutines. A
// line written with an escape at its start is taken for a key line:
// its part then fails unless it is one.
func escKeyLines(body []byte, workers int) []int {
	found := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			found[w] = escKeyLinesIn(body, w*len(body)/workers, (w+1)*len(body)/workers)
		})
	}
	wg.Wait()
	return slices.Concat(found...)
}

// escKeyLinesIn returns escKeyLines' lines that start in [a, b). It
// looks at the lines that start with a byte other than a space: in
// eight-byte words, the places where a backslash, an 'n' and a byte
// other than a space follow one another (eqBytes); each is then checked
// to be a "\n" escape.
func escKeyLinesIn(body []byte, a, b int) []int {
	var out []int
	if a == 0 && b > 0 && escKeyLine(body, 0) {
		out = append(out, 0)
	}
	add := func(q int) {
		if q+2 >= a && q+2 < b && escNewline(body, q) == q && escKeyLine(body, q+2) {
			out = append(out, q+2)
		}
	}
	i := max(a-2, 0)
	for ; i+10 <= b+2 && i+10 <= len(body); i += 8 {
		m := eqBytes(binary.LittleEndian.Uint64(body[i:]), '\\')
		if m == 0 {
			continue
		}
		m &= eqBytes(binary.LittleEndian.Uint64(body[i+1:]), 'n') &^ eqBytes(binary.LittleEndian.Uint64(body[i+2:]), ' ')
		for ; m != 0; m &= m - 1 {
			add(i + bits.TrailingZeros64(m)>>3)
		}
	}
	for ; i+2 < min(b+2, len(body)); i++ {
		if body[i] == '\\' && body[i+1] == 'n' && body[i+2] != ' ' {
			add(i)
		}
	}
	return out
}

// eqBytes returns the high bit of each byte of w equal to c, exactly:
// a byte of x = w ^ c… is zero when adding 0x7f to its low seven bits
// sets no high bit and its own high bit is clear.
func eqBytes(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return ^(((x &^ highs) + ones*0x7f) | x) & highs
}

// escKeyLine reports whether the line starting at body[i] is a key line
// as keyLinesIn reads it: not blank, a comment or a sequence entry.
func escKeyLine(body []byte, i int) bool {
	newline := func(j int) bool { return j+1 < len(body) && body[j] == '\\' && body[j+1] == 'n' }
	switch c := body[i]; {
	case c == ' ' || c == '#' || newline(i):
		return false
	case c == '-':
		return !(i+1 == len(body) || body[i+1] == ' ' || newline(i+1))
	}
	return true
}

// escSplitMember is splitMember for the member at body[start:end]: its
// key line, and the blank and comment lines up to the next content
// line, are unquoted and read line by line as splitMember's reader reads
// them; its entry lines are found in body.
func escSplitMember(body []byte, start, end, size int) (blockMember, []blockPart, bool) {
	whole := []blockPart{{start: start, end: end}}
	if end-start <= size {
		return blockMember{}, whole, true
	}
	lines := &escLines{body: body, at: start, end: end}
	r, _, adv, ok := lines.content()
	if !ok || !adv || r == nil || r.ind != 0 {
		return blockMember{}, nil, false
	}
	k, rest, isEntry, ok := r.entry(r.text)
	if !ok || !isEntry {
		return blockMember{}, nil, false
	}
	if rest != nil {
		return blockMember{}, whole, true
	}
	cs, _ := keyScope(docScope, k)
	key := string(k)
	r, first, adv, ok := lines.content()
	switch {
	case !ok:
		return blockMember{}, nil, false
	case !adv || r == nil || !seqEntry(r.text):
		return blockMember{}, whole, true
	}
	return blockMember{key: key, split: true}, escEntryRuns(body, first, end, r.ind, cs, size), true
}

// escLines reads the unquoted lines of body[at:end] one at a time.
type escLines struct {
	body    []byte
	at, end int
	buf     []byte
}

// content returns a reader on the next content line (neither blank nor
// a comment, as advance reads them), advanced to it, and the line's
// offset in body; r is nil at the end. adv is false where advance
// refuses a line (the reader is then on it); ok is false when a line
// cannot be unquoted, or holds a line break that is not a "\n" escape.
// r is valid until the next call.
func (l *escLines) content() (r *blockReader, lineAt int, adv, ok bool) {
	for l.at < l.end {
		lineAt = l.at
		next := escNewline(l.body, l.at)
		if next < 0 || next >= l.end {
			next = l.end
		} else {
			next += 2
		}
		l.at = next
		text, ok := unquoteInto(&l.buf, l.body[lineAt:next])
		if !ok || bytes.IndexByte(text[:max(len(text)-1, 0)], '\n') >= 0 {
			return nil, 0, false, false
		}
		r = newBlockReader(text)
		if !r.advance() {
			return r, lineAt, false, true
		}
		if !r.eof {
			return r, lineAt, true, true
		}
	}
	return nil, l.at, true, true
}

// escEntryRuns cuts the entries of a block sequence at column ind, from
// its first entry line at body[first] to end, into runs of about size
// quoted bytes, each cut at an entry line.
func escEntryRuns(body []byte, first, end, ind int, s scope, size int) []blockPart {
	marker := append(append([]byte(`\n`), bytes.Repeat([]byte{' '}, ind)...), '-')
	var parts []blockPart
	for first < end {
		cut := end
		if first+size < end {
			if j := escEntryLine(body[:end], first+size, marker); j >= 0 {
				cut = j
			}
		}
		parts = append(parts, blockPart{start: first, end: cut, entries: true, ind: ind, s: s})
		first = cut
	}
	return parts
}

// escEntryLine returns the offset in body of the first line from i
// starting with marker's indentation and "- " (or "-" alone), as
// entryLine finds it in the unquoted text; -1 when there is none.
func escEntryLine(body []byte, i int, marker []byte) int {
	for {
		q := escNewline(body, i)
		if q < 0 {
			return -1
		}
		if bytes.HasPrefix(body[q:], marker) {
			at := q + len(marker)
			if at == len(body) || body[at] == ' ' || (at+1 < len(body) && body[at] == '\\' && body[at+1] == 'n') {
				return q + 2
			}
		}
		i = q + 2
	}
}
