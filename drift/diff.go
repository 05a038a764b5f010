package drift

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// At places a comparison: the control it checks, where in the policy and
// where in the target's configuration.
type At struct {
	Control  string
	Route    string
	Listener string
	// Path locates the value in the target's configuration.
	Path   string
	Origin ir.Origin
}

// Rule says how a difference changes the security posture.
type Rule int

// Rules for Value, Number and Set comparisons.
const (
	// AnyWeakens: any difference weakens (a value that should be exact,
	// such as an auth_request target or a log format).
	AnyWeakens Rule = iota
	// HigherWeakens: a larger live number weakens (body size, rate,
	// timeouts); for sets, an extra live member weakens (protocols,
	// ciphers, methods, origins).
	HigherWeakens
	// LowerWeakens: a smaller live number weakens (HSTS max-age); for
	// sets, a missing live member weakens (security headers).
	LowerWeakens
)

// Diff collects the checks and findings of one comparison.
type Diff struct {
	target   string
	checks   []Check
	findings []Finding
}

// NewDiff starts a comparison for target.
func NewDiff(target string) *Diff { return &Diff{target: target} }

// Append adds the checks and findings of parts, comparisons for the same
// target made apart (on other goroutines), after d's, in the order given:
// the result is what recording them on d in that order gives.
func (d *Diff) Append(parts ...*Diff) {
	nc, nf := 0, 0
	for _, p := range parts {
		nc, nf = nc+len(p.checks), nf+len(p.findings)
	}
	d.checks, d.findings = slices.Grow(d.checks, nc), slices.Grow(d.findings, nf)
	for _, p := range parts {
		d.checks = append(d.checks, p.checks...)
		d.findings = append(d.findings, p.findings...)
	}
}

// Grow makes room for n more checks.
func (d *Diff) Grow(n int) { d.checks = slices.Grow(d.checks, n) }

// Len returns how many checks were recorded.
func (d *Diff) Len() int { return len(d.checks) }

// Result returns the checks and findings collected so far.
func (d *Diff) Result() Result {
	r := Result{Target: d.target, Checks: d.checks, Findings: d.findings}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	return r
}

// Add records a check named name at at, and its findings (none when it
// passed). Each finding is completed from at and the diff's target.
func (d *Diff) Add(at At, name string, fs ...Finding) {
	d.checks = append(d.checks, Check{Control: at.Control, Route: at.Route, Name: name, Passed: len(fs) == 0})
	for _, f := range fs {
		f.Control, f.Target, f.Route, f.Listener, f.Origin = at.Control, d.target, at.Route, at.Listener, at.Origin
		if f.Path == "" {
			f.Path = at.Path
		}
		d.findings = append(d.findings, f)
	}
}

// Value compares two values given as text; "" means absent on that side.
// A missing value weakens; an unexpected one is neutral unless rule is
// AnyWeakens; a changed one follows rule (AnyWeakens for text).
func (d *Diff) Value(at At, name, expected, actual string, rule Rule) {
	if expected == actual {
		d.Add(at, name)
		return
	}
	f := Finding{Expected: expected, Actual: actual}
	switch {
	case actual == "":
		f.Direction, f.Severity = Missing, Weakening
		f.Message = fmt.Sprintf("%s is missing in live (policy expects %q)", name, expected)
	case expected == "":
		f.Direction, f.Severity = Unexpected, Neutral
		if rule == AnyWeakens {
			f.Severity = Weakening
		}
		f.Message = fmt.Sprintf("%s is set in live (%q) but not by the policy", name, actual)
	default:
		f.Direction, f.Severity = Changed, Weakening
		f.Message = fmt.Sprintf("%s changed: policy expects %q, live has %q", name, expected, actual)
	}
	d.Add(at, name, f)
}

// Number compares two numbers; unlimited (a negative value) is larger
// than any other. show formats a number for messages.
func (d *Diff) Number(at At, name string, expected, actual int64, rule Rule, show func(int64) string) {
	if expected == actual {
		d.Add(at, name)
		return
	}
	higher := actual < 0 || (expected >= 0 && actual > expected)
	sev := Strengthening
	if rule == AnyWeakens || (rule == HigherWeakens) == higher {
		sev = Weakening
	}
	word := "lower"
	if higher {
		word = "higher"
	}
	d.Add(at, name, Finding{Direction: Changed, Severity: sev, Expected: show(expected), Actual: show(actual),
		Message: fmt.Sprintf("%s is %s in live: policy expects %s, live has %s", name, word, show(expected), show(actual))})
}

// Set compares two sets of members, ignoring order and duplicates. With
// HigherWeakens, a member only live has weakens (it allows more) and one
// only the policy has strengthens; with LowerWeakens the reverse; with
// AnyWeakens both weaken. One finding per differing member.
func (d *Diff) Set(at At, name string, expected, actual []string, rule Rule) {
	exp, act := uniq(expected), uniq(actual)
	var fs []Finding
	for _, m := range exp {
		if !slices.Contains(act, m) {
			sev := Weakening
			if rule == HigherWeakens {
				sev = Strengthening
			}
			fs = append(fs, Finding{Direction: Missing, Severity: sev, Expected: m, Path: at.Path,
				Message: fmt.Sprintf("%s: %q is missing in live (policy: %s; live: %s)", name, m, join(exp), join(act))})
		}
	}
	for _, m := range act {
		if !slices.Contains(exp, m) {
			sev := Weakening
			if rule == LowerWeakens {
				sev = Strengthening
			}
			fs = append(fs, Finding{Direction: Unexpected, Severity: sev, Actual: m, Path: at.Path,
				Message: fmt.Sprintf("%s: %q is in live but not in the policy (policy: %s; live: %s)", name, m, join(exp), join(act))})
		}
	}
	d.Add(at, name, fs...)
}

// uniq returns the sorted distinct members of ss.
func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// join shows a set for messages.
func join(ss []string) string {
	if len(ss) == 0 {
		return "(none)"
	}
	return strings.Join(ss, " ")
}
