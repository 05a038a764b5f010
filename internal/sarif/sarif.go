package sarif

import (
	"encoding/json"
	"io"
)

// Version and Schema identify the SARIF format rampart writes.
const (
	Version = "2.1.0"
	Schema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// Log is one SARIF log.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one tool run: its rules and results.
type Run struct {
	Tool    Tool     `json:"tool"`
	Results []Result `json:"results"`
}

// Tool holds the driver.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver describes rampart and the rules its results refer to.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri,omitempty"`
	Rules          []Rule `json:"rules"`
}

// Text is a message, optionally with a Markdown form.
type Text struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

// Rule is one reporting descriptor: a diagnostic code or a control.
type Rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     Text           `json:"shortDescription"`
	FullDescription      *Text          `json:"fullDescription,omitempty"`
	Help                 *Text          `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration *Config        `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any `json:"properties,omitempty"`
}

// Config is a rule's default configuration.
type Config struct {
	Level string `json:"level"`
}

// Result is one finding or diagnostic.
type Result struct {
	RuleID           string         `json:"ruleId"`
	RuleIndex        int            `json:"ruleIndex"`
	Level            string         `json:"level"`
	Message          Text           `json:"message"`
	Locations        []Location     `json:"locations,omitempty"`
	RelatedLocations []Location     `json:"relatedLocations,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

// Location is where a result points.
type Location struct {
	ID               int              `json:"id,omitempty"`
	PhysicalLocation PhysicalLocation `json:"physicalLocation"`
	Message          *Text            `json:"message,omitempty"`
}

// PhysicalLocation is a file and a region in it.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// ArtifactLocation names a file (see Artifact).
type ArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// Region is a line and column, 1-based.
type Region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// At locates file:line:col relative to root (see Artifact); line 0 gives
// a location without a region.
func At(file string, line, col int, root string) Location {
	loc := Location{PhysicalLocation: PhysicalLocation{ArtifactLocation: Artifact(file, root)}}
	if line > 0 {
		loc.PhysicalLocation.Region = &Region{StartLine: line, StartColumn: col}
	}
	return loc
}

// Write prints log as indented JSON, HTML characters unescaped. Output is
// deterministic when the log is.
func Write(w io.Writer, log Log) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}
