package live

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameInParts fails unless decodeBlockParallel, cutting data into parts
// of partSize bytes, reads what decodeBlockSerial reads, or gives up
// where it gives up. must says the parts must be read (no giving up).
func sameInParts(t *testing.T, name string, data []byte, partSize int, must bool) {
	t.Helper()
	serial, sok := decodeBlockSerial(data)
	par, pok := decodeBlockParallel(data, 3, partSize)
	switch {
	case pok && !sok:
		t.Fatalf("%s (parts of %d): read in parts, given up on in one piece", name, partSize)
	case !pok && must:
		t.Fatalf("%s (parts of %d): the parallel decoder gave up", name, partSize)
	case pok:
		if d := cmp.Diff(serial, par, cmpopts.EquateNaNs()); d != "" {
			t.Fatalf("%s (parts of %d): parts differ from one piece (-serial +parallel):\n%s", name, partSize, d)
		}
	}
}

// TestBlockParallelMatchesSerial holds the parallel block decoder to the
// serial one on the recorded answers in both writers' layouts (yaml.v3
// indents a sequence under its key, lyaml does not), cut into parts of
// every size from one entry to the whole member.
func TestBlockParallelMatchesSerial(t *testing.T) {
	for name, data := range recordedYAML(t) {
		for _, size := range []int{1, 100, 1000, 10000, len(data)} {
			sameInParts(t, name, data, size, true)
		}
	}
}

// TestBlockParallelGivesUp: what the serial decoder gives up on, the
// parallel one does too, wherever the parts are cut.
func TestBlockParallelGivesUp(t *testing.T) {
	for _, in := range []string{
		"a:\n- x\n- y\nb:\n  - z\n- w\n", "a:\n  - x\n - y\n", "a:\n  - x\n  y\n", "a:\n- x\na:\n- y\n",
		"  a: 1\nb: 2\n", "a:\n- x\n---\nb: 1\n", "a:\n- x\n\t- y\n", "a:\n    - x\n  - y\n",
		"a:\n- b: 1\n  b: 2\n", "a:\n- x\n-y\n", "a: 1\n- x\n", "a:\n- x\n-\n  - y\n  -z: 1\n",
	} {
		for size := 1; size < len(in)+2; size++ {
			sameInParts(t, fmt.Sprintf("%q", in), []byte(in), size, false)
		}
	}
}
