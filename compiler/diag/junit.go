package diag

import (
	"encoding/xml"
	"io"
	"strings"
)

// JUnitSuite is one policy's diagnostics, written as one <testsuite>.
type JUnitSuite struct {
	// Name names the suite, normally the policy directory.
	Name  string
	Diags List
}

type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Errors   int             `xml:"errors,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Cases    []junitTestcase `xml:"testcase"`
}

type junitTestcase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// PrintJUnit writes a JUnit XML report, as CI systems read test results:
// one <testsuite> per policy, one <testcase> per diagnostic. Errors are
// failures; warnings and advice are passing cases whose text is in
// <system-out>. A policy without diagnostics has one passing case, so an
// empty report cannot be mistaken for a clean one.
func PrintJUnit(w io.Writer, name string, suites []JUnitSuite) error {
	out := junitTestsuites{Name: name}
	for _, s := range suites {
		ts := junitSuiteOf(s)
		out.Tests += ts.Tests
		out.Failures += ts.Failures
		out.Suites = append(out.Suites, ts)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitSuiteOf(s JUnitSuite) junitTestsuite {
	ts := junitTestsuite{Name: s.Name}
	class := "rampart." + strings.NewReplacer("/", ".", "\\", ".").Replace(strings.Trim(s.Name, "./"))
	for _, d := range s.Diags {
		tc := junitTestcase{Name: d.Code + " " + d.Pos.String(), Classname: class, File: d.Pos.File, Line: d.Pos.Line}
		text := d.Pos.String() + ": " + d.Severity.String() + " " + d.Code + ": " + d.Message
		for _, r := range d.Related {
			text += "\n    " + r.Pos.String() + ": " + r.Message
		}
		if d.Severity == Error {
			tc.Failure = &junitFailure{Message: d.Message, Type: d.Code, Text: text}
			ts.Failures++
		} else {
			tc.SystemOut = text
		}
		ts.Cases = append(ts.Cases, tc)
	}
	if len(ts.Cases) == 0 {
		ts.Cases = []junitTestcase{{Name: "vet " + s.Name, Classname: class}}
	}
	ts.Tests = len(ts.Cases)
	return ts
}
