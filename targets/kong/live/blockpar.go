package live

import (
	"bytes"
	"slices"
	"sync"
	"sync/atomic"
)

// parallelMin is the size from which a document is decoded in parts.
const parallelMin = 1 << 20

// blockPart is one part of a document decoded on its own: a whole
// top-level member (from its key line to the next one), or a run of the
// entries of a top-level member's block sequence.
type blockPart struct {
	start, end int
	// entries: the part is a run of sequence entries at column ind, read
	// in scope s; else a whole member.
	entries bool
	ind     int
	s       scope
	v       any
	ok      bool
}

// blockMember is a top-level member: its key and the parts holding it.
type blockMember struct {
	key          string
	first, count int
	// split: the value is the concatenation of the parts' sequences.
	split bool
}

// decodeBlockParallel decodes a block-YAML document as decodeBlockSerial
// does, in parts of about partSize bytes on workers goroutines. The document's lines at column 0
// that are not sequence entries or comments are its top-level keys
// (nothing deeper starts at column 0: the subset has no multi-line
// scalar but plain ones, continued on deeper lines); each member is
// read by a reader of its own, and a long block sequence is cut at its
// entry lines into runs read by readers of their own. Each reader starts
// in the state the whole document's reader is in there (column,
// scope, depth) and must end exactly at its part's end, so a part reads
// as it does in the whole document; ok is false whenever a part cannot
// be read so, and the caller reads the document in one piece.
func decodeBlockParallel(data []byte, workers, partSize int) (map[string]any, bool) {
	keys := topKeyLines(data, workers)
	if len(keys) == 0 {
		return nil, false
	}
	keys[0] = 0 // blank and comment lines before the first key
	var parts []blockPart
	members := make([]blockMember, 0, len(keys))
	for i, start := range keys {
		end := len(data)
		if i+1 < len(keys) {
			end = keys[i+1]
		}
		m, ps, ok := splitMember(data, start, end, partSize)
		if !ok {
			return nil, false
		}
		m.first, m.count = len(parts), len(ps)
		members = append(members, m)
		parts = append(parts, ps...)
	}
	decodeParts(parts, workers, &configCache{}, func(p *blockPart, _ *[]byte) ([]byte, bool) {
		return data[p.start:p.end], true
	})
	return mergeParts(members, parts)
}

// topKeyLines returns the offsets of the lines at column 0 that are
// neither sequence entries nor comments, in order, scanning parts of
// data on workers goroutines.
func topKeyLines(data []byte, workers int) []int {
	found := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			found[w] = keyLinesIn(data, w*len(data)/workers, (w+1)*len(data)/workers)
		})
	}
	wg.Wait()
	return slices.Concat(found...)
}

// keyLinesIn returns topKeyLines' lines that start in [a, b).
func keyLinesIn(data []byte, a, b int) []int {
	var out []int
	i := a
	if a > 0 {
		j := bytes.IndexByte(data[a-1:], '\n')
		if j < 0 {
			return nil
		}
		i = a + j
	}
	for i < b {
		switch c := data[i]; {
		case c == ' ' || c == '\n' || c == '#':
		case c == '-' && (i+1 == len(data) || data[i+1] == ' ' || data[i+1] == '\n'):
		default:
			out = append(out, i)
		}
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return out
}

// splitMember returns the member in data[start:end] and its parts: one
// when it is small or its value is not a block sequence, else runs of
// its sequence's entries of about size bytes. ok is false when its key
// line cannot be read.
func splitMember(data []byte, start, end, size int) (blockMember, []blockPart, bool) {
	whole := []blockPart{{start: start, end: end}}
	if end-start <= size {
		return blockMember{}, whole, true
	}
	r := newBlockReader(data[start:end])
	if !r.advance() || r.eof || r.ind != 0 {
		return blockMember{}, nil, false
	}
	k, rest, isEntry, ok := r.entry(r.text)
	if !ok || !isEntry {
		return blockMember{}, nil, false
	}
	if rest != nil || !r.advance() || r.eof || !seqEntry(r.text) {
		return blockMember{}, whole, true
	}
	cs, _ := keyScope(docScope, k)
	ind, first := r.ind, start+r.lineStart()
	marker := append(append([]byte{'\n'}, bytes.Repeat([]byte{' '}, ind)...), '-')
	var parts []blockPart
	for first < end {
		cut := end
		if first+size < end {
			if j := entryLine(data[first+size:end], marker); j >= 0 {
				cut = first + size + j
			}
		}
		parts = append(parts, blockPart{start: first, end: cut, entries: true, ind: ind, s: cs})
		first = cut
	}
	return blockMember{key: string(k), split: true}, parts, true
}

// entryLine returns the offset in t of the first line starting with
// marker's indentation and "- " (or "-" alone), -1 when there is none.
func entryLine(t, marker []byte) int {
	for off := 0; ; {
		j := bytes.Index(t[off:], marker)
		if j < 0 {
			return -1
		}
		at := off + j + len(marker)
		if at == len(t) || t[at] == ' ' || t[at] == '\n' {
			return off + j + 1
		}
		off = at
	}
}

// decodeParts reads the parts on workers goroutines, largest first,
// sharing configs; text gives a part's text (buf is its goroutine's to
// reuse).
func decodeParts(parts []blockPart, workers int, configs *configCache, text func(p *blockPart, buf *[]byte) ([]byte, bool)) {
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return (parts[b].end - parts[b].start) - (parts[a].end - parts[a].start)
	})
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(workers, len(parts)) {
		wg.Go(func() {
			var buf []byte
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= len(order) {
					return
				}
				p := &parts[order[i]]
				if t, ok := text(p, &buf); ok {
					p.v, p.ok = p.decode(t, configs)
				}
				if !p.ok {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
}

// decode reads a part, whose text is text, as the whole document's
// reader reads it there. What it returns shares nothing with text.
func (p *blockPart) decode(text []byte, configs *configCache) (any, bool) {
	r := newBlockReader(text)
	r.configs = configs
	if !r.advance() || r.eof {
		return nil, false
	}
	if !p.entries {
		// The document's top-level mapping, holding one member.
		if r.ind != 0 {
			return nil, false
		}
		v, ok := r.node(docScope, true)
		return v, ok && r.eof
	}
	// A run of entries of the top-level mapping's member: depth 1 in the
	// whole document.
	r.depth = 1
	if r.ind != p.ind || !seqEntry(r.text) {
		return nil, false
	}
	v, ok := r.seq(p.ind, p.s, true)
	return v, ok && r.eof
}

// mergeParts puts the decoded members together in document order; ok is
// false when a part failed, a key repeats (the whole document's reader
// gives up on a repeated key) or a part is not what its member needs.
func mergeParts(members []blockMember, parts []blockPart) (map[string]any, bool) {
	top := make(map[string]any, len(members))
	for _, m := range members {
		ps := parts[m.first : m.first+m.count]
		for _, p := range ps {
			if !p.ok {
				return nil, false
			}
		}
		var v any
		if m.split {
			n := 0
			for _, p := range ps {
				xs, ok := p.v.([]any)
				if !ok {
					return nil, false
				}
				n += len(xs)
			}
			seq := make([]any, 0, n)
			for _, p := range ps {
				seq = append(seq, p.v.([]any)...)
			}
			v = seq
		} else {
			one, ok := ps[0].v.(map[string]any)
			if !ok || len(one) != 1 {
				return nil, false
			}
			for k, x := range one {
				m.key, v = k, x
			}
		}
		if _, dup := top[m.key]; dup {
			return nil, false
		}
		top[m.key] = v
	}
	return top, true
}
