package report

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets"
)

// Input is what a report assesses.
type Input struct {
	// Policy is the compiled policy; it is not modified.
	Policy *ir.Policy
	// Framework is a framework id (FrameworkIDs).
	Framework string
	// Targets are the targets whose capabilities and artifacts are evidence,
	// normally targets.Deployed(Policy).
	Targets []targets.Target
	// Runs are drift and probe results (drift.ReadJSON).
	Runs []drift.Result
	// Timestamp, if not zero, is printed as the report's time; otherwise no
	// time appears in the report.
	Timestamp time.Time
	// Today is the date waivers are checked against; zero means the current
	// date, which then does not appear in the report (so that the bytes do
	// not depend on the wall clock).
	Today time.Time
}

// Assess evaluates every control of the framework against the policy.
func Assess(ctx context.Context, in Input) (*Report, error) {
	fw, err := FrameworkByID(in.Framework)
	if err != nil {
		return nil, err
	}
	p := in.Policy
	today, shown := in.Today.UTC().Format(time.DateOnly), in.Today.UTC().Format(time.DateOnly)
	if in.Today.IsZero() {
		today, shown = time.Now().UTC().Format(time.DateOnly), ""
	}
	rep := &Report{
		Framework: FrameworkInfo{ID: fw.ID, Title: fw.Title, Version: CatalogueVersion, Link: fw.Link, Catalog: cmp.Or(fw.Catalog, fw.Link), Notice: fw.Notice},
		Policy: PolicyInfo{Name: p.Name, Owner: p.Owner, Purpose: p.Purpose, Baselines: p.Baselines, Sources: p.Sources,
			ImportsBaseline: slices.ContainsFunc(p.Baselines, func(b ir.Baseline) bool { return b.ID == fw.ID }), Deploy: p.DeclaredTargets()},
		Timestamp:  rfc3339(in.Timestamp),
		AssessedOn: shown,
		Waivers:    waivers(p, today, in.Targets),
		Runs:       runs(in.Runs),
	}
	e := newEnv(p, in.Runs)
	rep.Scopes = e.all
	built := map[string]targets.Capabilities{}
	for _, t := range in.Targets {
		rt, caps := assessTarget(ctx, t, p)
		rep.Targets = append(rep.Targets, rt)
		if rt.Built {
			built[t.Name()] = caps
		}
	}
	a := &assessor{e: e, fw: fw, rep: rep, caps: built, targets: in.Targets, cache: map[string]outcome{}}
	for _, c := range fw.Controls {
		rep.Controls = append(rep.Controls, a.control(c))
	}
	rep.Summary = summarise(rep.Controls)
	rep.TOMs = toms(e)
	return rep, nil
}

// assessTarget checks and builds one target in memory.
func assessTarget(ctx context.Context, t targets.Target, p *ir.Policy) (Target, targets.Capabilities) {
	caps := t.Capabilities(p)
	out := Target{Name: t.Name(), Artifacts: []Artifact{}, Mechanisms: map[string]string{}}
	for _, n := range p.Needs() {
		if s, ok := caps[n.Control]; ok {
			m := s.Mechanism
			if s.Delegated {
				m += " (delegated to rampart's authorizer)"
			}
			out.Mechanisms[n.Control] = m
		} else {
			out.Mechanisms[n.Control] = "not enforced"
		}
	}
	if ds := targets.Check(t, p); ds.HasErrors() {
		out.Problem = firstError(ds)
		return out, caps
	}
	arts, err := t.Build(ctx, p)
	if err != nil {
		out.Problem = "build failed: " + err.Error()
		return out, caps
	}
	out.Built = true
	for _, a := range arts {
		sum := sha256.Sum256(a.Data)
		out.Artifacts = append(out.Artifacts, Artifact{Path: a.Path, SHA256: hex.EncodeToString(sum[:]), Bytes: len(a.Data)})
	}
	return out, caps
}

// firstError summarises capability errors.
func firstError(ds diag.List) string {
	n := 0
	first := ""
	for _, d := range ds {
		if d.Severity == diag.Error {
			if n == 0 {
				first = d.Message
			}
			n++
		}
	}
	if n == 1 {
		return first
	}
	return fmt.Sprintf("%s (and %d more)", first, n-1)
}

// waivers converts the policy's waivers; expired ones and those for a
// target the report does not assess are flagged.
func waivers(p *ir.Policy, today string, ts []targets.Target) []Waiver {
	out := []Waiver{}
	for _, w := range p.Waivers {
		assessed := w.Target == "*" || slices.ContainsFunc(ts, func(t targets.Target) bool { return t.Name() == w.Target })
		out = append(out, Waiver{Control: w.Control, Target: w.Target, Route: w.Route, Reason: w.Reason,
			Approver: w.Approver, Expires: w.Expires, Expired: w.Expires < today, TargetNotAssessed: !assessed, At: at(w.Origin)})
	}
	return out
}

// runs summarises drift and probe results.
func runs(rs []drift.Result) []Run {
	out := []Run{}
	for _, r := range rs {
		run := Run{Kind: r.Kind, Target: r.Target, Source: r.Source, Checks: len(r.Checks), Findings: len(r.Findings)}
		for _, c := range r.Checks {
			if c.Passed {
				run.Passed++
			}
		}
		out = append(out, run)
	}
	return out
}

// assessor evaluates controls, running each check once.
type assessor struct {
	e       *env
	fw      Framework
	rep     *Report
	caps    map[string]targets.Capabilities // built targets only
	targets []targets.Target
	cache   map[string]outcome
}

// run evaluates a check by name.
func (a *assessor) run(name string) outcome {
	if o, ok := a.cache[name]; ok {
		return o
	}
	f, ok := checks[name]
	if !ok {
		panic("report: catalogue names unknown check " + name)
	}
	o := f(a.e)
	a.cache[name] = o
	return o
}

// control assesses one catalogue control.
func (a *assessor) control(c CatalogueControl) Control {
	out := Control{ID: c.ID, TokenID: a.fw.TokenID(c.ID), Title: c.Title, Strength: c.Strength,
		Evidence: []Evidence{}, Causes: []string{}, IRControls: []string{}, EnforcedBy: []string{}, Waivers: []Waiver{}, Routes: map[string]string{}}
	if len(c.Checks) == 0 {
		out.Status, out.Note = NotAssessed, "no check: "+cmp.Or(c.Unassessable, "a gateway configuration cannot show this control")
		return out
	}
	var items []item
	var notRun []string
	for _, name := range c.Checks {
		o := a.run(name)
		if o.notRun != "" {
			notRun = append(notRun, o.notRun)
		}
		items = append(items, o.items...)
	}
	out.IRControls = irControls(items)
	items = append(items, a.runItems(out.IRControls)...)
	items = append(items, a.gaps(items, &out)...)
	a.fill(&out, items)
	a.decide(&out, c, items, notRun)
	return out
}

// irControls lists the rampart controls items rely on, sorted.
func irControls(items []item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.irctls...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runItems turns drift and probe results on ctls into items.
func (a *assessor) runItems(ctls []string) []item {
	var out []item
	for _, r := range a.e.runs {
		for _, f := range r.Findings {
			if !slices.Contains(ctls, f.Control) {
				continue
			}
			v := f.Message
			if f.Expected != "" || f.Actual != "" {
				v += fmt.Sprintf(" (expected %q, live %q)", f.Expected, f.Actual)
			}
			// Fail closed: only a finding the run itself calls a
			// strengthening or neutral passes; a weakening, or a severity
			// this version does not know, fails.
			passed := f.Severity == drift.Strengthening || f.Severity == drift.Neutral
			if !passed && f.Severity != drift.Weakening {
				v += fmt.Sprintf(" (unknown severity %q: counted as a failure)", f.Severity)
			}
			out = append(out, item{check: r.Kind + "." + string(f.Direction), scope: runScope(r, f.Route, f.Listener), route: f.Route,
				passed: passed, value: v, origin: f.Origin, covers: a.routeOrAll(f.Route), source: r.Kind})
		}
		for _, c := range r.Checks {
			if !slices.Contains(ctls, c.Control) {
				continue
			}
			switch {
			case c.Passed:
				out = append(out, item{check: r.Kind + ".check", scope: runScope(r, c.Route, ""), route: c.Route,
					passed: true, value: c.Name, covers: a.routeOrAll(c.Route), source: r.Kind})
			case !hasFinding(r, c):
				// A failed check normally explains itself with findings,
				// judged above; one without any still failed.
				out = append(out, item{check: r.Kind + ".check", scope: runScope(r, c.Route, ""), route: c.Route,
					value: c.Name + ": failed, with no finding to say how", covers: a.routeOrAll(c.Route), source: r.Kind})
			}
		}
	}
	return out
}

// hasFinding reports whether run r has a finding on failed check c's
// control (and route, when c names one).
func hasFinding(r drift.Result, c drift.Check) bool {
	return slices.ContainsFunc(r.Findings, func(f drift.Finding) bool {
		return f.Control == c.Control && (c.Route == "" || f.Route == c.Route)
	})
}

// runScope names where a drift or probe item applies: "drift nginx
// route orders/list", "probe goproxy listener public", "drift nginx".
func runScope(r drift.Result, route, listener string) string {
	s := r.Kind
	if r.Target != "" {
		s += " " + r.Target
	}
	switch {
	case route != "":
		s += " route " + route
	case listener != "":
		s += " listener " + listener
	}
	return s
}

// routeOrAll is [route], or every route when route is empty.
func (a *assessor) routeOrAll(route string) []string {
	if route == "" {
		return a.e.all
	}
	return []string{route}
}

// gaps finds, for every item's rampart control, the targets that cannot
// enforce it: a valid waiver marks the control waived; an expired one
// does not count and the gap is a failure at the waiver's position.
func (a *assessor) gaps(items []item, c *Control) []item {
	var out []item
	seen := map[string]bool{}
	for _, it := range items {
		for _, ctl := range it.irctls {
			for _, t := range a.targets {
				caps, ok := a.caps[t.Name()]
				if !ok {
					caps = t.Capabilities(a.e.p)
				}
				if _, ok := caps[ctl]; ok {
					continue
				}
				w, found := a.waiverFor(ctl, t.Name(), it.route)
				if !found {
					continue
				}
				key := ctl + "|" + t.Name() + "|" + w.Route + "|" + w.Expires
				if seen[key] {
					continue
				}
				seen[key] = true
				c.Waivers = append(c.Waivers, w)
				gap := item{check: "waiver", scope: "target " + t.Name(), route: w.Route, covers: a.routeOrAll(w.Route), waived: !w.Expired,
					value: fmt.Sprintf("%s not enforced by %s; waived by %s until %s: %s", ctl, t.Name(), w.Approver, w.Expires, w.Reason)}
				gap.at = w.At
				if w.Expired {
					gap.value = fmt.Sprintf("%s not enforced by %s; the waiver expired on %s and does not count", ctl, t.Name(), w.Expires)
				}
				out = append(out, gap)
			}
		}
	}
	return out
}

// waiverFor finds the report's waiver covering ctl on target for route,
// preferring one that has not expired.
func (a *assessor) waiverFor(ctl, target, route string) (Waiver, bool) {
	var found Waiver
	ok := false
	for _, w := range a.rep.Waivers {
		iw := ir.Waiver{Control: w.Control, Target: w.Target, Route: w.Route}
		if iw.Covers(ctl, target, route) && (!ok || found.Expired && !w.Expired) {
			found, ok = w, true
		}
	}
	return found, ok
}
