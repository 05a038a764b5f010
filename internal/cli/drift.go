package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/drift/terraform"
	"github.com/rampart-policy/rampart/targets"
	envoylive "github.com/rampart-policy/rampart/targets/envoy/live"
	goproxylive "github.com/rampart-policy/rampart/targets/goproxy/live"
	konglive "github.com/rampart-policy/rampart/targets/kong/live"
	nginxlive "github.com/rampart-policy/rampart/targets/nginx/live"
)

// Exit codes of drift and probe: 0 no drift, 2 drift, 1 error.
const (
	ExitDriftError = 1
	ExitDrift      = 2
)

// liveSources lists every target's live side.
func liveSources() []drift.Live {
	return []drift.Live{envoylive.New(), goproxylive.New(), konglive.New(), nginxlive.New()}
}

// driftError is an error of drift or probe: exit 1. Its message may
// carry text from the live side (a response body, a file name, a
// command's stderr), so control characters are escaped.
func driftError(err error) error {
	return &exitError{code: ExitDriftError, err: cleanError{err}}
}

// cleanError shows an error with its control characters escaped.
type cleanError struct{ err error }

func (e cleanError) Error() string { return drift.CleanLines(e.err.Error()) }
func (e cleanError) Unwrap() error { return e.err }

// driftOpts are drift's flags.
type driftOpts struct {
	target, live, sources string
	out                   outputOpts
	parallel              int
	timeout               time.Duration
}

func newDriftCmd(s *streams) *cobra.Command {
	var o driftOpts
	cmd := &cobra.Command{
		Use:   "drift (--target T --live SOURCE | --sources FILE) [--format text|json|sarif] PATH",
		Short: "Compare what runs on a gateway with what the policy compiles to",
		Long: `drift compiles the policy in PATH for a target, reads the target's live
configuration, normalises both and reports every difference as a control:
direction (missing in live, unexpected in live, changed), severity (weakening,
strengthening, neutral), expected and actual values and where the policy sets
the control. Exit 0: no drift; 2: drift; 1: error.

SOURCE is, for nginx, a config file, a directory holding nginx.conf, or
"cmd:nginx -T" (any command printing nginx -T output); for goproxy, rampart
serve's admin URL (http://127.0.0.1:9901) or a saved /config response; for
kong, the Admin API URL (http://127.0.0.1:8001: GET /config in DB-less mode,
else the entity endpoints) or a decK file or saved /config answer; for envoy,
the admin URL (http://127.0.0.1:9901, /config_dump added) or a saved dump; for any
target, "terraform:DIR", a Terraform working directory whose state holds the
target's artifact. --sources FILE lists "TARGET SOURCE" lines, compared in
parallel with a progress line per source on stderr.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return driftError(fmt.Errorf("drift takes exactly one PATH (a policy directory), got %d", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runDrift(cmd.Context(), s, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "target whose live configuration is read: "+liveNames())
	f.StringVar(&o.live, "live", "", "live source (see above)")
	f.StringVar(&o.sources, "sources", "", `file of "TARGET SOURCE" lines to compare in parallel`)
	o.out.flags(f)
	f.IntVar(&o.parallel, "parallel", 4, "sources compared at once")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "time allowed per source")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return driftError(err) })
	return cmd
}

// liveNames lists the targets with a live source.
func liveNames() string {
	var names []string
	for _, l := range liveSources() {
		names = append(names, l.Target())
	}
	return strings.Join(names, ", ")
}

// liveFor returns the named target's live side.
func liveFor(name string) (drift.Live, error) {
	for _, l := range liveSources() {
		if l.Target() == name {
			return l, nil
		}
	}
	return nil, fmt.Errorf("target %q has no live source (known: %s)", name, liveNames())
}

// runDrift compiles the policy, runs every source and prints the results.
func runDrift(ctx context.Context, s *streams, o driftOpts, dir string) error {
	if !slices.Contains([]string{"text", "json", "sarif"}, o.out.format) {
		return driftError(fmt.Errorf("--format %q: want text, json or sarif", o.out.format))
	}
	lines, err := driftSources(o)
	if err != nil {
		return driftError(err)
	}
	p, err := compileForDrift(ctx, s, dir)
	if err != nil {
		return err
	}
	var jobs []drift.Job
	var warns diag.List
	for _, l := range lines {
		j, err := driftJob(p, l)
		if err != nil {
			return driftError(err)
		}
		jobs = append(jobs, j)
		warns = append(warns, targets.NotDeployed(p, l.Target)...)
	}
	diag.PrintText(s.err, warns.Sort(), false)
	var progress io.Writer
	if len(jobs) > 1 {
		progress = s.err
	}
	outs := drift.RunAll(ctx, jobs, o.parallel, o.timeout, progress)
	return writeOutcomes(s, o.out, outs)
}

// driftSources reads --sources or --target/--live.
func driftSources(o driftOpts) ([]drift.SourceLine, error) {
	if (o.sources == "") == (o.live == "") {
		return nil, errors.New("drift needs either --target T --live SOURCE or --sources FILE")
	}
	if o.sources == "" {
		if o.target == "" {
			return nil, errors.New("--live needs --target")
		}
		return []drift.SourceLine{{Target: o.target, Source: o.live}}, nil
	}
	f, err := os.Open(o.sources)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return drift.ReadSources(f)
}

// driftJob returns the comparison of one source.
func driftJob(p *ir.Policy, l drift.SourceLine) (drift.Job, error) {
	lv, err := liveFor(l.Target)
	if err != nil {
		return drift.Job{}, err
	}
	run := func(ctx context.Context) (drift.Result, error) { return drift.Run(ctx, lv, p, l.Source) }
	if dir, ok := strings.CutPrefix(l.Source, "terraform:"); ok {
		run = func(ctx context.Context) (drift.Result, error) {
			return terraform.Compare(ctx, terraform.Options{Dir: dir}, lv, p)
		}
	}
	return drift.Job{Target: l.Target, Source: l.Source, Run: run}, nil
}

// compileForDrift compiles the policy; errors are printed and exit 1.
func compileForDrift(ctx context.Context, s *streams, dir string) (*ir.Policy, error) {
	p, diags, err := compiler.Compile(ctx, compiler.Input{Dir: dir}, compileOptions())
	if err != nil {
		return nil, driftError(err)
	}
	if diags.HasErrors() || p == nil {
		diag.PrintText(s.err, diags.Sort(), false)
		return nil, driftError(fmt.Errorf("%s: the policy does not compile", diag.Summary(diags)))
	}
	return p, nil
}

// outputOpts are the output flags drift and probe share.
type outputOpts struct{ format, root string }

// flags registers --format and --root.
func (o *outputOpts) flags(f *pflag.FlagSet) {
	f.StringVar(&o.format, "format", "text", "output format: text, json or sarif")
	f.StringVar(&o.root, "root", ".", "directory that sarif locations are relative to")
}

// writeOutcomes prints results in the chosen format and picks the exit code:
// any source that failed is an error (1), else any drift is 2.
func writeOutcomes(s *streams, o outputOpts, outs []drift.Outcome) error {
	var rs []drift.Result
	var errs []error
	for _, o := range outs {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", o.Job.Target, o.Job.Source, o.Err))
			continue
		}
		rs = append(rs, o.Result)
	}
	var err error
	switch o.format {
	case "json":
		err = drift.WriteJSON(s.out, rs)
	case "sarif":
		err = drift.WriteSARIF(s.out, rs, drift.SARIFOptions{Root: o.root})
	default:
		err = drift.WriteText(s.out, rs, colour(s.out))
	}
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return driftError(errors.Join(errs...))
	}
	for _, r := range rs {
		if r.Drifted() {
			return &exitError{code: ExitDrift}
		}
	}
	return nil
}

// colour reports whether w is a terminal that accepts colour (NO_COLOR
// unset).
func colour(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
