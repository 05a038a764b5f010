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
}

func newConverter(c *ControlIndex, files []*ast.File, display func(string) string) *converter {
	return &converter{controls: c, embeds: embedPositions(files), display: display}
}

// convert maps every CUE error in err to a diagnostic. fallback is the
// code for errors no more specific code fits.
func (c *converter) convert(err error, fallback string) diag.List {
	var all diag.List
	for _, e := range cueerrors.Errors(err) {
		all.Add(c.one(e, fallback))
	}
	return collapse(all).Sort()
}

// collapse merges the errors CUE reports for one path: a disjunction that
// fails yields one error per alternative plus a summary. A baseline
// violation wins over schema noise; otherwise the alternatives are folded
// into one message.
func collapse(all diag.List) diag.List {
	var order []string
	groups := map[string]diag.List{}
	for _, d := range all {
		if _, ok := groups[d.Path]; !ok {
			order = append(order, d.Path)
		}
		groups[d.Path] = append(groups[d.Path], d)
	}
	var out diag.List
	for _, p := range order {
		out = append(out, collapseGroup(groups[p])...)
	}
	return dropLoneSummaries(out)
}

// dropLoneSummaries removes "N errors in empty disjunction" diagnostics
// when another diagnostic about a sibling or child explains the failure
// (typically a baseline pinning a field the disjunction depends on); a
// summary left on its own gets a plain message.
func dropLoneSummaries(l diag.List) diag.List {
	var out diag.List
	for i, d := range l {
		if !strings.Contains(d.Detail, "errors in empty disjunction") {
			out = append(out, d)
			continue
		}
		parent := parentPath(d.Path)
		explained := false
		for j, o := range l {
			if j != i && !strings.Contains(o.Detail, "errors in empty disjunction") && strings.HasPrefix(o.Path, parent) {
				explained = true
			}
		}
		if !explained {
			d.Message = fmt.Sprintf("%s: the value matches none of the allowed alternatives", orRoot(d.Path))
			out = append(out, d)
		}
	}
	return out
}

func collapseGroup(g diag.List) diag.List {
	if len(g) == 1 || g[0].Path == "" {
		return g
	}
	var baseline, alts, rest diag.List
	for _, d := range g {
		switch {
		case d.Code == diag.CodeBaseline:
			baseline = append(baseline, d)
		case strings.Contains(d.Detail, "errors in empty disjunction"):
			// summary line: the alternatives below say it better
		case strings.Contains(d.Detail, "conflicting values"):
			alts = append(alts, d)
		default:
			rest = append(rest, d)
		}
	}
	if len(baseline) > 0 {
		return baseline[:1]
	}
	if len(alts) > 1 {
		d := alts[0]
		var allowed []string
		var got string
		for _, a := range alts {
			if x, y, ok := conflictPair(a.Detail); ok {
				allowed = append(allowed, x)
				got = y
			}
		}
		if got != "" {
			d.Message = fmt.Sprintf("%s: %s is not allowed here; allowed: %s", d.Path, got, strings.Join(allowed, ", "))
		}
		d.Related = nil
		return append(diag.List{d}, rest...)
	}
	return append(alts, rest...)
}

// conflictPair extracts A and B from "conflicting values A and B".
func conflictPair(detail string) (string, string, bool) {
	_, after, ok := strings.Cut(detail, "conflicting values ")
	if !ok {
		return "", "", false
	}
	after, _, _ = strings.Cut(after, " (mismatched")
	a, b, ok := strings.Cut(after, " and ")
	return a, strings.TrimSuffix(b, ":"), ok
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
		}
	}
	for _, pos := range positions {
		if ctl, ok := c.controls.At(pos.Filename(), pos.Line()); ok {
			d.Code = diag.CodeBaseline
			d.Control = ctl.String()
			d.Related = append(d.Related, diag.Related{Pos: toPos(pos), Message: "baseline " + ctl.Baseline + " requires this"})
			d.Message = fmt.Sprintf("%s weakens %s: %s", orRoot(p), ctl.Describe(), plainMessage(msg))
			if strings.Contains(msg, "field is required but not present") {
				d.Message = fmt.Sprintf("%s: %s is required by %s, and the policy does not set it", orRoot(parentPath(p)), lastField(p), ctl.Describe())
			}
			return d
		}
	}
	d.Code, d.Message = classify(fallback, p, msg)
	for _, pos := range positions {
		if name := pos.Filename(); isEmbedded(name) && name != implicitName {
			d.Related = append(d.Related, diag.Related{Pos: toPos(pos), Message: "schema constraint"})
			break
		}
	}
	return d
}

// classify picks a code and a plain message for a schema error.
func classify(fallback, p, msg string) (string, string) {
	field := p
	if i := strings.LastIndex(p, "."); i >= 0 {
		field = p[i+1:]
	}
	switch {
	case strings.HasSuffix(msg, "field not allowed"):
		return diag.CodeUnknownField, fmt.Sprintf("%s: unknown field %q: the schema has no such setting here (check the spelling, or `rampart explain %s`)", orRoot(parentPath(p)), field, diag.CodeUnknownField)
	case strings.Contains(msg, "field is required but not present"):
		return diag.CodeMissingField, fmt.Sprintf("%s: required field %q is missing", orRoot(parentPath(p)), field)
	case strings.HasPrefix(msg, "incomplete value"), strings.Contains(msg, "non-concrete value"):
		return diag.CodeMissingField, fmt.Sprintf("%s: no concrete value given (%s)", orRoot(p), plainMessage(msg))
	case fallback == diag.CodeLoad:
		return fallback, msg
	}
	return diag.CodeConflict, fmt.Sprintf("%s: %s", orRoot(p), plainMessage(msg))
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
