package sarif

import (
	"path/filepath"
	"testing"
)

// TestArtifact names files the way code scanning resolves them: relative
// under %SRCROOT% inside the root, an absolute file:// URI outside it,
// embedded module files as they are, special characters percent-encoded.
func TestArtifact(t *testing.T) {
	root := t.TempDir()
	abs := func(p string) string { return filepath.ToSlash(filepath.Join(root, p)) }
	for _, c := range []struct {
		file, root string
		want       ArtifactLocation
	}{
		{abs("policy/policy.cue"), root, ArtifactLocation{URI: "policy/policy.cue", URIBaseID: SrcRoot}},
		{abs("a b#c.cue"), root, ArtifactLocation{URI: "a%20b%23c.cue", URIBaseID: SrcRoot}},
		{abs("x.cue"), filepath.Join(root, "sub"), ArtifactLocation{URI: "file://" + abs("x.cue")}},
		{"rampart.dev/baselines/hipaa/tls.cue", root, ArtifactLocation{URI: "rampart.dev/baselines/hipaa/tls.cue"}},
		{"policy.cue", "", ArtifactLocation{URI: "policy.cue", URIBaseID: SrcRoot}},
	} {
		if got := Artifact(c.file, c.root); got != c.want {
			t.Errorf("Artifact(%q, %q) = %+v, want %+v", c.file, c.root, got, c.want)
		}
	}
}
