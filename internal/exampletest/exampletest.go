// Package exampletest lists the example policies shipped in examples/, for
// tests that compile every one of them. A folder there is a policy when it
// holds .cue files; examples/ci, for instance, holds CI set-up instead.
package exampletest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/internal/reporoot"
)

// Min is how many example policies the repository ships at least; Dirs
// fails below it, so a broken glob cannot make the tests vacuous.
const Min = 3

// Dirs returns the example policy directories, sorted, relative to the
// calling test's package directory (found by walking up to go.mod).
func Dirs(t testing.TB) []string {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatalf("reading examples/: %v", err)
	}
	wd, _ := os.Getwd()
	var dirs []string
	for _, e := range entries {
		d := filepath.Join(root, "examples", e.Name())
		if cue, _ := filepath.Glob(filepath.Join(d, "*.cue")); !e.IsDir() || len(cue) == 0 {
			continue
		}
		if rel, err := filepath.Rel(wd, d); err == nil {
			d = rel
		}
		dirs = append(dirs, d)
	}
	if len(dirs) < Min {
		t.Fatalf("want at least %d example policies in %s/examples, found %v", Min, root, dirs)
	}
	return dirs
}
