package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestHTMLSelfContained parses every example's HTML report: no scripts,
// external styles, images, frames or url() references; the only external
// link is the standard's; it has the summary chart, the coverage matrix
// with one coloured cell per control and route, and for GDPR a TOM table
// per API.
func TestHTMLSelfContained(t *testing.T) {
	for ex := range examples {
		p := compileExample(t, ex)
		for _, fw := range []string{examples[ex], "gdpr"} {
			r := assess(t, p, fw, Input{})
			doc, err := html.Parse(bytes.NewReader(render(t, r, "html")))
			if err != nil {
				t.Fatal(err)
			}
			s := scan(doc, r.Framework.Link)
			for _, p := range s.problems {
				t.Errorf("%s %s: %s", ex, fw, p)
			}
			if s.svgRects != len(Statuses) {
				t.Errorf("%s %s: chart has %d bars, want %d", ex, fw, s.svgRects, len(Statuses))
			}
			if want := len(r.Controls) * len(r.Scopes); s.cells != want {
				t.Errorf("%s %s: matrix has %d coloured cells, want %d", ex, fw, s.cells, want)
			}
			tomHeading := "Art. 30(1)(g) technical and organisational measures, per API"
			if has := s.headings[tomHeading]; has != (fw == "gdpr") {
				t.Errorf("%s %s: TOM section present %t", ex, fw, has)
			}
			if fw == "gdpr" {
				for _, tom := range r.TOMs {
					if !s.headings[tom.Service] {
						t.Errorf("%s: no TOM table for %s", ex, tom.Service)
					}
				}
			}
		}
	}
}

// htmlScan is what scan found.
type htmlScan struct {
	problems        []string
	svgRects, cells int
	headings        map[string]bool
}

// scan walks the document for external references and structure.
func scan(n *html.Node, allowed string) htmlScan {
	s := htmlScan{headings: map[string]bool{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			s.element(n, allowed)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return s
}

// element checks one element.
func (s *htmlScan) element(n *html.Node, allowed string) {
	switch n.Data {
	case "script", "link", "img", "iframe", "object", "embed", "base":
		s.problems = append(s.problems, "has a <"+n.Data+"> element")
	case "rect":
		s.svgRects++
	case "h2", "h3":
		if n.FirstChild != nil {
			s.headings[n.FirstChild.Data] = true
		}
	case "style":
		if n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "url(") {
			s.problems = append(s.problems, "style has url()")
		}
	}
	for _, a := range n.Attr {
		switch {
		case a.Key == "src" || a.Key == "srcset" || a.Key == "style" && strings.Contains(a.Val, "url("):
			s.problems = append(s.problems, "attribute "+a.Key+"="+a.Val)
		case a.Key == "href" && a.Val != allowed && !strings.HasPrefix(a.Val, "#"):
			s.problems = append(s.problems, "external link "+a.Val)
		case a.Key == "class" && strings.Contains(a.Val, "cell-"):
			s.cells++
		}
	}
}

// TestHTMLEscapes: values from the policy cannot inject markup.
func TestHTMLEscapes(t *testing.T) {
	r := assess(t, compileExample(t, "eu-saas"), "gdpr", Input{})
	r.Policy.Name = `<script>alert(1)</script>`
	r.TOMs[0].Purpose = `"><img src=x onerror=alert(1)>`
	out := string(render(t, r, "html"))
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
		t.Error("HTML report does not escape policy values")
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("escaped policy name missing")
	}
}

// TestCSV: one row per control with the header's columns; spreadsheet
// formulas are defused.
func TestCSV(t *testing.T) {
	r := assess(t, compileExample(t, "payments-api"), "pci-dss-4", Input{})
	r.Controls[0].Note = "=HYPERLINK(\"http://evil\")"
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Controls)+1 || len(rows[0]) != len(csvHeader) {
		t.Fatalf("%d rows of %d columns", len(rows), len(rows[0]))
	}
	if note := rows[1][slices.Index(csvHeader, "note")]; !strings.HasPrefix(note, "'=") {
		t.Errorf("formula not defused: %q", note)
	}
	for i, c := range r.Controls {
		if rows[i+1][1] != c.ID || rows[i+1][5] != string(c.Status) {
			t.Errorf("row %d: %v", i+1, rows[i+1][:6])
		}
		if got := rows[i+1][slices.Index(csvHeader, "targets_assessed")]; got != "goproxy nginx" {
			t.Errorf("row %d: targets_assessed %q, want the report's targets", i+1, got)
		}
	}
}

// TestMarkdownEscapes: table cells cannot be broken by policy values.
func TestMarkdownEscapes(t *testing.T) {
	if got := md("a|b <x> *y*\nz"); got != `a\|b &lt;x&gt; \*y\* z` {
		t.Errorf("md = %q", got)
	}
	if got := code("a`b|c"); got != "`a'b/c`" {
		t.Errorf("code = %q", got)
	}
}
