package diag

import (
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// SARIFVersion and SARIFSchema identify the SARIF format the printer writes.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
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

// SrcRoot is the uriBaseId of every location: the directory locations are
// relative to (the repository root in CI).
const SrcRoot = "%SRCROOT%"

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

// sarifLog is the subset of SARIF 2.1.0 rampart writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID           string            `json:"ruleId"`
	RuleIndex        int               `json:"ruleIndex"`
	Level            string            `json:"level"`
	Message          sarifText         `json:"message"`
	Locations        []sarifLocation   `json:"locations,omitempty"`
	RelatedLocations []sarifLocation   `json:"relatedLocations,omitempty"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifLocation struct {
	ID               int                   `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifText            `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// PrintSARIF writes diagnostics as one SARIF 2.1.0 log with a single run.
// Each code becomes a rule whose help is its `rampart explain` text;
// locations are relative to opts.Root. Output is deterministic.
func PrintSARIF(w io.Writer, l List, opts SARIFOptions) error {
	rules, index := sarifRules(l)
	results := make([]sarifResult, 0, len(l))
	for _, d := range l {
		results = append(results, sarifResultOf(d, index[d.Code], opts.Root))
	}
	log := sarifLog{
		Schema:  SARIFSchema,
		Version: SARIFVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: "rampart", Version: opts.ToolVersion, InformationURI: opts.InformationURI, Rules: rules,
			}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifRules returns one rule per code in l, sorted, and each code's index.
func sarifRules(l List) ([]sarifRule, map[string]int) {
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
	rules := make([]sarifRule, 0, len(codes))
	index := map[string]int{}
	for i, c := range codes {
		index[c] = i
		rules = append(rules, ruleOf(c, levels[c]))
	}
	return rules, index
}

// ruleOf describes code as a SARIF rule, from its explanation.
func ruleOf(code string, sev Severity) sarifRule {
	e, ok := Explain(code)
	if !ok {
		e = Explanation{Title: code, Text: "See `rampart explain " + code + "`."}
	}
	text := code + ": " + e.Title + "\n\n" + e.Text
	return sarifRule{
		ID:                   code,
		Name:                 ruleName(e.Title),
		ShortDescription:     sarifText{Text: e.Title},
		FullDescription:      sarifText{Text: e.Text},
		Help:                 sarifText{Text: text, Markdown: "**" + code + ": " + e.Title + "**\n\n" + e.Text},
		HelpURI:              HelpURI(code),
		DefaultConfiguration: sarifConfig{Level: sarifLevel(sev)},
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

func sarifResultOf(d Diagnostic, rule int, root string) sarifResult {
	r := sarifResult{RuleID: d.Code, RuleIndex: rule, Level: sarifLevel(d.Severity), Message: sarifText{Text: d.Message}}
	if loc, ok := sarifLocationOf(d.Pos, root); ok {
		r.Locations = []sarifLocation{loc}
	}
	for i, rel := range d.Related {
		if loc, ok := sarifLocationOf(rel.Pos, root); ok {
			loc.ID = i + 1
			loc.Message = &sarifText{Text: rel.Message}
			r.RelatedLocations = append(r.RelatedLocations, loc)
		}
	}
	if d.Path != "" || d.Control != "" {
		r.Properties = map[string]string{}
		if d.Path != "" {
			r.Properties["cuePath"] = d.Path
		}
		if d.Control != "" {
			r.Properties["control"] = d.Control
		}
	}
	return r
}

func sarifLocationOf(p Pos, root string) (sarifLocation, bool) {
	if !p.IsValid() {
		return sarifLocation{}, false
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: artifactOf(p.File, root)}}
	if p.Line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: p.Line, StartColumn: p.Col}
	}
	return loc, true
}

// artifactOf names file relative to root with forward slashes, under the
// %SRCROOT% base. Files of rampart's embedded modules (rampart.dev/...)
// keep their name and get no base. A file outside root gets an absolute
// file:// URI and no base: SARIF allows a missing uriBaseId only with an
// absolute URI, and a relative one ("../x.cue", "/tmp/x.cue" without a
// scheme) would be resolved against the repository root by consumers
// such as GitHub code scanning, naming a different file.
func artifactOf(file, root string) sarifArtifact {
	if strings.HasPrefix(file, "rampart.dev/") {
		return sarifArtifact{URI: file}
	}
	rel := file
	if root != "" {
		if r, err := relPath(root, file); err == nil {
			rel = r
		}
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(filepath.FromSlash(rel)) {
		abs, err := filepath.Abs(file)
		if err != nil {
			abs = file
		}
		abs = filepath.ToSlash(abs)
		if !strings.HasPrefix(abs, "/") {
			abs = "/" + abs // a Windows drive: file:///C:/...
		}
		return sarifArtifact{URI: "file://" + uriEscape(abs)}
	}
	return sarifArtifact{URI: uriEscape(rel), URIBaseID: SrcRoot}
}

// relPath returns file relative to root, both made absolute first.
func relPath(root, file string) (string, error) {
	ar, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	af, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	return filepath.Rel(ar, af)
}

// uriEscape percent-encodes the characters a relative URI reference
// cannot hold literally (space, %, #, ?, and non-ASCII), keeping slashes.
func uriEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`%#?"<>\^`+"`{|}[]", c) >= 0 {
			b.WriteString("%" + strings.ToUpper(hex2(c)))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
