package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Status is a control's assessed state.
type Status string

// Statuses, from best to worst for sorting and colouring.
const (
	Satisfied          Status = "satisfied"
	PartiallySatisfied Status = "partially satisfied"
	NotSatisfied       Status = "not satisfied"
	Waived             Status = "waived"
	NotApplicable      Status = "not applicable"
	NotAssessed        Status = "not assessed"
)

// Statuses lists every status in report order.
var Statuses = []Status{Satisfied, PartiallySatisfied, NotSatisfied, Waived, NotApplicable, NotAssessed}

// Strength is how much a gateway's configuration can show of a control.
type Strength string

// Evidence strengths (controls.md's [D], [P], [S]).
const (
	// Direct: the configuration itself shows the control.
	Direct Strength = "direct"
	// Partial: the configuration shows the mechanism; process or runtime
	// facts complete it.
	Partial Strength = "partial"
	// Supporting: the configuration only supports the control.
	Supporting Strength = "supporting"
)

// ScoreFormula states how Summary.Score is computed; every format prints it.
const ScoreFormula = "score = (satisfied + 0.5 × partially satisfied) / (satisfied + partially satisfied + not satisfied + waived); " +
	"not applicable and not assessed controls are left out of the score and counted separately; " +
	"with no assessed control there is no score (never 100 %)"

// Report is one framework's assessment of one policy.
type Report struct {
	Framework FrameworkInfo `json:"framework"`
	Policy    PolicyInfo    `json:"policy"`
	// Timestamp is the caller's --timestamp in RFC 3339, or empty.
	Timestamp string `json:"timestamp,omitempty"`
	// AssessedOn is the date waivers were checked against (YYYY-MM-DD),
	// or empty when it was the current date and not pinned.
	AssessedOn string    `json:"assessedOn,omitempty"`
	Summary    Summary   `json:"summary"`
	Controls   []Control `json:"controls"`
	Targets    []Target  `json:"targets"`
	Waivers    []Waiver  `json:"waivers"`
	// Runs are the drift and probe results the report used.
	Runs []Run `json:"runs"`
	// Scopes are the routes of the coverage matrix, as "service/route".
	Scopes []string `json:"scopes"`
	// TOMs summarise technical and organisational measures per service
	// (GDPR Art. 30(1)(g)); filled for every framework, printed in HTML for
	// GDPR.
	TOMs []TOM `json:"toms"`
}

// FrameworkInfo names the framework and its catalogue version.
type FrameworkInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version string `json:"version"`
	Link    string `json:"link"`
	// Catalog is the OSCAL catalogue the control ids refer to, or Link.
	Catalog string `json:"catalog"`
	// Notice is shown under the title (for example that PCI DSS titles are
	// paraphrased).
	Notice string `json:"notice,omitempty"`
}

// PolicyInfo identifies the policy assessed.
type PolicyInfo struct {
	Name      string        `json:"name"`
	Owner     string        `json:"owner"`
	Purpose   string        `json:"purpose,omitempty"`
	Baselines []ir.Baseline `json:"baselines"`
	Sources   []ir.Source   `json:"sources"`
	// ImportsBaseline is true when the policy unifies with the framework's
	// own baseline (no baseline exists for nist-800-53).
	ImportsBaseline bool `json:"importsBaseline"`
	// Deploy is the policy's targets.deploy; empty when it lists none.
	Deploy []string `json:"deploy,omitempty"`
}

// Summary counts controls by status and gives the score.
type Summary struct {
	Total  int            `json:"total"`
	Counts map[Status]int `json:"counts"`
	// Score is in [0,1]; HasScore is false when no control was assessed.
	Score    float64 `json:"score"`
	HasScore bool    `json:"hasScore"`
	Formula  string  `json:"formula"`
}

// Percent is the score as text: "87.5 %" or "no score".
func (s Summary) Percent() string {
	if !s.HasScore {
		return "no score (no control assessed)"
	}
	return fmt.Sprintf("%.1f %%", s.Score*100)
}

// Control is one assessed control.
type Control struct {
	// ID is the native citation ("164.312(e)(1)"); TokenID is the
	// token-safe id used in OSCAL ("hipaa-164.312-e-1").
	ID       string   `json:"id"`
	TokenID  string   `json:"tokenId"`
	Title    string   `json:"title"`
	Strength Strength `json:"strength"`
	Status   Status   `json:"status"`
	// Note says why the status is what it is, in plain words.
	Note string `json:"note"`
	// Evidence is every check item, passed or failed.
	Evidence []Evidence `json:"evidence"`
	// Causes are the failed items' positions ("file:line") and messages.
	Causes []string `json:"causes"`
	// Controls are the rampart control IDs (ir.Ctl*) the checks rely on.
	IRControls []string `json:"irControls"`
	// EnforcedBy lists the targets that enforce every one of IRControls.
	EnforcedBy []string `json:"enforcedBy"`
	// Waivers are the waivers covering one of IRControls.
	Waivers []Waiver `json:"waivers"`
	// Routes is each matrix scope's outcome: "pass", "fail", "waived" or
	// absent when the control has no item for that route.
	Routes map[string]string `json:"routes"`
}

// Evidence is one observed fact about the policy, a target, a drift or a
// probe run.
type Evidence struct {
	// Check names the check ("tls.minVersion").
	Check string `json:"check"`
	// Scope is "policy", "listener NAME", "service NAME" or "route S/R".
	Scope string `json:"scope"`
	// Route is "service/route" for route-scoped items.
	Route  string `json:"route,omitempty"`
	Passed bool   `json:"passed"`
	// Waived marks a failed item a valid waiver excuses.
	Waived bool `json:"waived,omitempty"`
	// Value is the observed value in words.
	Value string `json:"value"`
	// At is the file:line the value comes from, or empty.
	At string `json:"at,omitempty"`
	// Source is "policy", "drift" or "probe".
	Source string `json:"source"`
}

// Target is one target's part of the evidence.
type Target struct {
	Name string `json:"name"`
	// Built is true when the target compiled the policy.
	Built bool `json:"built"`
	// Problem says why it did not (capability errors or a build error).
	Problem   string     `json:"problem,omitempty"`
	Artifacts []Artifact `json:"artifacts"`
	// Mechanisms maps each rampart control the policy needs to how this
	// target enforces it.
	Mechanisms map[string]string `json:"mechanisms"`
}

// Artifact is one compiled file's digest.
type Artifact struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// Waiver is a policy waiver as the report shows it.
type Waiver struct {
	Control  string `json:"control"`
	Target   string `json:"target"`
	Route    string `json:"route,omitempty"`
	Reason   string `json:"reason"`
	Approver string `json:"approver"`
	Expires  string `json:"expires"`
	// Expired waivers do not count: the gap they cover is a failure.
	Expired bool `json:"expired"`
	// TargetNotAssessed marks a waiver for a target the report does not
	// assess: it excuses nothing here.
	TargetNotAssessed bool   `json:"targetNotAssessed,omitempty"`
	At                string `json:"at,omitempty"`
}

// Run summarises one drift or probe result.
type Run struct {
	Kind     string `json:"kind"`
	Target   string `json:"target,omitempty"`
	Source   string `json:"source"`
	Checks   int    `json:"checks"`
	Passed   int    `json:"passed"`
	Findings int    `json:"findings"`
}

// TOM is the technical measures of one service (one API), for a record
// of processing activities.
type TOM struct {
	Service        string   `json:"service"`
	Purpose        string   `json:"purpose,omitempty"`
	Classification string   `json:"classification"`
	DataCategories []string `json:"dataCategories"`
	Measures       []string `json:"measures"`
}

// at formats an origin as "file:line", or "" when unknown.
func at(o ir.Origin) string {
	if o.File == "" {
		return ""
	}
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// rfc3339 formats t in UTC, or "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// itoa formats an int.
func itoa(n int) string { return fmt.Sprint(n) }

// sortedKeys returns a set's keys, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CapabilityRow is one rampart control with each target's mechanism, in
// the order of Report.Targets.
type CapabilityRow struct {
	Control    string
	Mechanisms []string
}

// capabilityRows is the capability matrix of the report's targets.
func capabilityRows(r *Report) []CapabilityRow {
	ctls := map[string]bool{}
	for _, t := range r.Targets {
		for c := range t.Mechanisms {
			ctls[c] = true
		}
	}
	var out []CapabilityRow
	for _, c := range sortedKeys(ctls) {
		row := CapabilityRow{Control: c}
		for _, t := range r.Targets {
			m := t.Mechanisms[c]
			if m == "" {
				m = "not needed"
			}
			row.Mechanisms = append(row.Mechanisms, m)
		}
		out = append(out, row)
	}
	return out
}
