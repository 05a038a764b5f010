package load

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/rampart-policy/rampart/baselines"
)

// Control is a compliance control a baseline constraint evidences, read
// from an @control(baseline, id, title) attribute in the baseline's CUE.
type Control struct {
	Baseline string
	ID       string
	Title    string
	// Requires is the constraint's CUE text when it fits on one line
	// ("false", ">=\"1.2\"", "<=360000"), for messages.
	Requires string
}

// String returns "baseline id".
func (c Control) String() string { return c.Baseline + " " + c.ID }

// Describe returns the control in plain words.
func (c Control) Describe() string {
	return fmt.Sprintf("baseline %s control %s (%s)", c.Baseline, c.ID, c.Title)
}

// ControlIndex finds the control a line of a baseline file belongs to.
type ControlIndex struct {
	byLine map[string]map[int]Control // display file name → line → control
	all    []Control
}

// NewControlIndex parses the embedded baselines' @control attributes.
func NewControlIndex() (*ControlIndex, error) {
	idx := &ControlIndex{byLine: map[string]map[int]Control{}}
	err := fs.WalkDir(baselines.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".cue" {
			return err
		}
		data, err := fs.ReadFile(baselines.Files, p)
		if err != nil {
			return err
		}
		name := "rampart.dev/baselines/" + p
		f, err := parser.ParseFile(name, data, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("embedded baseline %s: %w", name, err)
		}
		return idx.addFile(name, f)
	})
	return idx, err
}

// addFile records every field carrying @control, for each line it spans.
// Inner fields are visited after outer ones, so the innermost control wins.
func (idx *ControlIndex) addFile(name string, f *ast.File) error {
	lines := map[int]Control{}
	var err error
	ast.Walk(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok {
			return true
		}
		for _, a := range field.Attrs {
			if !strings.HasPrefix(a.Text, "@control(") {
				continue
			}
			c, perr := parseControl(a.Text)
			if perr != nil {
				err = fmt.Errorf("%s:%d: %w", name, a.Pos().Line(), perr)
				return false
			}
			if b, ferr := format.Node(field.Value); ferr == nil && !strings.Contains(string(b), "\n") && len(b) <= 80 {
				c.Requires = string(b)
			}
			idx.all = append(idx.all, c)
			for l := field.Pos().Line(); l <= field.End().Line(); l++ {
				lines[l] = c
			}
		}
		return true
	}, nil)
	idx.byLine[name] = lines
	return err
}

// parseControl parses @control("baseline", "id", "title").
func parseControl(text string) (Control, error) {
	body := strings.TrimSuffix(strings.TrimPrefix(text, "@control("), ")")
	var parts []string
	for body = strings.TrimSpace(body); body != ""; {
		q, err := strconv.QuotedPrefix(body)
		if err != nil {
			return Control{}, fmt.Errorf("bad @control attribute %s: want three quoted strings", text)
		}
		s, _ := strconv.Unquote(q)
		parts = append(parts, s)
		body = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(body[len(q):]), ","))
	}
	if len(parts) != 3 {
		return Control{}, fmt.Errorf("bad @control attribute %s: want baseline, id, title", text)
	}
	return Control{Baseline: parts[0], ID: parts[1], Title: parts[2]}, nil
}

// At returns the control recorded for a baseline file's line.
func (idx *ControlIndex) At(file string, line int) (Control, bool) {
	c, ok := idx.byLine[file][line]
	return c, ok
}

// All returns every control attribute, in file order.
func (idx *ControlIndex) All() []Control { return idx.all }
