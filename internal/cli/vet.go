package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
)

func newVetCmd(s *streams) *cobra.Command {
	var format string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "vet [--format text|json] PATH...",
		Short: "Check policies against the schema, their baselines and rampart's checks",
		Long: `vet loads each policy directory, validates it against the hardening schema and
the baselines it imports, and runs the checks CUE cannot express. It exits 0
when there are no errors (warnings allowed), 1 when a policy has errors and 2
on usage or internal errors. Every diagnostic shows file:line:col.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(fmt.Errorf("vet needs at least one PATH (a policy directory)"))
			}
			if format != "text" && format != "json" {
				return usageError(fmt.Errorf("unknown --format %q (want text or json)", format))
			}
			var all diag.List
			for _, dir := range args {
				_, diags, err := compiler.Compile(cmd.Context(), compiler.Input{Dir: dir}, compileOptions())
				if err != nil {
					return usageError(err)
				}
				all = append(all, diags...)
			}
			if format == "json" {
				if err := diag.PrintJSON(s.out, all); err != nil {
					return usageError(err)
				}
			} else {
				diag.PrintText(s.err, all, verbose)
				if len(all) > 0 {
					fmt.Fprintf(s.err, "%s\n", diag.Summary(all))
				}
			}
			if all.HasErrors() {
				return policyFailed()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the raw CUE error under each diagnostic")
	return cmd
}
