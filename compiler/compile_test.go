package compiler_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
)

var update = flag.Bool("update", os.Getenv("RAMPART_UPDATE") == "1", "rewrite golden IR in testdata")

var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// TestIRGolden compiles each testdata/ir/*.txtar policy and compares the
// IR (as YAML) and the diagnostics with the "ir.yaml" and "diagnostics"
// sections.
func TestIRGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/ir/*.txtar")
	if len(files) == 0 {
		t.Fatal("no IR cases")
	}
	wd, _ := os.Getwd()
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := extract(t, ar)
			t.Chdir(dir)
			got := compileText(t, "policy")
			if *update {
				setSection(ar, "out", got)
				if err := os.WriteFile(filepath.Join(wd, file), txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(section(ar, "out"), got); diff != "" {
				t.Errorf("IR mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeterministic compiles the same policy twice, from two copies in
// different directories, and requires identical IR bytes (origins aside,
// which name the files compiled).
func TestDeterministic(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/ir/full.txtar")
	if err != nil {
		t.Fatal(err)
	}
	a, b := extract(t, ar), extract(t, ar)
	t.Chdir(a)
	first := compileText(t, "policy")
	t.Chdir(b)
	second := compileText(t, "policy")
	if first != second {
		t.Fatalf("two compilations differ:\n%s", cmp.Diff(first, second))
	}
}

// compileText compiles dir and renders diagnostics and IR as text.
func compileText(t *testing.T, dir string) string {
	t.Helper()
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString("# diagnostics\n")
	diag.PrintText(&buf, diags, false)
	if p != nil && !diags.HasErrors() {
		buf.WriteString("# ir\n")
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func extract(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		if f.Name == "out" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func section(ar *txtar.Archive, name string) string {
	for _, f := range ar.Files {
		if f.Name == name {
			return string(f.Data)
		}
	}
	return ""
}

func setSection(ar *txtar.Archive, name, data string) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = []byte(data)
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
}
