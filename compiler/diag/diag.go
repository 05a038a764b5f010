package diag

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity ranks a diagnostic.
type Severity int

const (
	// Error fails vet and build.
	Error Severity = iota
	// Warning is reported but does not fail.
	Warning
	// Info is advice.
	Info
)

// String returns the severity's lower-case name.
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Pos is a position in a source file. Line and Col are 1-based; zero means
// unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// IsValid reports whether the position names a file.
func (p Pos) IsValid() bool { return p.File != "" }

// String formats the position as file:line:col.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Related is a secondary position with a note, such as the baseline line
// a policy value conflicts with.
type Related struct {
	Pos     Pos    `json:"pos"`
	Message string `json:"message"`
}

// Diagnostic is one finding about a policy.
type Diagnostic struct {
	// Pos is where in the user's files the problem is.
	Pos Pos `json:"pos"`
	// Severity is error, warning or info.
	Severity Severity `json:"severity"`
	// Code is stable across releases; `rampart explain CODE` describes it.
	Code string `json:"code"`
	// Message says what is wrong in plain words.
	Message string `json:"message"`
	// Path is the CUE path of the offending value, if any.
	Path string `json:"path,omitempty"`
	// Control names the baseline control a violation weakens, if any.
	Control string `json:"control,omitempty"`
	// Related lists further positions.
	Related []Related `json:"related,omitempty"`
	// Detail is the raw underlying error, shown with --verbose.
	Detail string `json:"detail,omitempty"`
}

// List is an ordered set of diagnostics.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error diagnostic.
func (l *List) Errorf(pos Pos, code, path, format string, args ...any) {
	l.Add(Diagnostic{Pos: pos, Severity: Error, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning diagnostic.
func (l *List) Warnf(pos Pos, code, path, format string, args ...any) {
	l.Add(Diagnostic{Pos: pos, Severity: Warning, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Count returns the number of errors and warnings.
func (l List) Count() (errors, warnings int) {
	for _, d := range l {
		switch d.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders diagnostics by file, line, column, code and message, and
// removes exact duplicates, so output is deterministic.
func (l List) Sort() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(out, func(a, b Diagnostic) bool {
		return a.Pos == b.Pos && a.Code == b.Code && a.Message == b.Message
	})
}
