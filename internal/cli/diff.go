package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/posture"
)

// diffFormats are the output formats of diff.
var diffFormats = []string{"text", "markdown", "json", "sarif", "github"}

// diffFlags are diff's options.
type diffFlags struct {
	format, root, git string
	allowWeakening    bool
}

func newDiffCmd(s *streams) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [flags] BASE HEAD | diff --git REV [PATH]",
		Short: "Show how a policy change strengthens or weakens the security posture",
		Long: `diff compiles two versions of a policy and compares them control by control:
per listener, provider, service and route, each change is strengthened,
weakened or neutral, in plain words, at HEAD's file:line.

BASE and HEAD are policy directories. With --git REV, BASE is PATH (default
".") as it was at the git revision REV, read with git archive; the working
tree is not touched, and HEAD is PATH as it is now.

diff exits 1 when HEAD weakens the posture and neither a waiver in HEAD nor
--allow-weakening accepts it, or when either side has policy errors; 0
otherwise; 2 on usage or internal errors. A waiver accepts a weakening when
it waives the same control on target "*", on the same route or every route,
and has not expired (RAMPART_TODAY=YYYY-MM-DD pins the date).

Formats (stdout): text, markdown (a pull-request comment), json, sarif and
github (workflow-command annotations).`,
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(cmd.Context(), s, f, args) },
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, markdown, json, sarif or github")
	cmd.Flags().StringVar(&f.git, "git", "", "compare PATH with its version at git revision `REV`")
	cmd.Flags().BoolVar(&f.allowWeakening, "allow-weakening", false, "report weakenings but exit 0")
	cmd.Flags().StringVar(&f.root, "root", ".", "directory that sarif and github locations are relative to")
	return cmd
}

// runDiff resolves BASE and HEAD, compiles both, compares and prints.
func runDiff(ctx context.Context, s *streams, f diffFlags, args []string) error {
	if !slices.Contains(diffFormats, f.format) {
		return usageError(fmt.Errorf("unknown --format %q (want text, markdown, json, sarif or github)", f.format))
	}
	baseDir, headDir, baseLabel, cleanup, err := diffSides(ctx, f.git, args)
	if err != nil {
		return err
	}
	defer cleanup()
	base, err := compileSide(ctx, s, "BASE", baseDir, baseLabel)
	if err != nil {
		return err
	}
	head, err := compileSide(ctx, s, "HEAD", headDir, headDir)
	if err != nil {
		return err
	}
	rep := posture.Compare(base, head)
	rep.Base, rep.Head = baseLabel, headDir
	rep.Accept(head, today(), f.allowWeakening)
	if err := printDiff(s, f, rep); err != nil {
		return usageError(err)
	}
	if len(rep.Unaccepted()) > 0 {
		return policyFailed()
	}
	return nil
}

// diffSides returns the BASE and HEAD directories and BASE's label, and a
// cleanup for a git checkout.
func diffSides(ctx context.Context, rev string, args []string) (base, head, label string, cleanup func(), err error) {
	cleanup = func() {}
	if rev == "" {
		if len(args) != 2 {
			return "", "", "", cleanup, usageError(fmt.Errorf("diff takes BASE and HEAD (two policy directories), or --git REV [PATH]; got %d arguments", len(args)))
		}
		return args[0], args[1], args[0], cleanup, nil
	}
	if len(args) > 1 {
		return "", "", "", cleanup, usageError(fmt.Errorf("diff --git REV takes at most one PATH, got %d", len(args)))
	}
	head = "."
	if len(args) == 1 {
		head = args[0]
	}
	base, cleanup, err = gitCheckout(ctx, rev, head)
	if err != nil {
		return "", "", "", func() {}, usageError(err)
	}
	return base, head, rev + ":" + head, cleanup, nil
}

// compileSide compiles one side; policy errors are printed (with BASE's
// temporary directory shown as its label) and fail the diff.
func compileSide(ctx context.Context, s *streams, side, dir, label string) (*ir.Policy, error) {
	p, diags, err := compiler.Compile(ctx, compiler.Input{Dir: dir}, compileOptions())
	if err != nil {
		return nil, usageError(fmt.Errorf("%s %s: %w", side, label, err))
	}
	if !diags.HasErrors() {
		return p, nil
	}
	for i := range diags {
		diags[i].Pos.File = relabel(diags[i].Pos.File, dir, label)
	}
	fmt.Fprintf(s.err, "%s %s has policy errors; fix them before comparing:\n", side, label)
	printText(s.err, diags, false)
	return nil, policyFailed()
}

// relabel shows a file under dir as under label.
func relabel(file, dir, label string) string {
	if dir == label {
		return file
	}
	if rest, ok := strings.CutPrefix(file, dir); ok {
		return label + rest
	}
	return file
}

// today is the date waivers are checked against: RAMPART_TODAY or now.
func today() string {
	t := compileOptions().Today
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format("2006-01-02")
}

// printDiff writes the report in the chosen format.
func printDiff(s *streams, f diffFlags, rep *posture.Report) error {
	switch f.format {
	case "markdown":
		return rep.WriteMarkdown(s.out)
	case "json":
		return rep.WriteJSON(s.out)
	case "sarif":
		return diag.PrintSARIF(s.out, rep.Diagnostics(), sarifOptions(f.root))
	case "github":
		return diag.PrintGitHub(s.out, rep.Diagnostics(), f.root)
	}
	return rep.WriteText(s.out)
}
