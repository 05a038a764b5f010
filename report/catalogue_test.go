package report

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/load"
	"github.com/rampart-policy/rampart/internal/reference"
)

// refRow is one control of controls.md's mapping table.
type refRow struct {
	framework, id, title, marker string
	compound                     bool
}

// frameworkOf maps controls.md's framework column to a framework id.
func frameworkOf(col string) string {
	switch {
	case strings.HasPrefix(col, "HIPAA"):
		return "hipaa"
	case strings.HasPrefix(col, "GDPR"):
		return "gdpr"
	case strings.HasPrefix(col, "PCI DSS"):
		return "pci-dss-4"
	case strings.HasPrefix(col, "SOC 2"):
		return "soc2"
	case strings.HasPrefix(col, "OWASP"):
		return "owasp-api-2023"
	case strings.HasPrefix(col, "NIST"):
		return "nist-800-53"
	}
	return ""
}

// expandIDs turns an id cell into ids: "7.2.1 / 7.2.2", "10.3.1–10.3.3",
// "IA-2 (also IA-8, IA-2(1))", "SC-8 (SC-8(1))".
func expandIDs(cell string) []string {
	if a, b, ok := strings.Cut(cell, " / "); ok {
		return []string{a, b}
	}
	if a, b, ok := strings.Cut(cell, "–"); ok {
		i := strings.LastIndex(a, ".")
		lo, _ := strconv.Atoi(a[i+1:])
		hi, _ := strconv.Atoi(b[strings.LastIndex(b, ".")+1:])
		var out []string
		for n := lo; n <= hi; n++ {
			out = append(out, a[:i+1]+strconv.Itoa(n))
		}
		return out
	}
	if head, inner, ok := strings.Cut(cell, " ("); ok {
		inner = strings.TrimPrefix(strings.TrimSuffix(inner, ")"), "also ")
		return append([]string{head}, strings.Split(inner, ", ")...)
	}
	return []string{cell}
}

// readControlsMD parses controls.md's table in place.
func readControlsMD(t *testing.T) []refRow {
	t.Helper()
	f, err := os.Open(reference.Path(t, "compliance", "controls.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	marker := regexp.MustCompile(`^\[([DPS](?:/[DPS])?)\]`)
	var rows []refRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), " | ")
		if len(cols) < 5 || !strings.HasPrefix(cols[0], "| ") {
			continue
		}
		fw := frameworkOf(cols[1])
		m := marker.FindStringSubmatch(cols[3])
		if fw == "" || m == nil {
			continue
		}
		ids := expandIDs(strings.TrimPrefix(cols[0], "| "))
		for _, id := range ids {
			rows = append(rows, refRow{framework: fw, id: id, title: cols[2], marker: m[1], compound: len(ids) > 1})
		}
	}
	if len(rows) < 60 {
		t.Fatalf("read only %d controls from controls.md", len(rows))
	}
	return rows
}

// strengthOf maps a controls.md marker to a strength: a mixed marker takes
// the weaker, so the report never claims more than the facts.
var strengthOf = map[string]Strength{"D": Direct, "P": Partial, "S": Supporting, "D/P": Partial, "S/P": Supporting}

// TestCatalogueMatchesReference checks the catalogue against
// shared/reference/compliance/controls.md, read in place: the same
// controls per framework, the same evidence strengths, and for HIPAA,
// GDPR, OWASP and NIST the same titles. PCI DSS and SOC 2 titles are
// rampart's own short paraphrases.
func TestCatalogueMatchesReference(t *testing.T) {
	ref := map[string]refRow{}
	for _, r := range readControlsMD(t) {
		ref[r.framework+" "+r.id] = r
	}
	seen := map[string]bool{}
	for _, fw := range Frameworks() {
		for _, c := range fw.Controls {
			key := fw.ID + " " + c.ID
			seen[key] = true
			r, ok := ref[key]
			if !ok {
				t.Errorf("%s is not in controls.md", key)
				continue
			}
			if want := strengthOf[r.marker]; c.Strength != want {
				t.Errorf("%s: strength %s, controls.md says [%s] (%s)", key, c.Strength, r.marker, want)
			}
			free := fw.ID != "pci-dss-4" && fw.ID != "soc2"
			if free && !r.compound && c.Title != r.title {
				t.Errorf("%s: title %q, controls.md %q", key, c.Title, r.title)
			}
			if !free && (c.Title == "" || len(c.Title) > 70) {
				t.Errorf("%s: paraphrased title %q must be short and non-empty", key, c.Title)
			}
		}
	}
	for key := range ref {
		if !seen[key] {
			t.Errorf("controls.md lists %s; the catalogue does not", key)
		}
	}
}

// TestCatalogueCoversBaselines: every @control attribute in the embedded
// baselines names a control in the catalogue (with a matching title for
// the frameworks whose titles are quoted).
func TestCatalogueCoversBaselines(t *testing.T) {
	idx, err := load.NewControlIndex()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, bc := range idx.All() {
		fw, err := FrameworkByID(bc.Baseline)
		if err != nil {
			continue // mozilla-* baselines are TLS profiles, not frameworks
		}
		n++
		found := false
		for _, c := range fw.Controls {
			if c.ID == bc.ID {
				found = true
				quoted := fw.ID != "pci-dss-4" && fw.ID != "soc2"
				if quoted && !strings.Contains(strings.ToLower(c.Title), strings.ToLower(bc.Title)) {
					t.Errorf("%s: baseline title %q, catalogue %q", bc, bc.Title, c.Title)
				}
			}
		}
		if !found {
			t.Errorf("baseline control %s is not in the catalogue", bc)
		}
	}
	if n < 50 {
		t.Errorf("only %d baseline controls seen", n)
	}
}

// TestCatalogueWellFormed: token ids are OSCAL tokens and unique, every
// named check exists, and the example ids from the issue come out right.
func TestCatalogueWellFormed(t *testing.T) {
	token := regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)
	for _, fw := range Frameworks() {
		ids := map[string]bool{}
		for _, c := range fw.Controls {
			id := fw.TokenID(c.ID)
			if !token.MatchString(id) || ids[id] {
				t.Errorf("%s %s: token id %q invalid or duplicate", fw.ID, c.ID, id)
			}
			ids[id] = true
			if (len(c.Checks) == 0) != (c.Unassessable != "") {
				t.Errorf("%s %s: a control has checks or says why it has none, not both", fw.ID, c.ID)
			}
			for _, ch := range c.Checks {
				if _, ok := checks[ch]; !ok {
					t.Errorf("%s %s: unknown check %q", fw.ID, c.ID, ch)
				}
			}
		}
	}
	for native, want := range map[string]string{"164.312(e)(1)": "hipaa-164.312-e-1", "164.312(a)(2)(iv)": "hipaa-164.312-a-2-iv"} {
		if got := hipaa().TokenID(native); got != want {
			t.Errorf("TokenID(%q) = %q, want %q", native, got, want)
		}
	}
	if got := gdpr().TokenID("Art. 32(1)(a)"); got != "gdpr-art-32-1-a" {
		t.Errorf("gdpr token id %q", got)
	}
	if got := owaspAPI().TokenID("API4:2023"); got != "owasp-api-2023-api4-2023" {
		t.Errorf("owasp token id %q", got)
	}
	for native, want := range map[string]string{"IA-2(1)": "ia-2.1", "SC-8": "sc-8", "AC-3": "ac-3"} {
		if got := nist80053().TokenID(native); got != want {
			t.Errorf("NIST TokenID(%q) = %q, want NIST's catalogue id %q", native, got, want)
		}
	}
}
