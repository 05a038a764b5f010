package diag

import (
	"bytes"
	"testing"
)

// TestPrintTextPositions: a diagnostic with a position starts with it; one
// without (a target-wide report gap, say) names the tool instead of "-".
func TestPrintTextPositions(t *testing.T) {
	l := List{
		{Pos: Pos{File: "p/policy.cue", Line: 3, Col: 7}, Severity: Error, Code: "RMP300", Message: "weakens"},
		{Severity: Warning, Code: "RMP601", Message: "target cannot compile"},
	}
	var b bytes.Buffer
	if err := PrintText(&b, l, false); err != nil {
		t.Fatal(err)
	}
	want := "p/policy.cue:3:7: error RMP300: weakens\nrampart: warning RMP601: target cannot compile\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
