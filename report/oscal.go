package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// OSCALVersion is the OSCAL version the documents declare.
const OSCALVersion = "1.2.2"

// rampartNS qualifies rampart's own OSCAL property names.
const rampartNS = "https://rampart.dev/ns/oscal"

// epoch stands in for OSCAL's required dates when no --timestamp is
// given, so the output stays deterministic; a remark says so.
const epoch = "1970-01-01T00:00:00Z"

type oscalProp struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	NS    string `json:"ns,omitempty"`
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
	Remarks      string      `json:"remarks,omitempty"`
}

// seed identifies the report's content: every uuid derives from it.
func seed(r *Report) string {
	var buf bytes.Buffer
	_ = WriteJSON(&buf, r)
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// when is the report's timestamp, or the epoch placeholder.
func when(r *Report) string {
	if r.Timestamp != "" {
		return r.Timestamp
	}
	return epoch
}

// metadata builds the OSCAL metadata block.
func metadata(r *Report, title string) oscalMetadata {
	m := oscalMetadata{Title: title, LastModified: when(r), Version: r.Framework.Version, OSCALVersion: OSCALVersion,
		Props: []oscalProp{{Name: "policy", Value: r.Policy.Name, NS: rampartNS}, {Name: "framework", Value: r.Framework.ID, NS: rampartNS}}}
	m.Props = append(m.Props, targetProps(r)...)
	if r.Timestamp == "" {
		m.Remarks = "No --timestamp was given: dates are the placeholder " + epoch + " so that the document is reproducible byte for byte."
	}
	return m
}

// controlProps are a control's label (native citation), status and
// evidence strength.
func controlProps(c Control) []oscalProp {
	return []oscalProp{
		{Name: "label", Value: c.ID},
		{Name: "status", Value: strings.ReplaceAll(string(c.Status), " ", "-"), NS: rampartNS},
		{Name: "evidence-strength", Value: string(c.Strength), NS: rampartNS},
	}
}

// evidenceText describes a control's evidence in plain text.
func evidenceText(c Control) string {
	var b strings.Builder
	b.WriteString(c.Note + ".")
	for _, e := range c.Evidence {
		mark := "PASS"
		if !e.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "\n\n%s %s %s: %s", mark, e.Check, e.Scope, e.Value)
		if e.At != "" {
			fmt.Fprintf(&b, " (%s)", e.At)
		}
	}
	if len(c.EnforcedBy) > 0 {
		fmt.Fprintf(&b, "\n\nEnforced by: %s.", strings.Join(c.EnforcedBy, ", "))
	}
	return b.String()
}

// writeIndented writes v as indented JSON.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
