package drift

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// ANSI colours for text output on a terminal.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// WriteText writes results as a readable diff: per result a header line,
// then per finding a "-" (missing), "+" (unexpected) or "~" (changed)
// line naming the control and route, expected and actual values, and
// where the policy sets the control. color adds ANSI colours by severity.
func WriteText(w io.Writer, rs []Result, color bool) error {
	for i := range rs {
		rs[i].Sort()
		if err := writeResult(w, &rs[i], color); err != nil {
			return err
		}
	}
	return nil
}

func writeResult(w io.Writer, r *Result, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	status := paint(green, "no drift")
	if r.Drifted() {
		status = paint(red, fmt.Sprintf("%d finding(s), %d weakening", len(r.Findings), countWeakening(r)))
	}
	target := ""
	if r.Target != "" {
		target = ", target " + clean(r.Target)
	}
	if _, err := fmt.Fprintf(w, "%s %s: policy %q%s: %s (%d checks)\n",
		paint(bold, r.Kind), clean(r.Source), r.Policy, target, status, len(r.Checks)); err != nil {
		return err
	}
	for _, f := range r.Findings {
		if err := writeFinding(w, f, paint); err != nil {
			return err
		}
	}
	return nil
}

func writeFinding(w io.Writer, f Finding, paint func(c, s string) string) error {
	where := f.Route
	if where == "" {
		where = f.Listener
	}
	if where == "" {
		where = "policy"
	}
	head := fmt.Sprintf("%s %s [%s] %s, %s", marks[f.Direction], clean(f.Control), clean(where), f.Direction, f.Severity)
	fmt.Fprintf(w, "  %s\n", paint(colours[f.Severity], head))
	fmt.Fprintf(w, "      %s\n", clean(f.Message))
	if f.Path != "" {
		fmt.Fprintf(w, "      at:       %s\n", clean(f.Path))
	}
	if f.Expected != "" {
		fmt.Fprintf(w, "      expected: %s\n", clean(f.Expected))
	}
	if f.Actual != "" {
		fmt.Fprintf(w, "      actual:   %s\n", clean(f.Actual))
	}
	_, err := fmt.Fprintf(w, "      policy:   %s\n", clean(originText(f.Origin)))
	return err
}

// clean escapes control characters: live values come from the gateway,
// and a crafted one must not move the cursor or recolour a terminal.
func clean(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// CleanLines escapes control characters but newlines, for messages of
// several lines (errors) that carry text from a live gateway.
func CleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

var marks = map[Direction]string{Missing: "-", Unexpected: "+", Changed: "~"}

var colours = map[Severity]string{Weakening: red, Strengthening: green, Neutral: yellow}

// originText shows where the policy sets a control.
func originText(o ir.Origin) string {
	s := "(no position)"
	if o.File != "" {
		s = fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Col)
	}
	if o.Path != "" {
		s += " " + o.Path
	}
	if o.Baseline != "" {
		s += " (baseline " + o.Baseline + ")"
	}
	return s
}

func countWeakening(r *Result) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == Weakening {
			n++
		}
	}
	return n
}
