package diag

import (
	"io"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/internal/sarif"
)

// HelpBase is where rampart's documentation lives.
const HelpBase = "https://github.com/rampart-policy/rampart/blob/main/docs/"

// HelpURI returns the documentation link for code: docs/ci.md for the
// posture changes rampart diff reports (RMP7xx), else the diagnostic-code
// table of docs/schema.md.
func HelpURI(code string) string {
	if strings.HasPrefix(code, "RMP7") {
		return HelpBase + "ci.md#rampart-diff-what-a-change-does-to-the-security-posture"
	}
	return HelpBase + "schema.md#diagnostic-codes"
}

// SrcRoot is the uriBaseId of every relative location.
const SrcRoot = sarif.SrcRoot

// SARIFOptions tune a SARIF log.
type SARIFOptions struct {
	// Root is the directory file locations are made relative to; empty
	// keeps them as they are.
	Root string
	// ToolVersion is rampart's version.
	ToolVersion string
	// InformationURI is the tool's home page.
	InformationURI string
}

// PrintSARIF writes diagnostics as one SARIF 2.1.0 log with a single run.
// Each code becomes a rule whose help is its `rampart explain` text;
// locations are relative to opts.Root. Output is deterministic.
func PrintSARIF(w io.Writer, l List, opts SARIFOptions) error {
	rules, index := sarifRules(l)
	results := make([]sarif.Result, 0, len(l))
	for _, d := range l {
		results = append(results, sarifResultOf(d, index[d.Code], opts.Root))
	}
	return sarif.Write(w, sarif.Log{
		Schema:  sarif.Schema,
		Version: sarif.Version,
		Runs: []sarif.Run{{
			Tool: sarif.Tool{Driver: sarif.Driver{
				Name: "rampart", Version: opts.ToolVersion, InformationURI: opts.InformationURI, Rules: rules,
			}},
			Results: results,
		}},
	})
}

// sarifRules returns one rule per code in l, sorted, and each code's index.
func sarifRules(l List) ([]sarif.Rule, map[string]int) {
	levels := map[string]Severity{}
	for _, d := range l {
		if s, ok := levels[d.Code]; !ok || d.Severity < s {
			levels[d.Code] = d.Severity
		}
	}
	codes := make([]string, 0, len(levels))
	for c := range levels {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	rules := make([]sarif.Rule, 0, len(codes))
	index := map[string]int{}
	for i, c := range codes {
		index[c] = i
		rules = append(rules, ruleOf(c, levels[c]))
	}
	return rules, index
}

// ruleOf describes code as a SARIF rule, from its explanation.
func ruleOf(code string, sev Severity) sarif.Rule {
	e, ok := Explain(code)
	if !ok {
		e = Explanation{Title: code, Text: "See `rampart explain " + code + "`."}
	}
	text := code + ": " + e.Title + "\n\n" + e.Text
	return sarif.Rule{
		ID:                   code,
		Name:                 ruleName(e.Title),
		ShortDescription:     sarif.Text{Text: e.Title},
		FullDescription:      &sarif.Text{Text: e.Text},
		Help:                 &sarif.Text{Text: text, Markdown: "**" + code + ": " + e.Title + "**\n\n" + e.Text},
		HelpURI:              HelpURI(code),
		DefaultConfiguration: &sarif.Config{Level: sarifLevel(sev)},
		Properties:           map[string]any{"tags": []string{"security"}},
	}
}

// ruleName turns a title into an identifier-like name ("CORS allows
// credentials" → "CorsAllowsCredentials").
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + strings.ToLower(w[1:]))
	}
	return b.String()
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

func sarifResultOf(d Diagnostic, rule int, root string) sarif.Result {
	r := sarif.Result{RuleID: d.Code, RuleIndex: rule, Level: sarifLevel(d.Severity), Message: sarif.Text{Text: d.Message}}
	if d.Pos.IsValid() {
		r.Locations = []sarif.Location{sarif.At(d.Pos.File, d.Pos.Line, d.Pos.Col, root)}
	}
	for i, rel := range d.Related {
		if rel.Pos.IsValid() {
			loc := sarif.At(rel.Pos.File, rel.Pos.Line, rel.Pos.Col, root)
			loc.ID = i + 1
			loc.Message = &sarif.Text{Text: rel.Message}
			r.RelatedLocations = append(r.RelatedLocations, loc)
		}
	}
	if d.Path != "" || d.Control != "" {
		r.Properties = map[string]any{}
		if d.Path != "" {
			r.Properties["cuePath"] = d.Path
		}
		if d.Control != "" {
			r.Properties["control"] = d.Control
		}
	}
	return r
}
