// Package reference finds the published reference data (Kong's schemas,
// Mozilla's TLS guidelines, OSCAL, SARIF, the compliance catalogue) that
// tests check rampart's output against. The data lives outside the
// repository, in ../shared/reference beside the checkout, and is read in
// place, never copied.
package reference

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-policy/rampart/internal/reporoot"
)

// Env overrides where the reference data is.
const Env = "RAMPART_REFERENCE"

// Dir returns the reference directory: $RAMPART_REFERENCE, or
// ../shared/reference beside the repository's root. Where it is absent (a
// user's own clone) the test is skipped with a message saying what it needs.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		root, err := reporoot.Find()
		if err != nil {
			t.Fatalf("finding the repository root: %v", err)
		}
		dir = filepath.Join(root, "..", "shared", "reference")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference data not found at %s (set %s or put shared/reference beside the checkout): %v", dir, Env, err)
	}
	return dir
}

// Path returns a file under the reference directory.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}
