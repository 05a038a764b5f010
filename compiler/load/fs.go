package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-policy/rampart/baselines"
	"github.com/rampart-policy/rampart/schema"
)

// vendorDir is where the embedded packages appear inside the module.
const vendorDir = "cue.mod/pkg/rampart.dev"

// implicitFile is the file rampart adds to the policy package so that the
// package's top level is always unified with #Policy.
const implicitFile = "zz_rampart_implicit_schema.cue"

// sourceFS is what a policy is loaded from: the user's module on disk,
// with the embedded schema and baselines (and rampart's implicit file)
// overlaid at absolute paths inside it.
type sourceFS struct {
	overlay map[string][]byte // absolute host path → content
	root    string            // absolute host path of the module root
	dir     string            // absolute host path of the policy package
	stale   []string          // vendored rampart.dev files the binary does not ship
	wd      string            // working directory, for display names
}

// newSourceFS finds the module containing dir and prepares the overlay of
// the embedded schema and baselines.
func newSourceFS(dir string) (*sourceFS, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(absDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such policy directory", dir)
	}
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: PATH is a policy directory", dir)
	}
	root, hasModule := findModuleRoot(absDir)
	wd, _ := os.Getwd()
	s := &sourceFS{overlay: map[string][]byte{}, root: root, dir: absDir, wd: wd}
	if !hasModule {
		s.overlay[filepath.Join(root, "cue.mod", "module.cue")] = []byte("module: \"policy.local\"\nlanguage: version: \"v0.13.0\"\n")
	}
	if err := s.addEmbedded(schema.Files, "schema"); err != nil {
		return nil, err
	}
	if err := s.addEmbedded(baselines.Files, "baselines"); err != nil {
		return nil, err
	}
	s.stale = s.staleVendored()
	return s, nil
}

// findModuleRoot walks up from dir to the nearest directory with a
// cue.mod/module.cue. Without one, dir itself is the root.
func findModuleRoot(dir string) (string, bool) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "cue.mod", "module.cue")); err == nil {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, false
		}
		d = parent
	}
}

// addEmbedded overlays an embedded tree at cue.mod/pkg/rampart.dev/<prefix>.
func (s *sourceFS) addEmbedded(src fs.FS, prefix string) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		s.overlay[filepath.Join(s.root, filepath.FromSlash(vendorDir), prefix, filepath.FromSlash(p))] = data
		return nil
	})
}

// staleVendored lists .cue files under the module's
// cue.mod/pkg/rampart.dev that rampart does not embed. They would be
// unified with the embedded packages, so loading refuses them.
func (s *sourceFS) staleVendored() []string {
	var out []string
	base := filepath.Join(s.root, filepath.FromSlash(vendorDir))
	filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cue") {
			if _, ok := s.overlay[p]; !ok {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// display maps a host path to the name shown in diagnostics: embedded
// files as "rampart.dev/...", the user's files relative to the working
// directory.
func (s *sourceFS) display(p string) string {
	if rel, err := filepath.Rel(filepath.Join(s.root, filepath.FromSlash(vendorDir)), p); err == nil && !strings.HasPrefix(rel, "..") {
		return "rampart.dev/" + filepath.ToSlash(rel)
	}
	if filepath.Base(p) == implicitFile {
		return implicitName
	}
	return relativeTo(s.wd, p)
}

// implicitName is the display name of rampart's implicit file.
const implicitName = "rampart.dev/schema (implicit)"

// isEmbedded reports whether a display name is one of rampart's own files.
func isEmbedded(name string) bool { return strings.HasPrefix(name, "rampart.dev/") }

// displayName shows abs relative to the working directory when it lies
// below it, as the Go tools do.
func displayName(abs string) string {
	wd, _ := os.Getwd()
	return relativeTo(wd, abs)
}

// relativeTo shows abs relative to wd when it lies below it.
func relativeTo(wd, abs string) string {
	if wd == "" {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return abs
	}
	return rel
}
