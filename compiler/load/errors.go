package load

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// converter turns CUE errors into diagnostics.
type converter struct {
	controls *ControlIndex
	embeds   map[string]bool
	display  func(string) string
	value    *cue.Value // set once the instance is built
	defs     defIndex
	// firstEmbed is the first top-level embedding in the user's files.
	firstEmbed diag.Pos
}

func newConverter(c *ControlIndex, defs defIndex, files []*ast.File, display func(string) string) *converter {
	conv := &converter{controls: c, defs: defs, embeds: embedPositions(files), display: display}
	for _, f := range files {
		if name := display(f.Filename); !isEmbedded(name) {
			for _, d := range f.Decls {
				if e, ok := d.(*ast.EmbedDecl); ok && !conv.firstEmbed.IsValid() {
					conv.firstEmbed = diag.Pos{File: name, Line: e.Pos().Line(), Col: e.Pos().Column()}
				}
			}
		}
	}
	return conv
}

// convert maps every CUE error in err to a diagnostic. fallback is the
// code for errors no more specific code fits.
func (c *converter) convert(err error, fallback string) diag.List {
	var all diag.List
	for _, e := range cueerrors.Errors(err) {
		all.Add(hideSecret(c.one(e, fallback)))
	}
	return collapse(all).Sort()
}

// secretFields are the schema's #SecretRef fields.
var secretFields = []string{"clientSecret", "keyRef", "passwordRef"}

// hideSecret keeps the value of a secret field out of a diagnostic: a
// value that is not a valid reference is most likely the secret itself,
// and diagnostics end up in CI logs, SARIF uploads and PR annotations.
// The message says what is wrong without the value; the raw CUE detail,
// which quotes it, is dropped.
func hideSecret(d diag.Diagnostic) diag.Diagnostic {
	if !slices.Contains(secretFields, lastField(d.Path)) || d.Code == diag.CodeMissingField || d.Code == diag.CodeUnknownField {
		return d
	}
	d.Code = diag.CodeLiteralSecret
	d.Message = fmt.Sprintf("%s is not a valid secret reference and may be a literal secret (its value is not shown): "+
		"give a reference (\"env:NAME\", \"file:/path\" or \"vault:mount/path#key\"), never the secret itself", d.Path)
	d.Detail = ""
	return d
}

// one converts a single CUE error.
func (c *converter) one(e cueerrors.Error, fallback string) diag.Diagnostic {
	format, args := e.Msg()
	msg := fmt.Sprintf(format, args...)
	p := strings.Join(e.Path(), ".")
	d := diag.Diagnostic{Severity: diag.Error, Code: fallback, Path: p, Detail: e.Error()}
	positions := c.allPositions(e)
	d.Pos = c.userPos(positions)
	if (!d.Pos.IsValid() || isEmbedded(d.Pos.File)) && c.value != nil {
		if p, ok := c.pathPos(e.Path()); ok {
			d.Pos = p
		} else if p, ok := c.embedPos(); ok {
			d.Pos = p
		}
	}
	for _, pos := range positions {
		if ctl, ok := c.controls.At(pos.Filename(), pos.Line()); ok {
			d.Code = diag.CodeBaseline
			d.Control = ctl.String()
			d.Related = append(d.Related, diag.Related{Pos: toPos(pos), Message: "baseline " + ctl.Baseline + " requires this"})
			d.Message = c.baselineMessage(p, msg, ctl)
			return d
		}
	}
	d.Code, d.Message = c.classify(fallback, p, msg, e, positions)
	for _, pos := range positions {
		if name := pos.Filename(); isEmbedded(name) && name != implicitName {
			d.Related = append(d.Related, diag.Related{Pos: toPos(pos), Message: "schema constraint"})
			break
		}
	}
	return d
}

// embedPos is the first top-level embedding in the user's files (such as
// "hipaa.#Policy"): where a requirement of the whole policy comes from.
func (c *converter) embedPos() (diag.Pos, bool) {
	if c.firstEmbed.IsValid() {
		return c.firstEmbed, true
	}
	return diag.Pos{}, false
}

// plainMessage trims CUE's wording that means nothing to a policy author.
func plainMessage(msg string) string {
	msg = strings.TrimPrefix(msg, "invalid value ")
	return msg
}

func lastField(p string) string {
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[i+1:]
	}
	return p
}

func parentPath(p string) string {
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}

func orRoot(p string) string {
	if p == "" {
		return "policy"
	}
	return p
}

// pos is a CUE position with its display file name.
type pos struct {
	file      string
	line, col int
	offset    int
}

func (p pos) Filename() string { return p.file }
func (p pos) Line() int        { return p.line }

// allPositions returns the error's positions, primary first, without
// duplicates, with display file names.
func (c *converter) allPositions(e cueerrors.Error) []pos {
	var out []pos
	seen := map[string]bool{}
	for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
		if !p.IsValid() {
			continue
		}
		k := p.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, pos{file: c.display(p.Filename()), line: p.Line(), col: p.Column(), offset: p.Offset()})
		}
	}
	return out
}

// userPos picks the position in the user's own files that best explains
// the error: not a top-level embedding, and the latest such position (the
// most specific value). Without one, the first position is used.
func (c *converter) userPos(ps []pos) diag.Pos {
	var user []pos
	for _, p := range ps {
		if isEmbedded(p.Filename()) {
			continue
		}
		if c.embeds[fmt.Sprintf("%s:%d", p.Filename(), p.Line())] {
			continue
		}
		user = append(user, p)
	}
	if len(user) == 0 {
		for _, p := range ps {
			if !isEmbedded(p.Filename()) {
				return toPos(p)
			}
		}
		if len(ps) > 0 {
			return toPos(ps[0])
		}
		return diag.Pos{}
	}
	slices.SortFunc(user, func(a, b pos) int {
		if a.file != b.file {
			return strings.Compare(a.file, b.file)
		}
		return a.offset - b.offset
	})
	return toPos(user[len(user)-1])
}

// pathPos finds the user's position of the deepest existing value along
// path, for errors whose positions are all in the schema.
func (c *converter) pathPos(path []string) (diag.Pos, bool) {
	for n := len(path); n > 0; n-- {
		sels := make([]cue.Selector, n)
		for i, f := range path[:n] {
			sels[i] = cue.Str(f)
		}
		v := c.value.LookupPath(cue.MakePath(sels...))
		if !v.Exists() {
			continue
		}
		if tp := BestPos(v, c.display); tp.IsValid() {
			if name := c.display(tp.Filename()); !isEmbedded(name) {
				return diag.Pos{File: name, Line: tp.Line(), Col: tp.Column()}, true
			}
		}
	}
	return diag.Pos{}, false
}

// BestPos returns the position of v, preferring a conjunct written in the
// user's files over one from the schema or a baseline. display maps CUE
// file names to display names.
func BestPos(v cue.Value, display func(string) string) token.Pos {
	first := v.Pos()
	if first.IsValid() && !isEmbedded(display(first.Filename())) {
		return first
	}
	op, parts := v.Expr()
	if op != cue.AndOp {
		return first
	}
	for _, p := range parts {
		if pos := BestPos(p, display); pos.IsValid() && !isEmbedded(display(pos.Filename())) {
			return pos
		}
	}
	return first
}

func toPos(p pos) diag.Pos {
	return diag.Pos{File: p.file, Line: p.line, Col: p.col}
}
