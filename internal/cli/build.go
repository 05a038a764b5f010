package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
)

func newBuildCmd(s *streams) *cobra.Command {
	var target, outDir string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "build [--target " + targetNames() + "|all] [-o DIR] PATH",
		Short: "Compile a policy into configuration for the targets it is deployed to",
		Long: `build compiles the policy in PATH and writes each target's artifacts to
DIR/<target>/. Without --target it builds the targets the policy lists in
targets.deploy (every target when it lists none); --target names others, with a
warning (RMP404) for each the policy is not deployed to. Nothing is written
unless the policy compiles cleanly for every requested target: a control a
target cannot enforce is an error (exit 1) unless a waiver covers it, and a
previous good build is never replaced by a bad one.`,
		Args: exactlyOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			chosen, err := targets.Parse(target)
			if err != nil {
				return usageError(err)
			}
			p, diags, err := compiler.Compile(cmd.Context(), compiler.Input{Dir: args[0]}, compileOptions())
			if err != nil {
				return usageError(err)
			}
			var ts []targets.Target
			if p != nil && !diags.HasErrors() {
				var warns diag.List
				ts, warns = targets.Select(p, chosen)
				diags = append(diags, warns...)
				for _, t := range ts {
					diags = append(diags, targets.Check(t, p)...)
				}
			}
			diag.PrintText(s.err, diags.Sort(), verbose)
			if diags.HasErrors() {
				fmt.Fprintf(s.err, "%s; nothing written\n", diag.Summary(diags))
				return policyFailed()
			}
			if len(diags) > 0 {
				fmt.Fprintf(s.err, "%s\n", diag.Summary(diags))
			}
			built, err := buildAll(cmd.Context(), ts, p)
			if err != nil {
				diag.PrintText(s.err, buildErrorDiag(p, err), verbose)
				fmt.Fprintf(s.err, "nothing written\n")
				return policyFailed()
			}
			for _, t := range ts {
				dir := filepath.Join(outDir, t.Name())
				if err := writeAtomic(dir, built[t.Name()]); err != nil {
					return usageError(err)
				}
				for _, a := range built[t.Name()] {
					fmt.Fprintf(s.out, "wrote %s\n", filepath.Join(dir, a.Path))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "targets: all (every target rampart ships) or a comma-separated list of "+targetNames()+"; default: the policy's targets.deploy")
	cmd.Flags().StringVarP(&outDir, "output", "o", "out", "output directory; each target writes DIR/<target>/")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the raw CUE error under each diagnostic")
	return cmd
}

// buildAll builds every target concurrently (they only read the IR) and
// returns their artifacts by target name, or the first error in target
// order.
func buildAll(ctx context.Context, ts []targets.Target, p *ir.Policy) (map[string][]targets.Artifact, error) {
	arts := make([][]targets.Artifact, len(ts))
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arts[i], errs[i] = t.Build(ctx, p)
		}()
	}
	wg.Wait()
	built := map[string][]targets.Artifact{}
	for i, t := range ts {
		if errs[i] != nil {
			return nil, errs[i]
		}
		built[t.Name()] = arts[i]
	}
	return built, nil
}

// buildErrorDiag reports a target's build failure, at the route's
// position in the policy when the failure names one.
func buildErrorDiag(p *ir.Policy, err error) diag.List {
	d := diag.Diagnostic{Severity: diag.Error, Code: diag.CodeTargetBuild, Message: err.Error()}
	var re *targets.RouteError
	if errors.As(err, &re) {
		for _, svc := range p.Services {
			for _, r := range svc.Routes {
				if r.ID == re.Route {
					d.Pos = diag.Pos{File: r.Origin.File, Line: r.Origin.Line, Col: r.Origin.Col}
					d.Path = r.Origin.Path
				}
			}
		}
	}
	return diag.List{d}
}

// targetNames lists the shipped targets as "a|b|c".
func targetNames() string {
	var names []string
	for _, t := range targets.All() {
		names = append(names, t.Name())
	}
	return strings.Join(names, "|")
}

// writeAtomic replaces dir with exactly the given artifacts: they are
// written to a sibling temporary directory first, which is then renamed
// into place, so a reader never sees a half-written build.
func writeAtomic(dir string, arts []targets.Artifact) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, a := range arts {
		p := filepath.Join(tmp, filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, a.Data, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}
