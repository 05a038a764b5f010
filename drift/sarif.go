package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// SARIF 2.1.0, the subset rampart writes: one run per call, one rule per
// control, one result per finding located at the policy's file:line.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevels maps severity to SARIF level: a weakening is an error.
var sarifLevels = map[Severity]string{Weakening: "error", Neutral: "warning", Strengthening: "note"}

// WriteSARIF writes results as one SARIF 2.1.0 log: rules are the
// controls found, results the findings, located at the policy file and
// line that set the control (the property bag holds target, route,
// direction, severity, expected and actual).
func WriteSARIF(w io.Writer, rs []Result) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "rampart", InformationURI: "https://rampart.dev/docs/drift", Rules: []sarifRule{}}},
		Results: []sarifResult{}}
	var rules []string
	for i := range rs {
		rs[i].Sort()
		for _, f := range rs[i].Findings {
			if !slices.Contains(rules, f.Control) {
				rules = append(rules, f.Control)
			}
			run.Results = append(run.Results, sarifFinding(rs[i], f))
		}
	}
	slices.Sort(rules)
	for _, id := range rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id,
			ShortDescription: sarifMessage{Text: fmt.Sprintf("the live gateway does not match the policy for control %s", id)}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifFinding(r Result, f Finding) sarifResult {
	props := map[string]any{"kind": r.Kind, "source": r.Source, "target": f.Target, "direction": f.Direction, "severity": f.Severity}
	for k, v := range map[string]string{"route": f.Route, "listener": f.Listener, "path": f.Path, "expected": f.Expected, "actual": f.Actual} {
		if v != "" {
			props[k] = v
		}
	}
	res := sarifResult{RuleID: f.Control, Level: sarifLevels[f.Severity], Message: sarifMessage{Text: f.Message}, Properties: props}
	if f.Origin.File != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.Origin.File}}}
		if f.Origin.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Origin.Line, StartColumn: f.Origin.Col}
		}
		res.Locations = []sarifLocation{loc}
	}
	return res
}
