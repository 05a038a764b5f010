package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// csvHeader names the CSV columns: one row per control, for GRC
// spreadsheets.
var csvHeader = []string{"framework", "control", "oscal_id", "title", "strength", "status", "checks_passed", "checks_failed", "checks_waived",
	"enforced_by", "causes", "waivers", "note", "targets_assessed"}

// WriteCSV writes one row per control. Cells that start with =, +, - or @
// are prefixed with a quote so spreadsheets do not evaluate them.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, c := range r.Controls {
		passed, failed, waived := 0, 0, 0
		for _, e := range c.Evidence {
			switch {
			case e.Passed:
				passed++
			case e.Waived:
				waived++
			default:
				failed++
			}
		}
		var ws []string
		for _, wv := range c.Waivers {
			ws = append(ws, waiverText(wv))
		}
		row := []string{r.Framework.ID, c.ID, c.TokenID, c.Title, string(c.Strength), string(c.Status),
			strconv.Itoa(passed), strconv.Itoa(failed), strconv.Itoa(waived), strings.Join(c.EnforcedBy, " "),
			strings.Join(c.Causes, " | "), strings.Join(ws, " | "), c.Note, strings.Join(r.AssessedTargets(), " ")}
		for i := range row {
			row[i] = safeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell defuses spreadsheet formula injection.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// waiverText describes a waiver in one line.
func waiverText(w Waiver) string {
	route := ""
	if w.Route != "" {
		route = " on " + w.Route
	}
	s := w.Control + " on " + w.Target + route + ", approved by " + w.Approver + " until " + w.Expires + ": " + w.Reason
	if w.Expired {
		s += " (EXPIRED: does not count)"
	}
	if w.TargetNotAssessed {
		s += " (target not assessed: does not count)"
	}
	return s
}
