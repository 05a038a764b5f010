package live

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"unsafe"

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

// parseApart reads a configuration (a decK file or a GET /config
// answer) with yaml.v3, so no two plugins share a config.
func parseApart(t *testing.T, data []byte) *parsed {
	t.Helper()
	if text, ok := adminConfigText(data); ok {
		data = text
	}
	top, err := decodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := buildModel(top)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sharedConfigs counts the plugins of a configuration and their distinct
// configs.
func sharedConfigs(m *parsed) (plugins, configs int) {
	seen := map[unsafe.Pointer]bool{}
	count := func(ps map[string]plugin) {
		for _, p := range ps {
			plugins++
			seen[reflect.ValueOf(p.Config).UnsafePointer()] = true
		}
	}
	for _, r := range m.routes {
		count(r.Plugins)
	}
	for _, s := range m.services {
		count(s.Plugins)
	}
	count(m.global)
	return plugins, len(seen)
}

// TestSharedConfigs: plugins whose configs are read, normalised and
// compared once per distinct config (configCache, pluginConfig,
// pairFields) give the checks and findings, in order, of configs read
// apart, untouched, with each tamper, and with one tamper shared by
// many routes.
func TestSharedConfigs(t *testing.T) {
	dbless, _ := recorded(t)
	p := testPolicy(t)
	w, err := Expected(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	wantApart := parseApart(t, deck(t, p))
	if n, c := sharedConfigs(w.want); c*2 > n {
		t.Fatalf("the policy's %d plugins share too few configs (%d distinct): the test would not compare shared ones", n, c)
	}
	every := tamper{"every file-log writes elsewhere", func(t *testing.T, d doc) want {
		for _, p := range list(d["plugins"]) {
			if p["name"] == "file-log" {
				p["config"].(map[string]any)["path"] = "/dev/null"
			}
		}
		return want{}
	}}
	for _, tc := range append([]tamper{{"untouched", func(*testing.T, doc) want { return want{} }}, every}, tampers...) {
		d := liveDoc(t, dbless)
		tc.do(t, d)
		ans := d.answer(t)
		got, err := parseConfig(ans)
		if err != nil {
			t.Fatal(err)
		}
		shared := newComparer(p)
		shared.compare(w.want, got)
		apart := newComparer(p)
		apart.compare(wantApart, parseApart(t, ans))
		if d := cmp.Diff(apart.d.Result(), shared.d.Result()); d != "" {
			t.Fatalf("%s: shared configs compare differently (-apart +shared):\n%s", tc.name, d)
		}
	}
}

// TestKeysNotIn: the keys only one map has, in order.
func TestKeysNotIn(t *testing.T) {
	m := map[string]int{"e": 1, "b": 2, "d": 3, "a": 4, "c": 5, "f": 6}
	other := map[string]bool{"b": true, "f": false, "x": true}
	for range 20 {
		if got := keysNotIn(m, other); !slices.Equal(got, []string{"a", "c", "d", "e"}) {
			t.Fatalf("keysNotIn: %v", got)
		}
	}
	if got := keysNotIn(map[string]int{}, other); got != nil {
		t.Fatalf("keysNotIn of an empty map: %v", got)
	}
}
