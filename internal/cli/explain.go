package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler/diag"
)

func newExplainCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain CODE",
		Short: "Explain a diagnostic code (for example RMP202)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(fmt.Errorf("explain takes one CODE, such as RMP202"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			code := strings.ToUpper(args[0])
			e, ok := diag.Explain(code)
			if !ok {
				return usageError(fmt.Errorf("unknown code %q; known codes: %s", args[0], strings.Join(diag.Codes(), ", ")))
			}
			fmt.Fprintf(s.out, "%s: %s\n\n%s\n", code, e.Title, e.Text)
			return nil
		},
	}
}
