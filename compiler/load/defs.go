package load

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/rampart-policy/rampart/schema"
)

// def is a schema definition with the words its doc comment gives it.
type def struct {
	name  string
	words string // "a DNS host name, optionally with one leading wildcard label"
	span  int    // lines the definition spans; smaller is more specific
}

// defIndex finds the schema definition a line of a schema file belongs
// to, so an error against "#Host" can say "want a DNS host name" rather
// than print its regular expression.
type defIndex map[string]map[int]def

// newDefIndex parses the embedded schema's top-level definitions.
func newDefIndex() (defIndex, error) {
	idx := defIndex{}
	err := fs.WalkDir(schema.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".cue" {
			return err
		}
		data, err := fs.ReadFile(schema.Files, p)
		if err != nil {
			return err
		}
		name := "rampart.dev/schema/" + p
		f, err := parser.ParseFile(name, data, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("embedded schema %s: %w", name, err)
		}
		idx[name] = defLines(f)
		return nil
	})
	return idx, err
}

// defLines maps each line of a file's documented top-level definitions.
func defLines(f *ast.File) map[int]def {
	lines := map[int]def{}
	for _, decl := range f.Decls {
		field, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		label, _, _ := ast.LabelName(field.Label)
		if !strings.HasPrefix(label, "#") {
			continue
		}
		words := docWords(label, ast.Comments(field))
		if words == "" {
			continue
		}
		start, end := field.Pos().Line(), field.End().Line()
		for l := start; l <= end; l++ {
			lines[l] = def{name: label, words: words, span: end - start}
		}
	}
	return lines
}

// docWords turns "#Host is a DNS host name, optionally …. More." into
// "a DNS host name, optionally …".
func docWords(label string, groups []*ast.CommentGroup) string {
	for _, g := range groups {
		if !g.Doc {
			continue
		}
		text := strings.Join(strings.Fields(g.Text()), " ")
		for _, verb := range []string{" is ", " are "} {
			if rest, ok := strings.CutPrefix(text, label+verb); ok {
				if i := strings.Index(rest, ". "); i >= 0 {
					rest = rest[:i]
				}
				return strings.TrimSuffix(rest, ".")
			}
		}
	}
	return ""
}

// at returns the most specific documented definition among positions.
func (idx defIndex) at(ps []pos) (def, bool) {
	var best def
	found := false
	for _, p := range ps {
		if d, ok := idx[p.file][p.line]; ok && (!found || d.span < best.span) {
			best, found = d, true
		}
	}
	return best, found
}
