package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzWriters puts arbitrary text where policy values, evidence, waivers
// and TOMs go, and requires every writer to keep its structure: the HTML
// has exactly the elements it has with harmless text, every Markdown line
// has the same number of table separators, the CSV parses to the same
// shape, and the JSON and OSCAL documents stay valid and keep the text.
func FuzzWriters(f *testing.F) {
	var base bytes.Buffer
	if err := WriteJSON(&base, assess(f, compileExample(f, "eu-saas"), "gdpr", Input{})); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"x", "<script>alert(1)</script>", "a|b\n| c |", "=cmd|' /C calc'!A0", "`code` *em* [l](http://e)", "\"'><img src=x>", "é\u2028\x00"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		// The reference plants harmless text where the input has text
		// and nothing where it has none, since empty values leave out
		// optional elements (an evidence line's position, say).
		ref := outputs(t, base.Bytes(), harmless(a, "x"), harmless(b, "y"))
		got := outputs(t, base.Bytes(), a, b)
		if n, m := elements(t, ref["html"]), elements(t, got["html"]); n != m {
			t.Errorf("HTML has %d elements, %d with harmless text", m, n)
		}
		checkMarkdownShape(t, ref["md"], got["md"])
		checkCSVShape(t, ref["csv"], got["csv"])
		for _, format := range []string{"json", "oscal", "oscal-component"} {
			if !json.Valid(got[format]) {
				t.Errorf("%s is not valid JSON", format)
			}
		}
		if utf8.ValidString(a) {
			var back Report
			if err := json.Unmarshal(got["json"], &back); err != nil || back.Policy.Name != a {
				t.Errorf("JSON lost the policy name: %v %q", err, back.Policy.Name)
			}
		}
	})
}

// harmless is h for non-empty s, else "".
func harmless(s, h string) string {
	if s == "" {
		return ""
	}
	return h
}

// outputs decodes a fresh report, plants a and b, and renders every format.
func outputs(t *testing.T, data []byte, a, b string) map[string][]byte {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	r.Policy.Name, r.Policy.Owner = a, b
	c := &r.Controls[0]
	c.Evidence[0].Value, c.Evidence[0].At = a, b
	c.Causes = []string{a}
	c.Note = b
	r.Waivers = []Waiver{{Control: a, Target: b, Reason: a, Approver: b, Expires: a, At: b}}
	r.TOMs[0].Purpose, r.TOMs[0].Measures = a, []string{b}
	r.Scopes[0] = a
	out := map[string][]byte{}
	for _, format := range Formats {
		out[format] = render(t, &r, format)
	}
	return out
}

// elements counts the element nodes of an HTML document.
func elements(t *testing.T, data []byte) int {
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(*html.Node)
	walk = func(x *html.Node) {
		if x.Type == html.ElementNode {
			n++
		}
		for c := x.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return n
}

// checkMarkdownShape requires the same lines and table separators.
func checkMarkdownShape(t *testing.T, ref, got []byte) {
	rl, gl := strings.Split(string(ref), "\n"), strings.Split(string(got), "\n")
	if len(rl) != len(gl) {
		t.Fatalf("Markdown has %d lines, %d with harmless text", len(gl), len(rl))
	}
	for i := range rl {
		if pipes(rl[i]) != pipes(gl[i]) {
			t.Errorf("Markdown line %d has %d separators, want %d: %q", i+1, pipes(gl[i]), pipes(rl[i]), gl[i])
		}
	}
}

// pipes counts unescaped | outside code spans.
func pipes(line string) int {
	n, code := 0, false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '`':
			code = !code
		case '|':
			if !code {
				n++
			}
		}
	}
	return n
}

// checkCSVShape requires the same rows and columns.
func checkCSVShape(t *testing.T, ref, got []byte) {
	rr, err := csv.NewReader(bytes.NewReader(ref)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	gr, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(rr) != len(gr) {
		t.Fatalf("CSV has %d rows, want %d", len(gr), len(rr))
	}
	for i := range gr {
		if len(gr[i]) != len(rr[i]) {
			t.Errorf("CSV row %d has %d cells, want %d", i, len(gr[i]), len(rr[i]))
		}
	}
}
