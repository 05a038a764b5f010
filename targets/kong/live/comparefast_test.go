package live

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFastPathsAgree: where a fast path answers "equal", the full
// comparison finds the two sides equal too.
func TestFastPathsAgree(t *testing.T) {
	values := []any{nil, "", "a", "1", "true", true, false, float64(1), float64(-1), float64(-2), float64(1.5),
		[]any{}, []any{"a"}, []any{"a", "b"}, []any{"b", "a"}, []any{"a", "a"}, []any{float64(1)}, []any{"1"},
		map[string]any{}, map[string]any{"a": "1"}, map[string]any{"a": float64(1)}, map[string]any{"a": nil},
		map[string]any{"a=b": "c"}, map[string]any{"a": "b=c"}, map[string]any{"a": "1", "b": true}}
	for _, a := range values {
		for _, b := range values {
			if sameScalar(a, b) && text(a) != text(b) {
				t.Errorf("sameScalar(%#v, %#v) but texts %q, %q", a, b, text(a), text(b))
			}
			if sameList(a, b) && !sameSet(strs(a), strs(b)) {
				t.Errorf("sameList(%#v, %#v) but the sets differ", a, b)
			}
			if sameMapping(a, b) && !sameSet(pairs(a), pairs(b)) {
				t.Errorf("sameMapping(%#v, %#v) but the pairs differ", a, b)
			}
		}
	}
}

// TestRoutesInParts: the policy's routes compared in runs on several
// goroutines give the checks and findings, in order, of one run.
func TestRoutesInParts(t *testing.T) {
	dbless, _ := recorded(t)
	w, err := Expected(context.Background(), testPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tampers {
		d := liveDoc(t, dbless)
		tc.do(t, d)
		got, err := parseConfig(d.answer(t))
		if err != nil {
			t.Fatal(err)
		}
		one := newComparer(w.p)
		one.allRoutesIn(w.want, got, 1)
		for _, runs := range []int{2, 3, 7, 1000} {
			parts := newComparer(w.p)
			parts.allRoutesIn(w.want, got, runs)
			if d := cmp.Diff(one.d.Result(), parts.d.Result()); d != "" {
				t.Fatalf("%s: %d runs differ from one (-one +runs):\n%s", tc.name, runs, d)
			}
		}
	}
}
