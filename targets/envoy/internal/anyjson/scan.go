package anyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return nil
		}
	}
	return s.errSyntax()
}

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
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.skipString(); err != nil {
					return nil, err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.b[start:s.i], nil
			}
		}
		return nil, s.errSyntax()
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
	inStr := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inStr {
			dst = append(dst, c)
			switch c {
			case '\\':
				if i+1 < len(raw) {
					i++
					dst = append(dst, raw[i])
				}
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			j := i
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
				j++
			}
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
			i = j - 1
		case '"':
			inStr = true
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// opens reports a byte white space may follow freely: { [ , :
func opens(c byte) bool { return c == '{' || c == '[' || c == ',' || c == ':' }

// closes reports a byte white space may precede freely: } ] , :
func closes(c byte) bool { return c == '}' || c == ']' || c == ',' || c == ':' }
