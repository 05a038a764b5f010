package diag

import (
	"encoding/json"
	"fmt"
	"io"
)

// PrintText writes diagnostics as "file:line:col: severity CODE: message",
// one per line, with related positions indented below. verbose adds the
// raw underlying error.
func PrintText(w io.Writer, l List, verbose bool) error {
	for _, d := range l {
		where := d.Pos.String()
		if d.Pos.File == "" {
			where = "rampart" // no position: name the tool, as Go's tools do
		}
		if _, err := fmt.Fprintf(w, "%s: %s %s: %s\n", where, d.Severity, d.Code, d.Message); err != nil {
			return err
		}
		for _, r := range d.Related {
			fmt.Fprintf(w, "    %s: %s\n", r.Pos, r.Message)
		}
		if verbose && d.Detail != "" {
			fmt.Fprintf(w, "    cue: %s\n", d.Detail)
		}
	}
	return nil
}

// Summary returns "N errors, M warnings".
func Summary(l List) string {
	e, w := l.Count()
	return fmt.Sprintf("%d %s, %d %s", e, plural(e, "error"), w, plural(w, "warning"))
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// jsonReport is the JSON form of a vet run.
type jsonReport struct {
	Diagnostics List `json:"diagnostics"`
	Errors      int  `json:"errors"`
	Warnings    int  `json:"warnings"`
}

// PrintJSON writes diagnostics as one JSON document.
func PrintJSON(w io.Writer, l List) error {
	if l == nil {
		l = List{}
	}
	e, wn := l.Count()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{Diagnostics: l, Errors: e, Warnings: wn})
}
