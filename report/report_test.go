package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/nginx"
)

var update = flag.Bool("update", os.Getenv("RAMPART_UPDATE") == "1", "rewrite goldens; deletes stale ones")

// today pins the date waivers are checked against.
var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// examples maps each example policy to the framework its goldens use.
var examples = map[string]string{
	"hospital-records": "hipaa",
	"eu-saas":          "gdpr",
	"payments-api":     "pci-dss-4",
}

// goldenTargets are the targets the goldens are built with: a fixed list,
// so that goldens do not change when a new target joins targets.All().
func goldenTargets() []targets.Target { return []targets.Target{goproxy.New(), nginx.New()} }

var (
	compiled   = map[string]*ir.Policy{}
	compiledMu sync.Mutex
)

// compileExample compiles examples/<name> once per test binary.
func compileExample(t testing.TB, name string) *ir.Policy {
	t.Helper()
	compiledMu.Lock()
	defer compiledMu.Unlock()
	if p, ok := compiled[name]; ok {
		return p
	}
	// Compile from the repository root so that origins read
	// "examples/<name>/policy.cue" wherever the checkout lives.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: filepath.Join("examples", name)}, compiler.Options{Today: today})
	if cerr := os.Chdir(wd); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || diags.HasErrors() {
		t.Fatalf("compiling %s: %v %v", name, err, diags)
	}
	compiled[name] = p
	return p
}

// assess builds a report for p.
func assess(t testing.TB, p *ir.Policy, fw string, in Input) *Report {
	t.Helper()
	in.Policy, in.Framework, in.Today = p, fw, today
	if in.Targets == nil {
		in.Targets = goldenTargets()
	}
	r, err := Assess(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// render writes r in format.
func render(t testing.TB, r *Report, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// extension is the golden file extension of each format.
var extension = map[string]string{"md": "md", "html": "html", "json": "json", "csv": "csv", "oscal": "oscal-ar.json", "oscal-component": "oscal-cd.json"}

// TestGoldens compares every format of each example's report with
// testdata/golden/<example>.<framework>.<ext>; -update rewrites them and
// deletes stale ones.
func TestGoldens(t *testing.T) {
	want := map[string]bool{}
	for ex, fw := range examples {
		r := assess(t, compileExample(t, ex), fw, Input{})
		for _, format := range Formats {
			name := filepath.Join("testdata", "golden", ex+"."+fw+"."+extension[format])
			want[name] = true
			got := render(t, r, format)
			if *update {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			exp, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(exp), string(got)); d != "" {
				t.Errorf("%s differs (-golden +got):\n%s", name, d)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	for _, f := range files {
		if want[f] {
			continue
		}
		if *update {
			os.Remove(f)
			continue
		}
		t.Errorf("stale golden %s (run with -update to delete it)", f)
	}
}

// TestDeterministic assesses every example for every framework twice, from
// scratch, and requires byte-identical output in every format.
func TestDeterministic(t *testing.T) {
	for ex := range examples {
		p := compileExample(t, ex)
		for _, fw := range FrameworkIDs() {
			a, b := assess(t, p, fw, Input{}), assess(t, p, fw, Input{})
			for _, format := range Formats {
				x, y := render(t, a, format), render(t, b, format)
				if !bytes.Equal(x, y) {
					t.Errorf("%s %s %s: two runs differ", ex, fw, format)
				}
				if len(x) < 200 {
					t.Errorf("%s %s %s: only %d bytes", ex, fw, format, len(x))
				}
			}
		}
	}
}

// TestNoWallClock: without a timestamp no date of today appears; with one,
// it appears in every format that carries a time.
func TestNoWallClock(t *testing.T) {
	p := compileExample(t, "eu-saas")
	now := time.Now().UTC()
	r := assess(t, p, "gdpr", Input{})
	for _, format := range Formats {
		out := string(render(t, r, format))
		for _, stamp := range []string{now.Format("2006-01-02T15"), now.Format(time.RFC1123)[:16]} {
			if strings.Contains(out, stamp) {
				t.Errorf("%s holds the wall clock %q", format, stamp)
			}
		}
	}
	unpinned, err := Assess(context.Background(), Input{Policy: p, Framework: "gdpr", Targets: goldenTargets()})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		if out := string(render(t, unpinned, format)); strings.Contains(out, now.Format(time.DateOnly)) {
			t.Errorf("%s holds today's date although none was pinned", format)
		}
	}
	ts := time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)
	r = assess(t, p, "gdpr", Input{Timestamp: ts})
	for _, format := range []string{"md", "html", "json", "oscal", "oscal-component"} {
		if out := string(render(t, r, format)); !strings.Contains(out, "2027-03-01T09:30:00Z") {
			t.Errorf("%s lacks the given timestamp", format)
		}
	}
}

// TestNoSecretsPrinted: secret references appear in no format, only their
// kind ("(vault)").
func TestNoSecretsPrinted(t *testing.T) {
	for ex := range examples {
		p := compileExample(t, ex)
		var refs []string
		if p.Targets.RedisPasswordRef != "" {
			refs = append(refs, string(p.Targets.RedisPasswordRef))
		}
		for _, pr := range p.Providers {
			if pr.Introspection != nil {
				refs = append(refs, string(pr.Introspection.ClientSecret))
			}
			if pr.APIKey != nil {
				for _, c := range pr.APIKey.Consumers {
					if c.KeyRef != "" {
						refs = append(refs, string(c.KeyRef))
					}
				}
			}
		}
		r := assess(t, p, examples[ex], Input{})
		for _, format := range Formats {
			out := string(render(t, r, format))
			for _, ref := range refs {
				if strings.Contains(out, ref) {
					t.Errorf("%s %s prints secret reference %s", ex, format, ref)
				}
			}
		}
		if ex == "payments-api" && len(refs) == 0 {
			t.Error("payments-api has no secret references to look for")
		}
	}
}
