package report

import (
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Matrix cell values.
const (
	cellPass   = "pass"
	cellFail   = "fail"
	cellWaived = "waived"
)

// fill records items as evidence, causes, coverage cells and enforcing
// targets.
func (a *assessor) fill(c *Control, items []item) {
	rank := map[string]int{cellPass: 1, cellWaived: 2, cellFail: 3}
	for _, it := range items {
		ev := Evidence{Check: it.check, Scope: it.scope, Route: it.route, Passed: it.passed, Waived: it.waived, Value: it.value, At: it.at, Source: it.source}
		if ev.At == "" {
			ev.At = at(it.origin)
		}
		if ev.Source == "" {
			ev.Source = "policy"
		}
		c.Evidence = append(c.Evidence, ev)
		cell := cellPass
		switch {
		case it.waived:
			cell = cellWaived
		case !it.passed:
			cell = cellFail
			c.Causes = append(c.Causes, cause(ev))
		}
		for _, r := range it.covers {
			if rank[cell] > rank[c.Routes[r]] {
				c.Routes[r] = cell
			}
		}
	}
	if len(c.IRControls) == 0 {
		return
	}
	for _, t := range a.targets {
		caps, ok := a.caps[t.Name()]
		if !ok {
			continue
		}
		all := true
		for _, ctl := range c.IRControls {
			if _, ok := caps[ctl]; !ok {
				all = false
			}
		}
		if all {
			c.EnforcedBy = append(c.EnforcedBy, t.Name())
		}
	}
}

// cause formats a failed item: "file:line: scope: value".
func cause(ev Evidence) string {
	s := ev.Scope + ": " + ev.Value
	if ev.At != "" {
		return ev.At + ": " + s
	}
	return s
}

// decide sets the control's status and note from its items.
func (a *assessor) decide(c *Control, cat CatalogueControl, items []item, notRun []string) {
	failed, waived := false, false
	for _, it := range items {
		switch {
		case it.waived:
			waived = true
		case !it.passed:
			failed = true
		}
	}
	switch {
	case len(items) == 0 && len(notRun) > 0:
		c.Status, c.Note = NotAssessed, "not assessed: "+strings.Join(notRun, "; ")
	case len(items) == 0:
		c.Status, c.Note = NotApplicable, "nothing in the policy falls under this control"
	case failed:
		c.Status, c.Note = NotSatisfied, "at least one check failed; see the causes"
	case waived:
		c.Status, c.Note = Waived, "a target does not enforce part of this control and a waiver excuses it; a waived control is not a pass"
	case cat.Strength == Direct && len(notRun) == 0:
		c.Status, c.Note = Satisfied, "every check passed and the configuration shows the control directly"
	case cat.Strength == Supporting:
		c.Status, c.Note = PartiallySatisfied, "every check passed, but the configuration only supports this control; the rest is process"
	default:
		c.Status, c.Note = PartiallySatisfied, "every check passed; the configuration shows the mechanism, process or runtime facts complete the control"
	}
}

// summarise counts statuses and computes the score (ScoreFormula).
func summarise(cs []Control) Summary {
	s := Summary{Total: len(cs), Counts: map[Status]int{}, Formula: ScoreFormula}
	for _, st := range Statuses {
		s.Counts[st] = 0
	}
	for _, c := range cs {
		s.Counts[c.Status]++
	}
	den := s.Counts[Satisfied] + s.Counts[PartiallySatisfied] + s.Counts[NotSatisfied] + s.Counts[Waived]
	if den > 0 {
		s.HasScore = true
		s.Score = (float64(s.Counts[Satisfied]) + 0.5*float64(s.Counts[PartiallySatisfied])) / float64(den)
	}
	return s
}

// toms describes each service's technical measures for a record of
// processing activities (GDPR Art. 30(1)(g)).
func toms(e *env) []TOM {
	out := []TOM{}
	for _, s := range e.p.Services {
		t := TOM{Service: s.Name, Purpose: s.Purpose, Classification: s.Classification, DataCategories: append([]string{}, s.DataCategories...)}
		t.Measures = append(t.Measures, tlsMeasure(e.p, s))
		t.Measures = append(t.Measures, routeMeasures(s)...)
		t.Measures = append(t.Measures, logMeasure(e.p.Logging))
		out = append(out, t)
	}
	return out
}

// tlsMeasure describes encryption in transit for a service.
func tlsMeasure(p *ir.Policy, s *ir.Service) string {
	var parts []string
	for _, l := range p.Listeners {
		for _, name := range s.Listeners {
			if name == l.Name && l.TLS != nil {
				parts = append(parts, "listener "+l.Name+" TLS "+l.TLS.MinVersion+"–"+l.TLS.MaxVersion)
			} else if name == l.Name {
				parts = append(parts, "listener "+l.Name+" plaintext")
			}
		}
	}
	up := "upstream without verified TLS"
	if s.UpstreamTLS != nil && s.UpstreamTLS.Verify {
		up = "upstream over verified TLS"
	}
	return "Encryption in transit: " + strings.Join(parts, ", ") + "; " + up
}

// routeMeasures describes access control and availability measures.
func routeMeasures(s *ir.Service) []string {
	public, limited, bounded := 0, 0, 0
	providers := map[string]bool{}
	for _, r := range s.Routes {
		if r.Public {
			public++
		}
		if len(r.RateLimits) > 0 {
			limited++
		}
		if r.Limits.MaxBodyBytes > 0 {
			bounded++
		}
		for _, p := range r.Providers {
			providers[p] = true
		}
	}
	n := len(s.Routes)
	names := "no provider"
	if len(providers) > 0 {
		names = strings.Join(sortedKeys(providers), ", ")
	}
	return []string{
		"Access control: " + itoa(n-public) + " of " + itoa(n) + " routes require authentication (" + names + ") and role or scope rules; everything else is denied",
		"Availability: " + itoa(limited) + " of " + itoa(n) + " routes rate-limited, " + itoa(bounded) + " with a request body limit",
	}
}

// logMeasure describes logging and pseudonymisation.
func logMeasure(lg ir.Logging) string {
	if !lg.Enabled {
		return "Logging: access log disabled"
	}
	s := "Logging: access log to " + lg.Sink + ", retention " + itoa(lg.RetentionDays) + " days, " + itoa(len(lg.Redact)) + " values redacted, pseudonymised or dropped"
	if m := redactedAs(lg, "field", "identity"); m != "" {
		s += "; identity " + map[string]string{"hash": "pseudonymised (keyed hash)", "redact": "redacted", "drop": "dropped"}[m]
	}
	return s
}
