package posture

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/drift"
)

// Summary returns "N weakened (M accepted), N strengthened, N neutral, N
// unchanged".
func (r *Report) Summary() string {
	w, s, n := r.Counts()
	acc := w - len(r.Unaccepted())
	return fmt.Sprintf("%d weakened (%d accepted), %d strengthened, %d neutral, %d unchanged", w, acc, s, n, r.Unchanged)
}

// verdict is the word a change ends with: "weakened", "strengthened", "neutral".
func verdict(c Change) string {
	switch c.Severity {
	case drift.Weakening:
		return "weakened"
	case drift.Strengthening:
		return "strengthened"
	}
	return "neutral"
}

// line is a change in plain words with its verdict and route.
func line(c Change) string { return groupLine(group{Change: c, routes: routeList(c.Route)}) }

// groupLine is a (folded) change in plain words with its verdict and, for
// a single route, the route's ID.
func groupLine(g group) string {
	c := g.Change
	s := c.Message
	if len(g.routes) == 1 && !strings.Contains(s, c.Route) {
		s += " [" + c.Route + "]"
	}
	v := verdict(c)
	if c.AcceptedBy != "" {
		v += ", accepted by " + c.AcceptedBy
	}
	return s + " (" + v + ")"
}

// WriteText writes one line per change, "file:line:col: message
// (verdict)", weakenings first, then a summary.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "rampart diff %s → %s (policy %s)\n", r.Base, r.Head, r.Policy)
	for _, g := range r.groups() {
		fmt.Fprintf(w, "%s: %s\n", posOf(g.Change), groupLine(g))
	}
	fmt.Fprintf(w, "%s\n", r.Summary())
	if n := len(r.Unaccepted()); n > 0 {
		_, err := fmt.Fprintf(w, "%d %s not accepted by a waiver (use --allow-weakening to accept)\n", n, plural(n, "weakening", "weakenings"))
		return err
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// posOf is the change's HEAD position as file:line:col.
func posOf(c Change) diag.Pos {
	return diag.Pos{File: c.Origin.File, Line: c.Origin.Line, Col: c.Origin.Col}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// markdownIcons mark each kind of change in a PR comment.
var markdownIcons = map[string]string{
	"weakened": "🔴 weakened", "accepted": "🟡 weakened (accepted)", "strengthened": "🟢 strengthened", "neutral": "⚪ neutral",
}

// WriteMarkdown writes the report as a pull-request comment: a summary
// and one table row per change. Every value from the policy is escaped,
// so a path or header cannot break the table or inject markup.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "### rampart diff: %s\n\n", mdEscape(r.Policy))
	fmt.Fprintf(w, "`%s` → `%s`: **%s**\n\n", mdCode(r.Base), mdCode(r.Head), r.Summary())
	if n := len(r.Unaccepted()); n > 0 {
		fmt.Fprintf(w, "> [!WARNING]\n> %d %s no waiver accepts: this check fails until a waiver (target `*`) or `--allow-weakening` accepts %s.\n\n",
			n, plural(n, "weakening", "weakenings"), plural(n, "it", "them"))
	}
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintf(w, "No change to the security posture (%d comparisons).\n", r.Compared)
		return err
	}
	fmt.Fprintf(w, "| | Change | Where |\n|---|---|---|\n")
	for _, g := range r.groups() {
		c := g.Change
		kind := verdict(c)
		msg := mdEscape(c.Message)
		if c.AcceptedBy != "" {
			kind = "accepted"
			msg += " — accepted by " + mdEscape(c.AcceptedBy)
		}
		where := "`" + mdCode(posOf(c).String()) + "`"
		if len(g.routes) > 0 {
			where += " " + mdEscape(strings.Join(g.routes, ", "))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", markdownIcons[kind], msg, where)
	}
	return nil
}

// mdEscape escapes text for a Markdown table cell: backslash-escapes
// Markdown punctuation and the cell separator, HTML-escapes tags, and
// folds line breaks.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_{}[]()#+-.!|~", r):
			b.WriteRune('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a `code span` in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", "\\|", "\n", " ", "\r", " ").Replace(s)
}

// Diagnostics returns the changes as diagnostics at HEAD's positions
// (RMP700 weakened, RMP701 accepted, RMP702 strengthened, RMP703 neutral),
// for the SARIF and GitHub printers.
func (r *Report) Diagnostics() diag.List {
	var out diag.List
	for _, c := range r.Changes {
		d := diag.Diagnostic{Pos: posOf(c), Message: line(c), Path: c.Path, Control: c.Control}
		switch {
		case c.Weakening() && c.AcceptedBy == "":
			d.Severity, d.Code = diag.Error, diag.CodeWeakened
		case c.Weakening():
			d.Severity, d.Code = diag.Warning, diag.CodeWeakenedAccepted
		case c.Severity == drift.Strengthening:
			d.Severity, d.Code = diag.Info, diag.CodeStrengthened
		default:
			d.Severity, d.Code = diag.Info, diag.CodePostureChanged
		}
		out = append(out, d)
	}
	return out
}
