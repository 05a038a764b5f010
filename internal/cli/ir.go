package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
)

func newIRCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "ir PATH",
		Short: "Print the compiled IR as YAML (secrets appear only as references)",
		Long: `ir compiles the policy and prints rampart's intermediate representation: every
route with its effective controls after baselines, defaults and inheritance,
and where each value was set. Secrets are never in the IR: only references.`,
		Args: exactlyOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, diags, err := compiler.Compile(cmd.Context(), compiler.Input{Dir: args[0]}, compileOptions())
			if err != nil {
				return usageError(err)
			}
			diag.PrintText(s.err, diags, false)
			if len(diags) > 0 {
				fmt.Fprintf(s.err, "%s\n", diag.Summary(diags))
			}
			if diags.HasErrors() {
				return policyFailed()
			}
			enc := yaml.NewEncoder(s.out)
			enc.SetIndent(2)
			if err := enc.Encode(p); err != nil {
				return usageError(err)
			}
			return enc.Close()
		},
	}
}
