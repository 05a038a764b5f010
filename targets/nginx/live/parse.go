package live

import (
	"fmt"
	"strings"
)

// node is one directive of a hand-written or generated nginx config.
type node struct {
	name    string
	args    []string
	block   []*node // nil for a simple directive
	comment string  // the comment line just above, without "# "
	file    string
	line    int
}

// parse reads nginx syntax leniently: bare or quoted ('…', "…")
// arguments with backslash escapes, '#' comments, blocks. file names the
// source in errors.
func parse(file, src string) ([]*node, error) {
	p := &parser{src: src, file: file, line: 1}
	out, err := p.list(false)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, p.line, err)
	}
	return out, nil
}

type parser struct {
	src, file string
	pos, line int
	comment   string
}

// list parses directives up to '}' (inner) or the end of input.
func (p *parser) list(inner bool) ([]*node, error) {
	var out []*node
	for {
		p.space()
		if p.pos >= len(p.src) {
			if inner {
				return nil, fmt.Errorf("unexpected end of input, want '}'")
			}
			return out, nil
		}
		if p.src[p.pos] == '}' {
			if !inner {
				return nil, fmt.Errorf("unexpected '}'")
			}
			p.pos++
			return out, nil
		}
		n, err := p.directive()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
}

// space skips whitespace and comments, remembering the last comment.
func (p *parser) space() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r':
			p.pos++
		case c == '#':
			end := strings.IndexByte(p.src[p.pos:], '\n')
			if end < 0 {
				end = len(p.src) - p.pos
			}
			p.comment = strings.TrimSpace(strings.TrimPrefix(p.src[p.pos:p.pos+end], "#"))
			p.pos += end
		default:
			return
		}
	}
}

// directive parses a name, its arguments and ';' or a block.
func (p *parser) directive() (*node, error) {
	n := &node{comment: p.comment, file: p.file, line: p.line}
	p.comment = ""
	for {
		p.space()
		if p.pos >= len(p.src) {
			return nil, fmt.Errorf("unexpected end of input in %q", n.name)
		}
		switch p.src[p.pos] {
		case ';':
			p.pos++
			return n, p.named(n)
		case '{':
			p.pos++
			if err := p.named(n); err != nil {
				return nil, err
			}
			body, err := p.list(true)
			if body == nil {
				body = []*node{}
			}
			n.block = body
			return n, err
		case '}':
			return nil, fmt.Errorf("unexpected '}' in %q", n.name)
		}
		w, err := p.word()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, w)
	}
}

// named moves the first word into the name.
func (p *parser) named(n *node) error {
	if len(n.args) == 0 {
		return fmt.Errorf("directive without a name")
	}
	n.name, n.args = n.args[0], n.args[1:]
	return nil
}

// word reads one bare or quoted word as nginx's ngx_conf_read_token
// does: a bare word ends at whitespace, ';' or '{' (but "${" inside it
// is a variable, not a block; '}' ends it only at its start); a backslash keeps the next character from
// ending the word; then \" \' \\ lose the backslash, \t \r \n become
// the control characters, and any other backslash stays.
func (p *parser) word() (string, error) {
	quote := byte(0)
	if c := p.src[p.pos]; c == '"' || c == '\'' {
		quote = c
		p.pos++
	}
	start, variable := p.pos, false
	for ; p.pos < len(p.src); p.pos++ {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			if p.src[p.pos] == '\n' {
				p.line++
			}
			variable = false
			continue
		case quote != 0 && c == quote:
			w := unescape(p.src[start:p.pos])
			p.pos++
			return w, nil
		case quote == 0 && c == '{' && variable:
		case quote == 0 && strings.IndexByte(" \t\r\n;{", c) >= 0:
			return unescape(p.src[start:p.pos]), nil
		}
		if c == '\n' {
			p.line++
		}
		variable = c == '$'
	}
	if quote != 0 {
		return "", fmt.Errorf("unterminated string")
	}
	return unescape(p.src[start:p.pos]), nil
}

// unescape applies nginx's escapes to a word's raw text.
func unescape(raw string) string {
	if !strings.Contains(raw, "\\") {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}
