package posture

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// Change is one difference between BASE and HEAD.
type Change struct {
	drift.Finding
	// AcceptedBy says what accepts a weakening ("waiver … approved by …",
	// "--allow-weakening"); empty for an unaccepted weakening and for
	// other changes.
	AcceptedBy string `json:"acceptedBy,omitempty"`
	// scope is the route's words in Message ("on POST /login"), so that
	// printers can fold one inherited change across routes into one line.
	scope string
}

// Weakening reports whether the change weakens the posture.
func (c Change) Weakening() bool { return c.Severity == drift.Weakening }

// Report is the posture difference between two policies.
type Report struct {
	// Base and Head label the two sides (directories or a git revision).
	Base string `json:"base"`
	Head string `json:"head"`
	// Policy is HEAD's policy name.
	Policy string `json:"policy"`
	// Changes are sorted by severity (weakenings first), then position.
	Changes []Change `json:"changes"`
	// Compared counts the comparisons made; Unchanged those without change.
	Compared  int `json:"compared"`
	Unchanged int `json:"unchanged"`
}

// Counts returns the number of weakenings, strengthenings and neutral
// changes.
func (r *Report) Counts() (weakened, strengthened, neutral int) {
	for _, c := range r.Changes {
		switch c.Severity {
		case drift.Weakening:
			weakened++
		case drift.Strengthening:
			strengthened++
		default:
			neutral++
		}
	}
	return weakened, strengthened, neutral
}

// Unaccepted returns the weakenings nothing accepts.
func (r *Report) Unaccepted() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Weakening() && c.AcceptedBy == "" {
			out = append(out, c)
		}
	}
	return out
}

// Compare compares base with head. Both must be valid, compiled policies.
func Compare(base, head *ir.Policy) *Report {
	d := &differ{base: base, head: head, fallback: policyOrigin(head)}
	d.policy()
	d.listeners()
	d.providers()
	d.services()
	r := &Report{Policy: head.Name, Changes: d.out, Compared: d.compared, Unchanged: d.compared - d.changed}
	r.sort()
	return r
}

var severityRank = map[drift.Severity]int{drift.Weakening: 0, drift.Strengthening: 1, drift.Neutral: 2}

func (r *Report) sort() {
	slices.SortStableFunc(r.Changes, func(a, b Change) int {
		return cmp.Or(
			cmp.Compare(severityRank[a.Severity], severityRank[b.Severity]),
			cmp.Compare(a.Origin.File, b.Origin.File),
			cmp.Compare(a.Origin.Line, b.Origin.Line),
			cmp.Compare(a.Origin.Col, b.Origin.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// differ walks both policies and collects changes.
type differ struct {
	base, head *ir.Policy
	out        []Change
	// compared counts comparisons; changed those that found a change.
	compared, changed int
	// fallback is where policy-wide changes without a position of their
	// own point: HEAD's policy.cue (or first file).
	fallback ir.Origin
}

// where is the scope a change is reported in.
type where struct {
	route, listener string
	// label names the scope in messages: "on POST /login", "on listener api".
	label string
	// scope is "on METHODS PATH" for a route's changes.
	scope  string
	origin ir.Origin
}

// compare counts one comparison; it returns changed unchanged so callers
// can write `if !d.compare(a != b) { return }`.
func (d *differ) compare(changed bool) bool {
	d.compared++
	if changed {
		d.changed++
	}
	return changed
}

// add records a change.
func (d *differ) add(w where, sev drift.Severity, dir drift.Direction, ctl, path, expected, actual, format string, args ...any) {
	o := w.origin
	if o.File == "" {
		o = d.fallback
	}
	d.out = append(d.out, Change{Finding: drift.Finding{
		Control: ctl, Target: "*", Route: w.route, Listener: w.listener, Direction: dir, Severity: sev,
		Path: path, Expected: expected, Actual: actual, Message: fmt.Sprintf(format, args...), Origin: o,
	}, scope: w.scope})
}

// policyOrigin is HEAD's policy.cue, or the first file of the policy, as
// an origin without a line, for changes that have no position of their
// own (a baseline no longer imported).
func policyOrigin(p *ir.Policy) ir.Origin {
	dir := ""
	for _, l := range p.Listeners {
		if l.Origin.File != "" {
			dir = filepath.Dir(l.Origin.File)
			break
		}
	}
	for _, s := range p.Sources {
		if s.File == "policy.cue" {
			return ir.Origin{File: filepath.Join(dir, s.File)}
		}
	}
	if len(p.Sources) > 0 {
		return ir.Origin{File: filepath.Join(dir, p.Sources[0].File)}
	}
	return ir.Origin{}
}
