package anyjson

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
)

// scanner walks JSON text just enough to find values' ends and object
// keys; protojson (or json.Compact, for an Any) checks every byte that
// matters.
type scanner struct {
	b []byte
	i int
}

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and c, if c is next.
func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// errSyntax reports where the scanner stopped.
func (s *scanner) errSyntax() error { return fmt.Errorf("%w at byte %d", errSyntax, s.i) }

// str reads the string at s (after white space) and returns its value.
func (s *scanner) str() (string, error) {
	s.ws()
	start := s.i
	if err := s.skipString(); err != nil {
		return "", err
	}
	raw := s.b[start:s.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	return v, nil
}

// skipString moves past the string starting at s.i.
func (s *scanner) skipString() error {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return s.errSyntax()
	}
	end := stringEnd(s.b, s.i)
	if end < 0 {
		s.i = len(s.b)
		return s.errSyntax()
	}
	s.i = end
	return nil
}

// stringEnd returns the index just past the string whose opening quote is
// at b[i], or -1 when it does not end: the first quote after i preceded
// by an even number of backslashes (a quote after an odd number is
// escaped).
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// structural marks the bytes skip stops at inside an object or a list.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true, '\n': true}

// skip moves past the value at s (after white space) and returns it.
func (s *scanner) skip() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i >= len(s.b) {
		return nil, s.errSyntax()
	}
	switch s.b[s.i] {
	case '"':
		if err := s.skipString(); err != nil {
			return nil, err
		}
	case '{', '[':
		end := skipNested(s.b, s.i)
		if end < 0 {
			s.i = len(s.b)
			return nil, s.errSyntax()
		}
		s.i = end
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '{', '[', '"':
				if s.i == start {
					return nil, s.errSyntax()
				}
				return s.b[start:s.i], nil
			}
			s.i++
		}
		if s.i == start {
			return nil, s.errSyntax()
		}
	}
	return s.b[start:s.i], nil
}

// indentEnd returns the index of the first byte at or after i that is
// not a space, eight at a time (pretty-printed JSON indents every line).
func indentEnd(b []byte, i int) int {
	const spaces = 0x2020202020202020
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:]) == spaces {
		i += 8
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// skipNested returns the index just past the object or list opening at
// b[i] (brackets counted, not matched: protojson checks the text), or -1
// when it does not end.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		c := b[i]
		if !structural[c] {
			i++
			continue
		}
		switch c {
		case '"':
			if i = stringEnd(b, i); i < 0 {
				return -1
			}
			continue
		case '\n':
			i = indentEnd(b, i+1)
			continue
		case '{', '[':
			depth++
		default:
			depth--
		}
		i++
		if depth == 0 {
			return i
		}
	}
	return -1
}

// copyValue copies the value at s to out without the white space
// between its tokens (compactKey).
func (s *scanner) copyValue(out *bytes.Buffer) error {
	v, err := s.skip()
	if err != nil {
		return err
	}
	out.Write(compactKey(out.AvailableBuffer(), v))
	return nil
}

// compactKey appends raw to dst without the white space between tokens:
// a run of white space outside strings is dropped when it starts or ends
// the text, follows one of {[,: or precedes one of }],: (in valid JSON
// every run between tokens does), and kept otherwise. So two texts with the same key differ only in
// white space between tokens, and are both valid JSON or both not
// (white space inside a number or literal, or between two values, is
// kept, and leaves the key invalid).
func compactKey(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		// copy the run up to the next string or white space at once
		j := i
		for j < len(raw) && !compactStop[raw[j]] {
			j++
		}
		dst = append(dst, raw[i:j]...)
		if i = j; i >= len(raw) {
			break
		}
		if raw[i] == '"' {
			end := stringEnd(raw, i)
			if end < 0 {
				return append(dst, raw[i:]...)
			}
			dst = append(dst, raw[i:end]...)
			i = end
			continue
		}
		j = spaceEnd(raw, i)
		prev, next := byte(0), byte(0)
		if len(dst) > 0 {
			prev = dst[len(dst)-1]
		}
		if j < len(raw) {
			next = raw[j]
		}
		edge := len(dst) == 0 || j == len(raw)
		if !edge && !opens(prev) && !closes(next) {
			dst = append(dst, raw[i:j]...)
		}
		i = j
	}
	return dst
}

// compactStop marks the bytes compactKey stops a run at: a string's
// opening quote and white space.
var compactStop = [256]bool{'"': true, ' ': true, '\t': true, '\n': true, '\r': true}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// spaceEnd returns the index of the first byte at or after i that is not
// white space.
func spaceEnd(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case '\n':
			i = indentEnd(b, i+1)
		case ' ', '\t', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// hashNested returns the SHA-256 of compactKey(b[i:end]) for the object
// or list opening at b[i], computed in one pass without building the
// key, and end, the index just past it; -1 when it does not end.
func hashNested(b []byte, i int) ([sha256.Size]byte, int) {
	h := &keyHasher{h: sha256.New()}
	depth := 0
	for i < len(b) {
		j := i
		for j < len(b) && !nestedStop[b[j]] {
			j++
		}
		h.write(b[i:j])
		if i = j; i >= len(b) {
			break
		}
		switch c := b[i]; c {
		case '"':
			end := stringEnd(b, i)
			if end < 0 {
				return [sha256.Size]byte{}, -1
			}
			h.write(b[i:end])
			i = end
		case '{', '[':
			depth++
			h.write(b[i : i+1])
			i++
		case '}', ']':
			depth--
			h.write(b[i : i+1])
			i++
			if depth == 0 {
				return h.sum(), i
			}
		default:
			j = spaceEnd(b, i)
			if j == len(b) {
				return [sha256.Size]byte{}, -1
			}
			if !opens(h.last()) && !closes(b[j]) {
				h.write(b[i:j])
			}
			i = j
		}
	}
	return [sha256.Size]byte{}, -1
}

// keyHasher feeds a hash through a buffer, so the short runs between
// white space cost a copy, not a call each.
type keyHasher struct {
	h    hash.Hash
	buf  [32 << 10]byte
	used int
	// flushedLast is the last byte written before the buffer was last
	// emptied.
	flushedLast byte
}

// write adds p (short enough to inline the common case).
func (k *keyHasher) write(p []byte) {
	if k.used+len(p) <= len(k.buf) {
		k.used += copy(k.buf[k.used:], p)
		return
	}
	k.flush(p)
}

// flush empties the buffer into the hash, then adds p.
func (k *keyHasher) flush(p []byte) {
	if k.used > 0 {
		k.flushedLast = k.buf[k.used-1]
	}
	k.h.Write(k.buf[:k.used])
	k.used = 0
	if len(p) > len(k.buf) {
		k.h.Write(p)
		k.flushedLast = p[len(p)-1]
		return
	}
	k.used = copy(k.buf[:], p)
}

// last is the last byte written (0 before any).
func (k *keyHasher) last() byte {
	if k.used > 0 {
		return k.buf[k.used-1]
	}
	return k.flushedLast
}

func (k *keyHasher) sum() [sha256.Size]byte {
	k.h.Write(k.buf[:k.used])
	var out [sha256.Size]byte
	k.h.Sum(out[:0])
	return out
}

// nestedStop marks the bytes hashNested stops a run at.
var nestedStop = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true, ' ': true, '\t': true, '\n': true, '\r': true}

// opens reports a byte white space may follow freely: { [ , :
func opens(c byte) bool { return c == '{' || c == '[' || c == ',' || c == ':' }

// closes reports a byte white space may precede freely: } ] , :
func closes(c byte) bool { return c == '}' || c == ']' || c == ',' || c == ':' }
