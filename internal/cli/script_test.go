package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", os.Getenv("RAMPART_UPDATE") == "1", "rewrite expected output in testdata")

// TestScripts runs every testdata/script/*.txtar case: the archive's files
// are written to a temporary directory, rampart runs there with the words
// of the "args" section, and the exit code, stdout and stderr must equal
// the "exit", "stdout" and "stderr" sections. -update rewrites them.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/script/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no script cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runScript(t, file)
		})
	}
}

func runScript(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sections := map[string]string{}
	for _, f := range ar.Files {
		switch f.Name {
		case "args", "exit", "stdout", "stderr":
			sections[f.Name] = string(f.Data)
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := strings.Fields(sections["args"])
	if len(args) == 0 {
		t.Fatalf("%s: no args section", file)
	}
	t.Chdir(dir)
	t.Setenv("RAMPART_TODAY", "2026-11-26")
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	got := map[string]string{"exit": strconv.Itoa(code) + "\n", "stdout": stdout.String(), "stderr": stderr.String()}
	if *update {
		for i, f := range ar.Files {
			if v, ok := got[f.Name]; ok {
				ar.Files[i].Data = []byte(v)
				delete(got, f.Name)
			}
		}
		for _, name := range []string{"exit", "stdout", "stderr"} {
			if v, ok := got[name]; ok && v != "" {
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(v)})
			}
		}
		if err := os.WriteFile(filepath.Join(cwdBefore, file), txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, name := range []string{"exit", "stdout", "stderr"} {
		if diff := cmp.Diff(sections[name], got[name]); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// cwdBefore is the package directory, for -update to write back to.
var cwdBefore, _ = os.Getwd()
