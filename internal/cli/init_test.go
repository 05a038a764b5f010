package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitThenVet: for every baseline, `rampart init` then `rampart vet`
// passes, and init refuses to overwrite an existing policy.
func TestInitThenVet(t *testing.T) {
	ids := baselineIDs()
	if len(ids) < 7 {
		t.Fatalf("baselines = %v, want at least 7", ids)
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "team-policy")
			var out, errb bytes.Buffer
			if code := Main([]string{"init", "--baseline", id, dir}, strings.NewReader(""), &out, &errb); code != ExitOK {
				t.Fatalf("init: exit %d: %s", code, errb.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "cue.mod", "pkg", "rampart.dev", "schema", "policy.cue")); err != nil {
				t.Errorf("init did not vendor the schema for editors: %v", err)
			}
			errb.Reset()
			if code := Main([]string{"vet", dir}, strings.NewReader(""), &out, &errb); code != ExitOK {
				t.Fatalf("vet after init: exit %d:\n%s", code, errb.String())
			}
			errb.Reset()
			if code := Main([]string{"init", "--baseline", id, dir}, strings.NewReader(""), &out, &errb); code != ExitUsage {
				t.Errorf("second init: exit %d, want %d (no overwrite)", code, ExitUsage)
			}
		})
	}
}
