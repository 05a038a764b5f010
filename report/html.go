package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

// page is what the HTML template renders.
type page struct {
	*Report
	Bars   []bar
	Matrix []matrixRow
	GDPR   bool
	Caps   []CapabilityRow
}

// bar is one bar of the summary chart.
type bar struct {
	Label       string
	Count       int
	Y, W, TextX int
	Class       string
}

// matrixRow is one control's row of the coverage matrix.
type matrixRow struct {
	ID, Title, Status, Class string
	Cells                    []matrixCell
}

// matrixCell is one route's outcome for one control.
type matrixCell struct {
	Class, Text, Title string
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"statusClass": statusClass,
	"join":        strings.Join,
	"waiverText":  waiverText,
}).Parse(htmlTemplate))

// WriteHTML writes one self-contained, printable HTML file: inline styles
// and SVG only, no scripts, no external resources. html/template escapes
// every value taken from the policy.
func WriteHTML(w io.Writer, r *Report) error {
	return tmpl.Execute(w, page{Report: r, Bars: bars(r.Summary), Matrix: matrix(r), GDPR: r.Framework.ID == "gdpr", Caps: capabilityRows(r)})
}

// statusClass is a status's CSS class.
func statusClass(s Status) string { return "st-" + strings.ReplaceAll(string(s), " ", "-") }

// bars lays out the summary chart: one horizontal bar per status.
func bars(s Summary) []bar {
	const width, rowH = 300, 22
	var out []bar
	for i, st := range Statuses {
		n := s.Counts[st]
		w := 0
		if s.Total > 0 {
			w = n * width / s.Total
		}
		out = append(out, bar{Label: string(st), Count: n, Y: i * rowH, W: w, TextX: 150 + w + 6, Class: statusClass(st)})
	}
	return out
}

// matrix builds the controls × routes coverage matrix.
func matrix(r *Report) []matrixRow {
	var out []matrixRow
	for _, c := range r.Controls {
		row := matrixRow{ID: c.ID, Title: c.Title, Status: string(c.Status), Class: statusClass(c.Status)}
		for _, route := range r.Scopes {
			cell := matrixCell{Class: "cell-none", Text: "·", Title: route + ": no check for this route"}
			switch v := c.Routes[route]; v {
			case cellPass:
				cell = matrixCell{Class: "cell-pass", Text: "✓", Title: route + ": checks passed"}
			case cellFail:
				cell = matrixCell{Class: "cell-fail", Text: "✗", Title: route + ": a check failed"}
			case cellWaived:
				cell = matrixCell{Class: "cell-waived", Text: "W", Title: route + ": waived"}
			}
			row.Cells = append(row.Cells, cell)
		}
		out = append(out, row)
	}
	return out
}

// chartHeight is the summary chart's SVG height.
func (p page) ChartHeight() string { return fmt.Sprint(len(p.Bars) * 22) }
