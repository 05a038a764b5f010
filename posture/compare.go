package posture

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-policy/rampart/drift"
)

// strength says which way a number is stronger.
type strength int

const (
	// lowerStronger: a lower number is stronger and 0 means unlimited,
	// the weakest (size limits, timeouts, token age).
	lowerStronger strength = iota
	// higherStronger: a higher number is stronger and 0 means off
	// (HSTS max-age, retention, lockout).
	higherStronger
	// lowerStrongerZero: a lower number is stronger and 0 is a literal
	// zero, the strongest (clock skew, cache lifetime).
	lowerStrongerZero
)

// rank maps a number to a scale on which higher is stronger.
func (s strength) rank(n int) float64 {
	switch s {
	case lowerStronger:
		if n == 0 {
			return math.Inf(-1)
		}
		return -float64(n)
	case higherStronger:
		return float64(n)
	}
	return -float64(n)
}

// severity of a move from rank a to rank b.
func severityOf(a, b float64) drift.Severity {
	switch {
	case b > a:
		return drift.Strengthening
	case b < a:
		return drift.Weakening
	}
	return drift.Neutral
}

// number compares one number; show formats a value for messages.
func (d *differ) number(w where, ctl, path, what string, b, h int, s strength, show func(int) string) {
	if !d.compare(b != h) {
		return
	}
	sev := severityOf(s.rank(b), s.rank(h))
	switch {
	case b == 0 && s != lowerStrongerZero:
		d.add(w, sev, drift.Unexpected, ctl, path, "", show(h), "%s%s set to %s (was unset)", what, on(w), show(h))
	case h == 0 && s != lowerStrongerZero:
		d.add(w, sev, drift.Missing, ctl, path, show(b), "", "%s%s removed (was %s)", what, on(w), show(b))
	default:
		verb := "raised"
		if h < b {
			verb = "lowered"
		}
		d.add(w, sev, drift.Changed, ctl, path, show(b), show(h), "%s%s %s %s → %s", what, on(w), verb, show(b), show(h))
	}
}

// flag compares one boolean; strongWhen is the stronger value, and the
// messages say what HEAD now does.
func (d *differ) flag(w where, ctl, path string, b, h, strongWhen bool, nowTrue, nowFalse string) {
	if !d.compare(b != h) {
		return
	}
	sev := drift.Weakening
	if h == strongWhen {
		sev = drift.Strengthening
	}
	msg := nowFalse
	if h {
		msg = nowTrue
	}
	d.add(w, sev, drift.Changed, ctl, path, strconv.FormatBool(b), strconv.FormatBool(h), "%s", msg)
}

// text compares a value whose change is neither stronger nor weaker.
func (d *differ) text(w where, ctl, path, what, b, h string) {
	if !d.compare(b != h) {
		return
	}
	d.add(w, drift.Neutral, drift.Changed, ctl, path, b, h, "%s%s changed %s → %s", what, on(w), orNone(b), orNone(h))
}

// ordered compares a value on a scale (TLS versions, classifications):
// scale lists values from weakest to strongest.
func (d *differ) ordered(w where, ctl, path, what, b, h string, scale []string) {
	if !d.compare(b != h) {
		return
	}
	bi, hi := slices.Index(scale, b), slices.Index(scale, h)
	sev, verb := drift.Neutral, "changed"
	switch {
	case bi < 0 || hi < 0:
	case hi > bi:
		sev, verb = drift.Strengthening, "raised"
	case hi < bi:
		sev, verb = drift.Weakening, "lowered"
	}
	d.add(w, sev, drift.Changed, ctl, path, b, h, "%s%s %s %s → %s", what, on(w), verb, orNone(b), orNone(h))
}

// set compares two sets of names: what HEAD adds has severity addSev
// (a weakening for more origins, methods, algorithms), what it removes the
// opposite.
func (d *differ) set(w where, ctl, path, what string, b, h []string, addSev drift.Severity) {
	added, removed := setDiff(b, h)
	if !d.compare(len(added)+len(removed) > 0) {
		return
	}
	remSev := opposite(addSev)
	if len(added) > 0 {
		d.add(w, addSev, drift.Unexpected, ctl, path, "", list(added), "%s%s gained %s", what, on(w), list(added))
	}
	if len(removed) > 0 {
		d.add(w, remSev, drift.Missing, ctl, path, list(removed), "", "%s%s lost %s", what, on(w), list(removed))
	}
}

// opposite returns the reverse severity.
func opposite(s drift.Severity) drift.Severity {
	switch s {
	case drift.Weakening:
		return drift.Strengthening
	case drift.Strengthening:
		return drift.Weakening
	}
	return drift.Neutral
}

// setDiff returns the elements only in h (added) and only in b (removed),
// sorted.
func setDiff(b, h []string) (added, removed []string) {
	for _, x := range h {
		if !slices.Contains(b, x) && !slices.Contains(added, x) {
			added = append(added, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(h, x) && !slices.Contains(removed, x) {
			removed = append(removed, x)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// on is " on LABEL", or empty for policy-wide scopes.
func on(w where) string {
	if w.label == "" {
		return ""
	}
	return " " + w.label
}

func list(xs []string) string { return strings.Join(xs, ", ") }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// count formats a number with a unit; 0 is "unset".
func count(unit string) func(int) string {
	return func(n int) string {
		if n == 0 {
			return "unset"
		}
		return strconv.Itoa(n) + " " + unit
	}
}

// literal formats a number with a unit; 0 is "0 unit".
func literal(unit string) func(int) string {
	return func(n int) string { return strconv.Itoa(n) + " " + unit }
}
