package lower

import (
	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/compiler/load"
)

// origin returns where the value at the given field path was set.
func (l *lowerer) origin(fields ...string) ir.Origin {
	sels := make([]cue.Selector, len(fields))
	for i, f := range fields {
		sels[i] = cue.Str(f)
	}
	return l.originPath(cue.MakePath(sels...))
}

// originPath returns where the value at path was set: the user's file
// when the user wrote it, else the baseline or schema file.
func (l *lowerer) originPath(p cue.Path) ir.Origin {
	o := ir.Origin{Path: p.String()}
	if up, ok := l.res.UserPos(p); ok {
		o.File, o.Line, o.Col = up.File, up.Line, up.Col
		if c, ok := l.res.Controls.At(o.File, o.Line); ok {
			o.Baseline = c.Baseline
		}
		return o
	}
	v := l.res.Value.LookupPath(p)
	if !v.Exists() {
		return o
	}
	pos := l.bestPos(v)
	if !pos.IsValid() {
		return o
	}
	o.File, o.Line, o.Col = l.res.Display(pos.Filename()), pos.Line(), pos.Column()
	if c, ok := l.res.Controls.At(o.File, o.Line); ok {
		o.Baseline = c.Baseline
	}
	return o
}

// bestPos prefers a position in the user's files among the value's
// conjuncts.
func (l *lowerer) bestPos(v cue.Value) token.Pos { return load.BestPos(v, l.res.Display) }

// pos converts an origin to a diagnostic position.
func pos(o ir.Origin) diag.Pos { return diag.Pos{File: o.File, Line: o.Line, Col: o.Col} }

func isEmbedded(name string) bool { return len(name) >= 12 && name[:12] == "rampart.dev/" }
