package report

import (
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats in command-line order.
var Formats = []string{"md", "html", "json", "csv", "oscal", "oscal-component"}

// Write writes r in the named format.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "md":
		return WriteMarkdown(w, r)
	case "html":
		return WriteHTML(w, r)
	case "json":
		return WriteJSON(w, r)
	case "csv":
		return WriteCSV(w, r)
	case "oscal":
		return WriteOSCALResults(w, r)
	case "oscal-component":
		return WriteOSCALComponent(w, r)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}
