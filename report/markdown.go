package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report for pull requests and wikis.
func WriteMarkdown(w io.Writer, r *Report) error {
	b := bufio.NewWriter(w)
	mdHeader(b, r)
	mdSummary(b, r)
	mdControls(b, r)
	mdEvidence(b, r)
	mdWaivers(b, r)
	mdTargets(b, r)
	mdRuns(b, r)
	mdSources(b, r)
	return b.Flush()
}

// mdEscaper escapes Markdown syntax in values taken from the policy.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`,
	"`", "\\`", "[", `\[`, "]", `\]`, "#", `\#`, "\n", " ")

// md escapes a value for Markdown text or a table cell.
func md(s string) string { return mdEscaper.Replace(s) }

// code puts a value in a code span (backticks cannot occur in it).
func code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "\n", " ", "|", "/").Replace(s) + "`"
}

// mdHeader writes the title and what was assessed.
func mdHeader(b *bufio.Writer, r *Report) {
	fmt.Fprintf(b, "# Compliance report: %s\n\n", md(r.Framework.Title))
	fmt.Fprintf(b, "- Policy: **%s** (owner: %s)\n", md(r.Policy.Name), md(r.Policy.Owner))
	fmt.Fprintf(b, "- Framework: `%s`, rampart catalogue %s, standard: <%s>\n", r.Framework.ID, r.Framework.Version, r.Framework.Link)
	fmt.Fprintf(b, "- Targets assessed: %s\n", md(r.TargetScope()))
	fmt.Fprintf(b, "- Waivers checked against: %s\n", assessedOn(r))
	if r.Timestamp != "" {
		fmt.Fprintf(b, "- Report time: %s\n", r.Timestamp)
	}
	fmt.Fprintf(b, "- %s\n", baselineNote(r))
	if r.Framework.Notice != "" {
		fmt.Fprintf(b, "\n> %s\n", md(r.Framework.Notice))
	}
	b.WriteString("\n")
}

// assessedOn is the date waivers were checked against, in words.
func assessedOn(r *Report) string {
	if r.AssessedOn == "" {
		return "the day the report was made (not recorded: pass --timestamp or set RAMPART_TODAY to record it)"
	}
	return r.AssessedOn
}

// baselineNote says whether the policy imports the framework's baseline.
func baselineNote(r *Report) string {
	if r.Policy.ImportsBaseline {
		return "The policy imports rampart's " + r.Framework.ID + " baseline: a policy change cannot weaken its constraints."
	}
	return "The policy does not import a " + r.Framework.ID + " baseline: the checks below assess its configuration as it is, and nothing stops a change from weakening it."
}

// mdSummary writes the status counts, score and formula.
func mdSummary(b *bufio.Writer, r *Report) {
	b.WriteString("## Summary\n\n| status | controls |\n|---|---:|\n")
	for _, st := range Statuses {
		fmt.Fprintf(b, "| %s | %d |\n", st, r.Summary.Counts[st])
	}
	fmt.Fprintf(b, "| **total** | **%d** |\n\n", r.Summary.Total)
	fmt.Fprintf(b, "**Score: %s.** %s.\n\n", r.Summary.Percent(), md(r.Summary.Formula))
	b.WriteString("Evidence strength: *direct*, the configuration itself shows the control; *partial*, it shows the mechanism and process or runtime facts complete it; *supporting*, it only supports the control. A partial or supporting control is at best \"partially satisfied\".\n\n")
}

// mdControls writes the table of controls.
func mdControls(b *bufio.Writer, r *Report) {
	b.WriteString("## Controls\n\n| control | title | strength | status | enforced by |\n|---|---|---|---|---|\n")
	for _, c := range r.Controls {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", md(c.ID), md(c.Title), c.Strength, statusMark(c.Status), md(strings.Join(c.EnforcedBy, ", ")))
	}
	b.WriteString("\n")
}

// statusMark prefixes a status with a symbol readable without colour.
func statusMark(s Status) string {
	m := map[Status]string{Satisfied: "✅", PartiallySatisfied: "🟡", NotSatisfied: "❌", Waived: "⚠️", NotApplicable: "➖", NotAssessed: "❔"}
	return m[s] + " " + string(s)
}

// mdEvidence writes each control's status, causes and evidence.
func mdEvidence(b *bufio.Writer, r *Report) {
	b.WriteString("## Evidence\n\n")
	for _, c := range r.Controls {
		fmt.Fprintf(b, "### %s %s\n\n", md(c.ID), md(c.Title))
		fmt.Fprintf(b, "%s (%s evidence; OSCAL id `%s`): %s.\n\n", statusMark(c.Status), c.Strength, c.TokenID, md(c.Note))
		if len(c.Causes) > 0 {
			b.WriteString("Causes:\n\n")
			for _, cs := range c.Causes {
				fmt.Fprintf(b, "- %s\n", md(cs))
			}
			b.WriteString("\n")
		}
		for _, e := range c.Evidence {
			mark := "✔"
			switch {
			case e.Waived:
				mark = "⚠ waived:"
			case !e.Passed:
				mark = "✘"
			}
			where := ""
			if e.At != "" {
				where = " (" + md(e.At) + ")"
			}
			fmt.Fprintf(b, "- %s `%s` %s: %s%s\n", mark, e.Check, md(e.Scope), md(e.Value), where)
		}
		if len(c.IRControls) > 0 {
			fmt.Fprintf(b, "\nrampart controls: %s; enforced by: %s.\n", md(strings.Join(c.IRControls, ", ")), md(orNone(c.EnforcedBy)))
		}
		b.WriteString("\n")
	}
}

// orNone joins names, or says "none".
func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// mdWaivers writes the policy's waivers.
func mdWaivers(b *bufio.Writer, r *Report) {
	b.WriteString("## Waivers\n\n")
	if len(r.Waivers) == 0 {
		b.WriteString("The policy has no waivers.\n\n")
		return
	}
	b.WriteString("| control | target | route | reason | approver | expires | counts | at |\n|---|---|---|---|---|---|---|---|\n")
	for _, w := range r.Waivers {
		counts := "yes"
		switch {
		case w.Expired:
			counts = "no: expired"
		case w.TargetNotAssessed:
			counts = "no: target not assessed"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", md(w.Control), md(w.Target), md(w.Route), md(w.Reason), md(w.Approver), md(w.Expires), counts, md(w.At))
	}
	b.WriteString("\n")
}

// mdTargets writes the capability matrix and the artifacts' digests.
func mdTargets(b *bufio.Writer, r *Report) {
	b.WriteString("## Targets and compiled artifacts\n\n")
	if len(r.Targets) > 0 {
		b.WriteString("How each target enforces the rampart controls this policy needs:\n\n| control |")
		for _, t := range r.Targets {
			fmt.Fprintf(b, " %s |", t.Name)
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(r.Targets)) + "\n")
		for _, row := range capabilityRows(r) {
			fmt.Fprintf(b, "| %s |", md(row.Control))
			for _, m := range row.Mechanisms {
				fmt.Fprintf(b, " %s |", md(m))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	for _, t := range r.Targets {
		if !t.Built {
			fmt.Fprintf(b, "- **%s**: not built: %s\n", t.Name, md(t.Problem))
			continue
		}
		for _, a := range t.Artifacts {
			fmt.Fprintf(b, "- **%s** %s: %d bytes, sha256 `%s`\n", t.Name, code(a.Path), a.Bytes, a.SHA256)
		}
	}
	b.WriteString("\n")
}

// mdRuns writes the drift and probe runs used.
func mdRuns(b *bufio.Writer, r *Report) {
	b.WriteString("## Drift and probe results\n\n")
	if len(r.Runs) == 0 {
		b.WriteString("None supplied (`--drift`, `--probe`): runtime facts are not part of this report.\n\n")
		return
	}
	for _, run := range r.Runs {
		fmt.Fprintf(b, "- %s %s against %s: %d of %d checks passed, %d findings\n", run.Kind, md(run.Target), md(run.Source), run.Passed, run.Checks, run.Findings)
	}
	b.WriteString("\n")
}

// mdSources writes the policy files' digests.
func mdSources(b *bufio.Writer, r *Report) {
	b.WriteString("## Policy sources\n\n")
	for _, s := range r.Policy.Sources {
		fmt.Fprintf(b, "- %s sha256 `%s`\n", code(s.File), s.SHA256)
	}
}
