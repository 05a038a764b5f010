package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// Result is a loaded, evaluated and validated policy.
type Result struct {
	// Value is the policy's root value, unified with #Policy.
	Value cue.Value
	// Package is the policy's CUE package name.
	Package string
	// Files are the user's files that make up the package, by display name.
	Files []string
	// Sources maps each of the user's files, by path relative to the
	// policy directory, to its content, for digests and reports.
	Sources map[string][]byte
	// Controls is the index of baseline controls by file and line.
	Controls *ControlIndex

	display   func(string) string
	positions positions
}

// Load reads the policy package in dir, evaluates it with a fresh CUE
// context and validates it concretely. Problems in the policy come back as
// diagnostics; err is for failures that are not the policy's fault.
func Load(ctx context.Context, dir string) (*Result, diag.List, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	src, err := newSourceFS(dir)
	if err != nil {
		return nil, nil, err
	}
	controls, err := NewControlIndex()
	if err != nil {
		return nil, nil, err
	}
	pkg, diags := packageName(src)
	if diags.HasErrors() {
		return nil, diags, nil
	}
	for _, f := range src.stale {
		diags.Errorf(diag.Pos{File: displayName(f)}, diag.CodeLoad, "",
			"%s is not part of rampart's embedded schema or baselines; remove it (rampart always uses its own copy, so a vendored file can only confuse)", displayName(f))
	}
	if diags.HasErrors() {
		return nil, diags, nil
	}
	src.overlay[filepath.Join(src.dir, implicitFile)] = implicitSource(pkg)
	cfg := &load.Config{
		Dir:        src.dir,
		ModuleRoot: src.root,
		Package:    pkg,
		Overlay:    map[string]load.Source{},
		Env:        []string{"CUE_REGISTRY=none"},
	}
	for p, data := range src.overlay {
		cfg.Overlay[p] = load.FromBytes(data)
	}
	insts := load.Instances([]string{"."}, cfg)
	if len(insts) != 1 {
		return nil, nil, fmt.Errorf("loading %s: expected one CUE package, got %d", dir, len(insts))
	}
	inst := insts[0]
	defs, err := newDefIndex()
	if err != nil {
		return nil, nil, err
	}
	conv := newConverter(controls, defs, inst.Files, src.display)
	if inst.Err != nil {
		return nil, conv.convert(inst.Err, diag.CodeLoad), nil
	}
	res := &Result{Package: pkg, Controls: controls, Sources: map[string][]byte{}, display: src.display}
	for _, f := range inst.Files {
		name := src.display(f.Filename)
		if isEmbedded(name) {
			continue
		}
		data, err := os.ReadFile(f.Filename)
		if err != nil {
			return nil, nil, err
		}
		res.Files = append(res.Files, name)
		rel, err := filepath.Rel(src.dir, f.Filename)
		if err != nil {
			rel = f.Filename
		}
		res.Sources[filepath.ToSlash(rel)] = data
	}
	slices.Sort(res.Files)
	res.positions = indexPositions(inst.Files, src.display)
	v := cuecontext.New().BuildInstance(inst)
	conv.value = &v
	if err := v.Validate(cue.Concrete(true), cue.Final()); err != nil {
		return nil, conv.convert(err, diag.CodeSchema), nil
	}
	res.Value = v
	return res, nil, nil
}

// UserPos returns where the user's files declare the field at path.
func (r *Result) UserPos(p cue.Path) (diag.Pos, bool) { return r.positions.Lookup(p) }

// Display maps a CUE position's file name to the name diagnostics show.
func (r *Result) Display(file string) string { return r.display(file) }

// implicitSource is the file that embeds #Policy in the user's package.
func implicitSource(pkg string) []byte {
	return []byte("package " + pkg + "\n\nimport rampartschema \"rampart.dev/schema\"\n\nrampartschema.#Policy\n")
}

// packageName finds the single package of the policy directory's files.
func packageName(src *sourceFS) (string, diag.List) {
	var names []string
	var diags diag.List
	entries, _ := os.ReadDir(src.dir)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		p := filepath.Join(src.dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		af, err := parser.ParseFile(p, data, parser.PackageClauseOnly)
		if err != nil {
			continue // reported with full detail by the loader
		}
		if n := af.PackageName(); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	switch len(names) {
	case 0:
		diags.Errorf(diag.Pos{File: displayName(src.dir)}, diag.CodeLoad, "",
			"no CUE package found in %s: a policy directory holds .cue files that start with a package clause", displayName(src.dir))
		return "", diags
	case 1:
		return names[0], nil
	}
	diags.Errorf(diag.Pos{File: displayName(src.dir)}, diag.CodeLoad, "",
		"policy directory %s holds several CUE packages (%s): keep one policy package per directory", displayName(src.dir), strings.Join(names, ", "))
	return "", diags
}

// embedPositions returns the positions of top-level embeddings in the
// user's files (such as "hipaa.#Policy"). CUE lists them among an error's
// inputs, but they are never the value the user got wrong.
func embedPositions(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			if e, ok := d.(*ast.EmbedDecl); ok {
				p := e.Pos()
				out[fmt.Sprintf("%s:%d", p.Filename(), p.Line())] = true
				out[fmt.Sprintf("%s:%d", displayName(p.Filename()), p.Line())] = true
			}
		}
	}
	return out
}
