package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/report"
	"github.com/rampart-policy/rampart/targets"
)

// reportFlags are rampart report's options.
type reportFlags struct {
	framework, format, output, drift, probe, timestamp, target string
}

// newReportCmd builds `rampart report`.
func newReportCmd(s *streams) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report --framework " + strings.Join(report.FrameworkIDs(), "|") + " [--format " + strings.Join(report.Formats, "|") + "] [-o FILE] [--drift FILE] [--probe FILE] [--timestamp T] [--target LIST] PATH",
		Short: "Write a compliance report: every control of a framework with status and evidence",
		Long: `report compiles the policy in PATH, builds it in memory for the targets it is
deployed to (targets.deploy, every target when it lists none; --target
overrides, with a warning RMP404 for a target the policy is not deployed to) and
assesses every control of the framework's catalogue: status (satisfied,
partially satisfied, not satisfied, waived, not applicable, not assessed),
evidence strength, the policy values behind it with file:line, the targets that
enforce it, the artifacts' sha256, waivers, and drift or probe results given
with --drift/--probe. Output is deterministic; no time appears unless
--timestamp is given (RFC 3339 or YYYY-MM-DD). Formats: md, html (one
self-contained file), json, csv, oscal (OSCAL assessment-results) and
oscal-component (OSCAL component-definition).`,
		Args: exactlyOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, s, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.framework, "framework", "", "framework: "+strings.Join(report.FrameworkIDs(), ", "))
	fl.StringVar(&f.format, "format", "md", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of standard output")
	fl.StringVar(&f.drift, "drift", "", "drift results (JSON written by rampart drift) to include as evidence")
	fl.StringVar(&f.probe, "probe", "", "probe results (JSON written by rampart probe) to include as evidence")
	fl.StringVar(&f.timestamp, "timestamp", "", "report time (RFC 3339 or YYYY-MM-DD); waivers are checked against its date")
	fl.StringVar(&f.target, "target", "", "targets whose enforcement is evidence: all, or a comma-separated list of "+targetNames()+"; default: the policy's targets.deploy")
	return cmd
}

// runReport compiles, assesses and writes the report.
func runReport(cmd *cobra.Command, s *streams, f reportFlags, dir string) error {
	if _, err := report.FrameworkByID(f.framework); err != nil {
		return usageError(err)
	}
	if !validFormat(f.format) {
		return usageError(fmt.Errorf("unknown format %q (known: %s)", f.format, strings.Join(report.Formats, ", ")))
	}
	ts, err := parseTimestamp(f.timestamp)
	if err != nil {
		return usageError(err)
	}
	chosen, err := targets.Parse(f.target)
	if err != nil {
		return usageError(err)
	}
	opts := compileOptions()
	if !ts.IsZero() {
		opts.Today = ts
	}
	p, diags, err := compiler.Compile(cmd.Context(), compiler.Input{Dir: dir}, opts)
	if err != nil {
		return usageError(err)
	}
	diags = downgradeExpiredWaivers(diags)
	if p == nil || diags.HasErrors() {
		diag.PrintText(s.err, diags, false)
		fmt.Fprintf(s.err, "%s; no report written\n", diag.Summary(diags))
		return policyFailed()
	}
	runs, rdiags, err := readRuns(f, p.Name)
	if err != nil {
		return usageError(err)
	}
	diags = append(diags, rdiags...)
	tgts, warns := targets.Select(p, chosen)
	diags = append(diags, warns...)
	if diags.HasErrors() {
		diag.PrintText(s.err, diags.Sort(), false)
		fmt.Fprintf(s.err, "%s; no report written\n", diag.Summary(diags))
		return policyFailed()
	}
	rep, err := report.Assess(cmd.Context(), report.Input{Policy: p, Framework: f.framework, Targets: tgts, Runs: runs, Timestamp: ts, Today: opts.Today})
	if err != nil {
		return usageError(err)
	}
	diags = append(diags, targetGaps(rep)...)
	if len(diags) > 0 {
		diag.PrintText(s.err, diags.Sort(), false)
		fmt.Fprintf(s.err, "%s\n", diag.Summary(diags))
	}
	printNotSatisfied(s, rep)
	var buf bytes.Buffer
	if err := report.Write(&buf, f.format, rep); err != nil {
		return usageError(err)
	}
	if f.output == "" {
		_, err := s.out.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(f.output, buf.Bytes()); err != nil {
		return usageError(err)
	}
	fmt.Fprintf(s.out, "wrote %s (%s: %s)\n", f.output, f.framework, rep.Summary.Percent())
	return nil
}

// printNotSatisfied lists each control that is not satisfied with its
// first cause, on stderr, so a CI log shows what to fix.
func printNotSatisfied(s *streams, rep *report.Report) {
	for _, c := range rep.Controls {
		if c.Status != report.NotSatisfied {
			continue
		}
		fmt.Fprintf(s.err, "%s %s not satisfied: %s", rep.Framework.ID, c.ID, c.Causes[0])
		if n := len(c.Causes) - 1; n > 0 {
			fmt.Fprintf(s.err, " (and %d more)", n)
		}
		fmt.Fprintln(s.err)
	}
	fmt.Fprintf(s.err, "%s: %d of %d controls satisfied, %d partially, %d not satisfied, %d waived, %d not applicable, %d not assessed; score %s\n",
		rep.Framework.ID, rep.Summary.Counts[report.Satisfied], rep.Summary.Total, rep.Summary.Counts[report.PartiallySatisfied],
		rep.Summary.Counts[report.NotSatisfied], rep.Summary.Counts[report.Waived], rep.Summary.Counts[report.NotApplicable],
		rep.Summary.Counts[report.NotAssessed], rep.Summary.Percent())
}

// validFormat reports whether format is a report format.
func validFormat(format string) bool {
	for _, f := range report.Formats {
		if f == format {
			return true
		}
	}
	return false
}

// parseTimestamp reads --timestamp: RFC 3339 or a date.
func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--timestamp %q: want RFC 3339 (2026-11-26T12:00:00Z) or YYYY-MM-DD", s)
}

// downgradeExpiredWaivers turns RMP209 errors into RMP602 warnings: the
// report still assesses the policy, and the expired waivers count for
// nothing in it.
func downgradeExpiredWaivers(ds diag.List) diag.List {
	out := make(diag.List, 0, len(ds))
	for _, d := range ds {
		if d.Code == diag.CodeWaiverExpired {
			d.Severity = diag.Warning
			d.Code = diag.CodeReportExpiredWaiver
			d.Message += "; the report does not count it"
		}
		out = append(out, d)
	}
	return out
}

// readRuns reads --drift and --probe, refusing results of another policy
// or of the wrong kind.
func readRuns(f reportFlags, policy string) ([]drift.Result, diag.List, error) {
	var all []drift.Result
	var ds diag.List
	for _, src := range []struct{ file, kind string }{{f.drift, drift.KindDrift}, {f.probe, drift.KindProbe}} {
		if src.file == "" {
			continue
		}
		data, err := os.ReadFile(src.file)
		if err != nil {
			return nil, nil, err
		}
		rs, err := drift.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", src.file, err)
		}
		for _, r := range rs {
			if r.Kind != src.kind || r.Policy != policy {
				ds.Add(diag.Diagnostic{Pos: diag.Pos{File: src.file}, Severity: diag.Error, Code: diag.CodeReportForeignRun,
					Message: fmt.Sprintf("%s result for policy %q (source %s) cannot be evidence for %s results of policy %q", r.Kind, r.Policy, r.Source, src.kind, policy)})
			}
		}
		all = append(all, rs...)
	}
	return all, ds, nil
}

// targetGaps warns about every target that could not compile the policy.
func targetGaps(rep *report.Report) diag.List {
	var ds diag.List
	for _, t := range rep.Targets {
		if !t.Built {
			ds.Add(diag.Diagnostic{Severity: diag.Warning, Code: diag.CodeReportTargetGap,
				Message: fmt.Sprintf("target %s is not counted as enforcing any control: %s", t.Name, t.Problem)})
		}
	}
	return ds
}

// writeFileAtomic writes data to a temporary file beside path, then
// renames it into place.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
