package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	for _, n := range []int{1, 19, 20, 21, 250} {
		a, err := Files(Options{Routes: n})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Files(Options{Routes: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("routes=%d: %d files, then %d", n, len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("routes=%d: %s differs between runs", n, a[i].Path)
			}
		}
	}
}

func TestRouteCount(t *testing.T) {
	for _, n := range []int{1, 19, 20, 21, 250, 1000} {
		files, err := Files(Options{Routes: n})
		if err != nil {
			t.Fatal(err)
		}
		routes, services := 0, 0
		for _, f := range files {
			if strings.HasPrefix(f.Path, "cue.mod/") || f.Path == "policy.cue" || f.Path == "targets.cue" {
				continue
			}
			services++
			// Every route sets path exactly once; services and
			// upstreams do not.
			routes += bytes.Count(f.Data, []byte("path:"))
		}
		if routes != n {
			t.Errorf("routes=%d: generated %d routes", n, routes)
		}
		if want := (n + RoutesPerService - 1) / RoutesPerService; services != want {
			t.Errorf("routes=%d: generated %d services, want %d", n, services, want)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, Options{Routes: 30}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"policy.cue", "cue.mod/module.cue", "cue.mod/pkg/rampart.dev/schema/policy.cue", "orders.cue", "customers.cue"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			t.Error(err)
		}
	}
	if err := Write(dir, Options{Routes: 30}); err == nil {
		t.Error("Write into a non-empty directory succeeded")
	}
	if _, err := Files(Options{Routes: 0}); err == nil {
		t.Error("Files with 0 routes succeeded")
	}
}

// TestKongWaiversFile: with KongWaivers the generated policy
// has targets.cue, without it none.
func TestKongWaiversFile(t *testing.T) {
	for _, on := range []bool{false, true} {
		files, err := Files(Options{Routes: 3, KongWaivers: on})
		if err != nil {
			t.Fatal(err)
		}
		has := false
		for _, f := range files {
			has = has || f.Path == "targets.cue"
		}
		if has != on {
			t.Errorf("KongWaivers %v: targets.cue present %v", on, has)
		}
	}
}
