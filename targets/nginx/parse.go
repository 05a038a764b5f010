package nginx

import (
	"fmt"
	"strings"
)

// Parse reads the subset of nginx syntax Print writes: bare directive
// names, double-quoted arguments with '\"' and '\\' escapes, '{' '}'
// blocks, ';' terminators and '#' comment lines (a comment attaches to
// the directive after it). Anything else is an error, so text Print did
// not write fails verification.
func Parse(src []byte) ([]Directive, error) {
	p := &parser{src: string(src)}
	ds, err := p.list(false)
	if err != nil {
		return nil, fmt.Errorf("offset %d: %w", p.pos, err)
	}
	return ds, nil
}

type parser struct {
	src string
	pos int
}

// list parses directives up to '}' (when inner) or the end of input.
func (p *parser) list(inner bool) ([]Directive, error) {
	out := []Directive{}
	for {
		comment, err := p.skip()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			if inner {
				return nil, fmt.Errorf("unexpected end of input, want '}'")
			}
			return out, nil
		}
		if p.src[p.pos] == '}' {
			if !inner || comment != "" {
				return nil, fmt.Errorf("unexpected '}'")
			}
			p.pos++
			return out, nil
		}
		d, err := p.directive()
		if err != nil {
			return nil, err
		}
		d.Comment = comment
		out = append(out, d)
	}
}

// skip passes whitespace and returns the last comment line before the
// next token.
func (p *parser) skip() (string, error) {
	comment := ""
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\n':
			p.pos++
		case c == '#':
			end := strings.IndexByte(p.src[p.pos:], '\n')
			if end < 0 {
				return "", fmt.Errorf("comment without newline")
			}
			line := p.src[p.pos : p.pos+end]
			text, ok := strings.CutPrefix(line, "# ")
			if !ok || comment != "" {
				return "", fmt.Errorf("malformed comment %q", line)
			}
			comment = text
			p.pos += end + 1
		default:
			return comment, nil
		}
	}
	return comment, nil
}

// directive parses a name (or a quoted first argument), arguments, and
// ';' or a block.
func (p *parser) directive() (Directive, error) {
	var d Directive
	if p.src[p.pos] != '"' {
		d.Name = p.bare()
		if d.Name == "" || !validName(d.Name) {
			return d, fmt.Errorf("bad directive name %q", d.Name)
		}
	}
	for {
		for p.pos < len(p.src) && p.src[p.pos] == ' ' {
			p.pos++
		}
		if p.pos >= len(p.src) {
			return d, fmt.Errorf("unexpected end of input in %q", d.Name)
		}
		switch p.src[p.pos] {
		case ';':
			p.pos++
			return d, p.endLine()
		case '{':
			p.pos++
			if err := p.endLine(); err != nil {
				return d, err
			}
			body, err := p.list(true)
			d.Block = body
			return d, err
		case '"':
			s, err := p.quoted()
			if err != nil {
				return d, err
			}
			d.Args = append(d.Args, Raw(s))
		default:
			return d, fmt.Errorf("unquoted argument in %q", d.Name)
		}
	}
}

// bare reads a bare word.
func (p *parser) bare() string {
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune(" ;{}\"\n", rune(p.src[p.pos])) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// quoted reads a double-quoted string, undoing Print's escapes.
func (p *parser) quoted() (string, error) {
	var b strings.Builder
	for p.pos++; p.pos < len(p.src); p.pos++ {
		switch c := p.src[p.pos]; c {
		case '"':
			p.pos++
			return b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.src) || (p.src[p.pos+1] != '\\' && p.src[p.pos+1] != '"') {
				return "", fmt.Errorf("bad escape")
			}
			p.pos++
			b.WriteByte(p.src[p.pos])
		case '\n':
			return "", fmt.Errorf("newline in quoted string")
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// endLine requires a newline after ';' or '{'.
func (p *parser) endLine() error {
	if p.pos >= len(p.src) || p.src[p.pos] != '\n' {
		return fmt.Errorf("want newline after ';' or '{'")
	}
	return nil
}
