package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/probe"
	"github.com/rampart-policy/rampart/proxy/secrets"
)

func newProbeCmd(s *streams) *cobra.Command {
	var o probe.Options
	var out outputOpts
	var keyRef string
	cmd := &cobra.Command{
		Use:   "probe [--host NAME] [--listener NAME] [--api-key-ref REF] [--format text|json|sarif] URL PATH",
		Short: "Check a live endpoint against the policy from the outside",
		Long: `probe compiles the policy in PATH and checks the endpoint at URL from the
outside, whatever gateway serves it: TLS versions and TLS 1.2 cipher suites
accepted, certificate validity and host name, HSTS and security headers, an
unauthenticated request answered 401, a body one byte over the limit answered
413, an undeclared method answered 405, CORS refused to an undeclared origin,
and the IP rate limit with the smallest budget answering 429 within it. It
sends one request per check and at most the budget plus a few for the rate
limit, all under --timeout. With --api-key-ref, a consumer's key (read from the
environment or a file, never from the command line) is sent to every route
whose rules do not allow its roles, which must answer 403. Exit 0: every check passed; 2: findings; 1: error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return driftError(fmt.Errorf("probe takes URL and PATH (a policy directory), got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains([]string{"text", "json", "sarif"}, out.format) {
				return driftError(fmt.Errorf("--format %q: want text, json or sarif", out.format))
			}
			o.URL = args[0]
			if keyRef != "" {
				key, err := secrets.FromEnvironment(keyRef)
				if err != nil {
					return driftError(fmt.Errorf("--api-key-ref: %w", err))
				}
				o.APIKey = key
			}
			return runProbe(cmd.Context(), s, o, out, args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Host, "host", "", "host name sent as SNI and Host (default: the listener's first host)")
	f.StringVar(&o.Listener, "listener", "", "policy listener the URL serves (default: by host, then port)")
	out.flags(f)
	f.DurationVar(&o.Timeout, "timeout", time.Minute, "time allowed for the whole probe")
	f.StringVar(&keyRef, "api-key-ref", "", "env:NAME or file:PATH holding a consumer's API key: routes whose rules do not allow its roles must answer 403")
	f.BoolVar(&o.SkipRateLimit, "skip-rate-limit", false, "do not probe the rate limit")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return driftError(err) })
	return cmd
}

// runProbe compiles the policy, probes and reports.
func runProbe(ctx context.Context, s *streams, o probe.Options, out outputOpts, dir string) error {
	p, err := compileForDrift(ctx, s, dir)
	if err != nil {
		return err
	}
	r, err := probe.Run(ctx, p, o)
	return writeOutcomes(s, out, []drift.Outcome{{Job: drift.Job{Target: "probe", Source: o.URL}, Result: r, Err: err}})
}
