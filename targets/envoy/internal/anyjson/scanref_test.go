package anyjson

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// The scanner's first, byte-at-a-time skip and compactKey, kept as the
// reference the faster ones must equal (FuzzScanRef).

// refScanner is the reference scanner.
type refScanner struct{ scanner }

func (s *refScanner) ws() { s.scanner.ws() }

func (s *refScanner) errSyntax() error { return s.scanner.errSyntax() }

func (s *refScanner) skipString() error {
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

func (s *refScanner) skip() ([]byte, error) {
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

func compactKeyRef(dst, raw []byte) []byte {
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

// FuzzScanRef: skip and compactKey give what the reference ones give —
// the same value (or both an error) ending at the same byte, the same key;
// hashNested ends where skipNested does with the hash of compactKey's
// key.
func FuzzScanRef(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\\\"d"}]} x`, `"abc\\" 1`, `[{"x": "]"}, 2 ] `, `"\\\\\"`, `{"a" : tr ue}`, `  -1.5e3,`, `[`, `"unterminated`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := compactKey(nil, data), compactKeyRef(nil, data); !bytes.Equal(got, want) {
			t.Fatalf("compactKey(%q) = %q, reference %q", data, got, want)
		}
		if i := bytes.IndexAny(data, "{["); i >= 0 {
			got, end := hashNested(data, i)
			if want := skipNested(data, i); end != want {
				t.Fatalf("hashNested(%q) ends at %d, skipNested at %d", data[i:], end, want)
			}
			if want := sha256.Sum256(compactKeyRef(nil, data[i:max(end, i)])); end >= 0 && got != want {
				t.Fatalf("hashNested(%q) is not the hash of the reference key %q", data[i:end], compactKeyRef(nil, data[i:end]))
			}
		}
		s, r := &scanner{b: data}, &refScanner{scanner{b: data}}
		for {
			gv, gerr := s.skip()
			wv, werr := r.skip()
			if (gerr == nil) != (werr == nil) || !bytes.Equal(gv, wv) || (gerr == nil && s.i != r.i) {
				t.Fatalf("skip at %d: %q, %v (end %d); reference %q, %v (end %d)", s.i, gv, gerr, s.i, wv, werr, r.i)
			}
			if gerr != nil || !s.consume(',') || !r.consume(',') {
				return
			}
		}
	})
}
