package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the transitive imports of the packages matching pattern,
// each line "pkg: dep dep …".
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-f", "{{.ImportPath}}: {{join .Deps \" \"}}", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, rest, _ := strings.Cut(line, ": ")
		m[pkg] = strings.Fields(rest)
	}
	if len(m) == 0 {
		t.Fatalf("go list %s: no packages", pattern)
	}
	return m
}

const module = "github.com/rampart-policy/rampart"

// TestImportBoundaries enforces the layering: only the loader and lowering
// see CUE; the IR, the targets (but their live/ fetchers) and the proxy do
// not; the proxy is independent of the compiler; only the CLI sees cobra.
func TestImportBoundaries(t *testing.T) {
	rules := []struct {
		pattern   string
		forbidden []string
		skip      string
	}{
		{"../../targets/...", []string{"cuelang.org/go"}, "/live"},
		{"../../compiler/ir", []string{"cuelang.org/go", module + "/targets", module + "/compiler/load"}, ""},
		{"../../proxy/...", []string{"cuelang.org/go", module + "/compiler", module + "/targets"}, ""},
		{"../../compiler/...", []string{"github.com/spf13/cobra", module + "/targets"}, ""},
	}
	for _, r := range rules {
		for pkg, ds := range deps(t, r.pattern) {
			if r.skip != "" && strings.Contains(pkg, r.skip) {
				continue
			}
			for _, d := range ds {
				for _, f := range r.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s imports %s (forbidden: %s)", pkg, d, f)
					}
				}
			}
		}
	}
}

// TestRuleCanFail makes sure the check sees real imports: the loader must
// be found importing CUE, or the rules above could never fire.
func TestRuleCanFail(t *testing.T) {
	for _, d := range deps(t, "../../compiler/load")[module+"/compiler/load"] {
		if strings.HasPrefix(d, "cuelang.org/go/cue") {
			return
		}
	}
	t.Fatal("compiler/load does not appear to import cuelang.org/go: the boundary check is blind")
}
