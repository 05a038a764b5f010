package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/internal/exampletest"
	"github.com/rampart-policy/rampart/internal/gen"
)

// TestExamples vets every shipped example (no errors), builds it for every
// target twice into different directories, and requires byte-identical
// artifacts — what `make demo` does, checked.
func TestExamples(t *testing.T) {
	for _, ex := range exampletest.Dirs(t) {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main([]string{"vet", ex}, strings.NewReader(""), &out, &errb); code != ExitOK {
				t.Fatalf("vet %s: exit %d\n%s", ex, code, errb.String())
			}
			a, b := t.TempDir(), t.TempDir()
			for _, dir := range []string{a, b} {
				errb.Reset()
				if code := Main([]string{"build", "--target", "all", "-o", dir, ex}, strings.NewReader(""), &out, &errb); code != ExitOK {
					t.Fatalf("build %s: exit %d\n%s", ex, code, errb.String())
				}
			}
			compareTrees(t, a, b)
		})
	}
}

// compareTrees requires two output trees to hold the same files, byte for byte.
func compareTrees(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds", rel)
		}
		n++
		return nil
	})
	if n == 0 {
		t.Error("build wrote no artifacts")
	}
}

// TestGeneratedPolicyBuildsEveryTarget: what rampart-gen writes (and
// make bench-compile builds) compiles for every target.
func TestGeneratedPolicyBuildsEveryTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policy")
	if err := gen.Write(dir, gen.Options{Routes: 45, KongWaivers: true}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"build", "--target", "all", "-o", t.TempDir(), dir}, strings.NewReader(""), &out, &errb); code != ExitOK {
		t.Fatalf("build --target all: exit %d\n%s", code, errb.String())
	}
}
