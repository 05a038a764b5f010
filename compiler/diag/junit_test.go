package diag_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
)

type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitParses(t *testing.T) {
	var buf bytes.Buffer
	err := diag.PrintJUnit(&buf, "rampart vet", []diag.JUnitSuite{{Name: "policy", Diags: sample}, {Name: "clean"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, buf.String())
	}
	if doc.Tests != 5 || doc.Failures != 2 || len(doc.Suites) != 2 {
		t.Fatalf("tests=%d failures=%d suites=%d, want 5, 2, 2:\n%s", doc.Tests, doc.Failures, len(doc.Suites), buf.String())
	}
	s := doc.Suites[0]
	if s.Failures != 2 || s.Cases[0].Failure == nil || s.Cases[0].Failure.Type != "RMP300" ||
		!strings.Contains(s.Cases[0].Failure.Text, "policy/policy.cue:22:8") {
		t.Errorf("first case = %+v", s.Cases[0])
	}
	if s.Cases[1].Failure != nil || !strings.Contains(s.Cases[1].SystemOut, "warning RMP218") {
		t.Errorf("a warning must pass with its text in system-out: %+v", s.Cases[1])
	}
	if c := doc.Suites[1]; c.Tests != 1 || c.Failures != 0 || c.Cases[0].Name != "vet clean" {
		t.Errorf("clean policy suite = %+v", c)
	}
}
