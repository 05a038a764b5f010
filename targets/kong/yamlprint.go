package kong

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// printYAML writes the generic value v (generic) as yaml.v3 encodes
// toNode(v) with an indent of 2 — block mappings with sorted,
// double-quoted keys, block sequences indented under their key, strings
// double-quoted with yaml.v3's escapes, integers, booleans and null plain,
// empty collections as {} and [] — byte for byte, without building
// yaml.v3's nodes and event queue (most of a large build's time). It
// reports false for what it does not print as yaml.v3 does: a key longer
// than 128 bytes or holding a line break (yaml.v3 writes those as "? "
// complex keys), a string starting with a byte-order mark (yaml.v3 then
// escapes every character), invalid UTF-8, a sequence directly in a
// sequence, a root that is not a non-empty mapping, and values toNode
// refuses; Encode then uses yaml.v3. TestPrintYAMLMatchesYAMLv3 and
// FuzzPrintYAML compare the two.
func printYAML(v any) ([]byte, bool) {
	root, ok := v.(map[string]any)
	if !ok || len(root) == 0 {
		return nil, false
	}
	p := &deckPrinter{}
	if !p.mapping(root, 0) {
		return nil, false
	}
	return p.out, true
}

// deckPrinter writes printYAML's output.
type deckPrinter struct {
	out []byte
	// item is set when the next line starts after a sequence item's
	// "- ", already written.
	item bool
}

// start begins a line at indent, unless it continues a "- " marker.
func (p *deckPrinter) start(indent int) {
	if p.item {
		p.item = false
		return
	}
	for range indent {
		p.out = append(p.out, ' ')
	}
}

// mapping prints a non-empty mapping's entries, keys sorted, at indent.
func (p *deckPrinter) mapping(m map[string]any, indent int) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		if len(k) > 128 || strings.ContainsFunc(k, isBreak) {
			return false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.start(indent)
		var ok bool
		if p.out, ok = appendDoubleQuoted(p.out, k); !ok {
			return false
		}
		p.out = append(p.out, ':')
		if !p.entry(m[k], indent) {
			return false
		}
	}
	return true
}

// entry prints a mapping value after its key's colon: on the key's line
// if a scalar or empty, else below it, indented two more.
func (p *deckPrinter) entry(v any, indent int) bool {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			p.out = append(p.out, '\n')
			return p.mapping(x, indent+2)
		}
	case []any:
		if len(x) > 0 {
			p.out = append(p.out, '\n')
			return p.sequence(x, indent+2)
		}
	}
	p.out = append(p.out, ' ')
	return p.scalar(v)
}

// sequence prints a non-empty sequence's items at indent: "- " and the
// item, a mapping's first entry on the marker's line.
func (p *deckPrinter) sequence(s []any, indent int) bool {
	for _, e := range s {
		p.start(indent)
		p.out = append(p.out, '-', ' ')
		switch x := e.(type) {
		case map[string]any:
			if len(x) > 0 {
				p.item = true
				if !p.mapping(x, indent+2) {
					return false
				}
				continue
			}
		case []any:
			if len(x) > 0 {
				return false // "- - …": not printed here
			}
		}
		if !p.scalar(e) {
			return false
		}
	}
	return true
}

// scalar prints a scalar or an empty collection and ends the line.
func (p *deckPrinter) scalar(v any) bool {
	switch x := v.(type) {
	case string:
		var ok bool
		if p.out, ok = appendDoubleQuoted(p.out, x); !ok {
			return false
		}
	case bool:
		if x {
			p.out = append(p.out, "true"...)
		} else {
			p.out = append(p.out, "false"...)
		}
	case json.Number:
		if _, err := x.Int64(); err != nil {
			return false
		}
		p.out = append(p.out, x...)
	case nil:
		p.out = append(p.out, "null"...)
	case map[string]any:
		p.out = append(p.out, '{', '}') // empty: entry and sequence print the others
	case []any:
		p.out = append(p.out, '[', ']')
	default:
		return false
	}
	p.out = append(p.out, '\n')
	return true
}

// isBreak reports a character YAML reads as a line break.
func isBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// appendDoubleQuoted appends s double-quoted as yaml.v3's emitter writes
// it (yaml_emitter_write_double_quoted_scalar, unicode output, no line
// width): a character is escaped when it is '"', '\\', a line break or
// not printable (YAML's printable set, less U+FEFF and the characters
// outside the Basic Multilingual Plane, which yaml.v3 treats as not
// printable), as \0 \a \b \t \n \v \f \r \e \" \\ \N \L \P or \x, \u or
// \U with upper-case hexadecimal; everything else is written as it is.
// It reports false for invalid UTF-8 and for a string starting with a
// byte-order mark.
func appendDoubleQuoted(dst []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) || strings.HasPrefix(s, "\uFEFF") {
		return dst, false
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x7E && s[j] != '"' && s[j] != '\\' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		if yamlPrintable(r) && !isBreak(r) && r != '"' && r != '\\' {
			dst = append(dst, s[j:j+n]...)
		} else {
			dst = appendEscape(dst, r)
		}
		i = j + n
	}
	return append(dst, '"'), true
}

// yamlPrintable is yaml.v3's is_printable for a valid character: line
// feed, U+0020–U+007E, U+00A0–U+D7FF and U+E000–U+FFFD except U+FEFF.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\n' || r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return r != 0xFEFF
	}
	return false
}

// appendEscape appends yaml.v3's escape for r.
func appendEscape(dst []byte, r rune) []byte {
	const hexDigits = "0123456789ABCDEF"
	if c := shortEscape(r); c != 0 {
		return append(dst, '\\', c)
	}
	letter, digits := byte('U'), 8
	switch {
	case r <= 0xFF:
		letter, digits = 'x', 2
	case r <= 0xFFFF:
		letter, digits = 'u', 4
	}
	dst = append(dst, '\\', letter)
	for k := (digits - 1) * 4; k >= 0; k -= 4 {
		dst = append(dst, hexDigits[(r>>k)&0xF])
	}
	return dst
}

// shortEscape is the letter of yaml.v3's one-letter escape for r, 0 if
// it has none.
func shortEscape(r rune) byte {
	switch r {
	case 0:
		return '0'
	case 0x07:
		return 'a'
	case 0x08:
		return 'b'
	case 0x09:
		return 't'
	case 0x0A:
		return 'n'
	case 0x0B:
		return 'v'
	case 0x0C:
		return 'f'
	case 0x0D:
		return 'r'
	case 0x1B:
		return 'e'
	case '"', '\\':
		return byte(r)
	case 0x85:
		return 'N'
	case 0xA0:
		return '_'
	case 0x2028:
		return 'L'
	case 0x2029:
		return 'P'
	}
	return 0
}
