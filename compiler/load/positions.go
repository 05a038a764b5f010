package load

import (
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// positions indexes where the user's files declare each field path, read
// once from the syntax trees. Asking CUE for a value's position through
// its conjuncts re-evaluates them, which costs as much as evaluation
// itself on large policies; the index answers the common case directly.
type positions map[string]diag.Pos

// indexPositions walks the user's files: nested structs, "a: b: c:"
// shorthand and list elements. The first declaration of a path, in file
// order, wins.
func indexPositions(files []*ast.File, display func(string) string) positions {
	idx := positions{}
	for _, f := range files {
		name := display(f.Filename)
		if isEmbedded(name) {
			continue
		}
		idx.decls(f.Decls, "", name)
	}
	return idx
}

func (idx positions) decls(decls []ast.Decl, prefix, file string) {
	for _, d := range decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		label, _, err := ast.LabelName(field.Label)
		if err != nil {
			continue
		}
		key := prefix + label
		if _, seen := idx[key]; !seen {
			p := field.Value.Pos()
			idx[key] = diag.Pos{File: file, Line: p.Line(), Col: p.Column()}
		}
		idx.value(field.Value, key+"\x00", file)
	}
}

func (idx positions) value(v ast.Expr, prefix, file string) {
	switch x := v.(type) {
	case *ast.StructLit:
		idx.decls(x.Elts, prefix, file)
	case *ast.ListLit:
		for i, e := range x.Elts {
			key := prefix + strconv.Itoa(i)
			if _, seen := idx[key]; !seen {
				p := e.Pos()
				idx[key] = diag.Pos{File: file, Line: p.Line(), Col: p.Column()}
			}
			idx.value(e, key+"\x00", file)
		}
	case *ast.BinaryExpr: // a & {...}
		idx.value(x.X, prefix, file)
		idx.value(x.Y, prefix, file)
	}
}

// Lookup returns where the user's files declare path, if they do.
func (idx positions) Lookup(p cue.Path) (diag.Pos, bool) {
	var b strings.Builder
	for i, sel := range p.Selectors() {
		if i > 0 {
			b.WriteByte(0)
		}
		switch {
		case sel.LabelType() == cue.IndexLabel:
			b.WriteString(strconv.Itoa(sel.Index()))
		case sel.IsString():
			b.WriteString(sel.Unquoted())
		default:
			b.WriteString(sel.String())
		}
	}
	pos, ok := idx[b.String()]
	return pos, ok
}
