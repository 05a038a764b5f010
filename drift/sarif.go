package drift

import (
	"fmt"
	"io"
	"slices"

	"github.com/rampart-policy/rampart/internal/sarif"
)

// SARIFOptions tune a SARIF log.
type SARIFOptions struct {
	// Root is the directory policy files are named relative to (the
	// repository root in CI); a file outside it gets an absolute file://
	// URI. Empty keeps names as they are.
	Root string
	// ToolVersion is rampart's version.
	ToolVersion string
}

// sarifLevels maps severity to SARIF level: a weakening is an error.
var sarifLevels = map[Severity]string{Weakening: "error", Neutral: "warning", Strengthening: "note"}

// driftDoc is the documentation of the findings' rules.
const driftDoc = "https://github.com/rampart-policy/rampart/blob/main/docs/drift.md"

// WriteSARIF writes results as one SARIF 2.1.0 log: rules are the
// controls found, results the findings, located at the policy file and
// line that set the control (the property bag holds target, route,
// direction, severity, expected and actual).
func WriteSARIF(w io.Writer, rs []Result, opts SARIFOptions) error {
	var rules []string
	for i := range rs {
		rs[i].Sort()
		for _, f := range rs[i].Findings {
			if !slices.Contains(rules, f.Control) {
				rules = append(rules, f.Control)
			}
		}
	}
	slices.Sort(rules)
	driver := sarif.Driver{Name: "rampart", Version: opts.ToolVersion, InformationURI: driftDoc, Rules: []sarif.Rule{}}
	for _, id := range rules {
		driver.Rules = append(driver.Rules, sarif.Rule{ID: id,
			ShortDescription: sarif.Text{Text: fmt.Sprintf("the live gateway does not match the policy for control %s", id)},
			HelpURI:          driftDoc})
	}
	run := sarif.Run{Tool: sarif.Tool{Driver: driver}, Results: []sarif.Result{}}
	for _, r := range rs {
		for _, f := range r.Findings {
			run.Results = append(run.Results, sarifFinding(r, f, slices.Index(rules, f.Control), opts.Root))
		}
	}
	return sarif.Write(w, sarif.Log{Schema: sarif.Schema, Version: sarif.Version, Runs: []sarif.Run{run}})
}

func sarifFinding(r Result, f Finding, rule int, root string) sarif.Result {
	props := map[string]any{"kind": r.Kind, "source": r.Source, "target": f.Target, "direction": f.Direction, "severity": f.Severity}
	for k, v := range map[string]string{"route": f.Route, "listener": f.Listener, "path": f.Path, "expected": f.Expected, "actual": f.Actual} {
		if v != "" {
			props[k] = v
		}
	}
	res := sarif.Result{RuleID: f.Control, RuleIndex: rule, Level: sarifLevels[f.Severity], Message: sarif.Text{Text: f.Message}, Properties: props}
	if f.Origin.File != "" {
		res.Locations = []sarif.Location{sarif.At(f.Origin.File, f.Origin.Line, f.Origin.Col, root)}
	}
	return res
}
