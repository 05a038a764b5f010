package drift

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Direction says which way a finding goes, seen from the policy.
type Direction string

// Directions.
const (
	// Missing: the policy asks for it, the live side lacks it.
	Missing Direction = "missing"
	// Unexpected: the live side has something the policy does not ask for.
	Unexpected Direction = "unexpected"
	// Changed: both have it, with different values.
	Changed Direction = "changed"
)

// Severity says what a finding does to the security posture.
type Severity string

// Severities.
const (
	Weakening     Severity = "weakening"
	Strengthening Severity = "strengthening"
	Neutral       Severity = "neutral"
)

// Finding is one difference between the policy and what is live.
type Finding struct {
	// Control is the control ID (ir.Ctl*) the difference affects.
	Control string `json:"control"`
	// Target is the gateway: "nginx", "kong", "envoy", "goproxy".
	Target string `json:"target"`
	// Route is "service/route"; empty for a listener- or policy-wide finding.
	Route string `json:"route,omitempty"`
	// Listener names the listener for listener-wide findings.
	Listener  string    `json:"listener,omitempty"`
	Direction Direction `json:"direction"`
	Severity  Severity  `json:"severity"`
	// Path locates the value in the target's own configuration, e.g.
	// `server[api.example.com:443].ssl_protocols`.
	Path string `json:"path,omitempty"`
	// Expected and Actual are the compared values as text; empty when
	// missing on that side.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Message explains the finding in plain words.
	Message string `json:"message"`
	// Origin is where the policy sets the control.
	Origin ir.Origin `json:"origin"`
}

// Check is one comparison or probe that was made, whatever its outcome, so
// that "no findings" can be told apart from "nothing checked".
type Check struct {
	Control string `json:"control"`
	Route   string `json:"route,omitempty"`
	// Name says what was compared or probed, e.g. "ssl_protocols" or
	// "unauthenticated request answered 401".
	Name string `json:"name"`
	// Passed is false when the check produced at least one finding.
	Passed bool `json:"passed"`
}

// Kinds of Result.
const (
	KindDrift = "drift"
	KindProbe = "probe"
)

// Result is the outcome of one drift comparison or probe run.
type Result struct {
	// Kind is KindDrift or KindProbe.
	Kind string `json:"kind"`
	// Policy is the policy's name.
	Policy string `json:"policy"`
	Target string `json:"target,omitempty"`
	// Source says what was compared: a file, URL or "terraform:DIR".
	Source   string    `json:"source"`
	Checks   []Check   `json:"checks"`
	Findings []Finding `json:"findings"`
}

// Sort orders checks and findings deterministically.
func (r *Result) Sort() {
	slices.SortStableFunc(r.Checks, func(a, b Check) int {
		return cmp.Or(cmp.Compare(a.Control, b.Control), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Control, b.Control), cmp.Compare(a.Route, b.Route),
			cmp.Compare(a.Listener, b.Listener), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
	})
}

// Drifted reports whether the result has findings.
func (r *Result) Drifted() bool { return len(r.Findings) > 0 }

// WriteJSON writes results as indented JSON: the format `--drift FILE` and
// `--probe FILE` of `rampart report` read.
func WriteJSON(w io.Writer, rs []Result) error {
	for i := range rs {
		rs[i].Sort()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rs)
}

// ReadJSON reads results written by WriteJSON, strictly.
func ReadJSON(r io.Reader) ([]Result, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rs []Result
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("reading drift/probe results: %w", err)
	}
	for _, x := range rs {
		if x.Kind != KindDrift && x.Kind != KindProbe {
			return nil, fmt.Errorf("reading drift/probe results: unknown kind %q", x.Kind)
		}
	}
	return rs, nil
}
