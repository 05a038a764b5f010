package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
)

// vetFormats are the output formats of vet.
var vetFormats = []string{"text", "json", "sarif", "github", "junit"}

func newVetCmd(s *streams) *cobra.Command {
	var format, root string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "vet [--format text|json|sarif|github|junit] PATH...",
		Short: "Check policies against the schema, their baselines and rampart's checks",
		Long: `vet loads each policy directory, validates it against the hardening schema and
the baselines it imports, and runs the checks CUE cannot express; a policy that
lists targets.deploy is also checked against each of those targets, which must
enforce every control it needs unless a waiver covers it. It exits 0
when there are no errors (warnings allowed), 1 when a policy has errors and 2
on usage or internal errors. Every diagnostic shows file:line:col.

Formats: text (stderr), json, sarif (SARIF 2.1.0 for code scanning), github
(workflow commands that annotate a pull request) and junit (JUnit XML), all on
stdout. sarif and github name files relative to --root (default: the current
directory, the repository root in CI).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(fmt.Errorf("vet needs at least one PATH (a policy directory)"))
			}
			if !slices.Contains(vetFormats, format) {
				return usageError(fmt.Errorf("unknown --format %q (want text, json, sarif, github or junit)", format))
			}
			var all diag.List
			var suites []diag.JUnitSuite
			for _, dir := range args {
				p, diags, err := compiler.Compile(cmd.Context(), compiler.Input{Dir: dir}, compileOptions())
				if err != nil {
					return usageError(err)
				}
				if ds := deployChecks(p, diags); len(ds) > 0 {
					diags = append(diags, ds...).Sort()
				}
				all = append(all, diags...)
				suites = append(suites, diag.JUnitSuite{Name: dir, Diags: diags})
			}
			if err := printVet(s, format, root, verbose, all, suites); err != nil {
				return usageError(err)
			}
			if all.HasErrors() {
				return policyFailed()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json, sarif, github or junit")
	cmd.Flags().StringVar(&root, "root", ".", "directory that sarif and github locations are relative to")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the raw CUE error under each diagnostic")
	return cmd
}

// printVet writes vet's diagnostics in format.
func printVet(s *streams, format, root string, verbose bool, all diag.List, suites []diag.JUnitSuite) error {
	switch format {
	case "json":
		return diag.PrintJSON(s.out, all)
	case "sarif":
		return diag.PrintSARIF(s.out, all, sarifOptions(root))
	case "github":
		return diag.PrintGitHub(s.out, all, root)
	case "junit":
		return diag.PrintJUnit(s.out, "rampart vet", suites)
	}
	return printText(s.err, all, verbose)
}

// printText writes diagnostics and their summary as text.
func printText(w io.Writer, all diag.List, verbose bool) error {
	if err := diag.PrintText(w, all, verbose); err != nil {
		return err
	}
	if len(all) > 0 {
		_, err := fmt.Fprintf(w, "%s\n", diag.Summary(all))
		return err
	}
	return nil
}

// sarifOptions are the SARIF settings of vet and diff.
func sarifOptions(root string) diag.SARIFOptions {
	return diag.SARIFOptions{Root: root, InformationURI: "https://github.com/rampart-policy/rampart"}
}
