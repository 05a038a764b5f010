package drift

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/reference"
)

func sample() []Result {
	return []Result{{Kind: KindDrift, Policy: "shop", Target: "nginx", Source: "cmd:nginx -T",
		Checks: []Check{{Control: "tls", Name: "ssl_protocols"}, {Control: "headers", Name: "add_header", Passed: true}},
		Findings: []Finding{{Control: "tls", Target: "nginx", Listener: "public", Direction: Unexpected, Severity: Weakening,
			Path: "server[127.0.0.1:8443].ssl_protocols", Actual: "TLSv1", Message: "ssl_protocols: TLSv1 is in live",
			Origin: ir.Origin{File: "policy.cue", Line: 4, Col: 2, Path: "listeners.public.tls"}},
			{Control: "headers", Target: "nginx", Route: "shop/items", Direction: Missing, Severity: Weakening,
				Expected: "nosniff", Message: "X-Content-Type-Options missing"}}}}
}

func TestWriteText(t *testing.T) {
	var plain, colour bytes.Buffer
	if err := WriteText(&plain, sample(), false); err != nil {
		t.Fatal(err)
	}
	WriteText(&colour, sample(), true)
	for _, want := range []string{"2 finding(s), 2 weakening", "+ tls [public] unexpected, weakening", "- headers [shop/items] missing",
		"actual:   TLSv1", "policy:   policy.cue:4:2 listeners.public.tls"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, plain.String())
		}
	}
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(colour.String(), "\x1b[31m") {
		t.Errorf("colour only when asked")
	}
}

// TestSARIFValid validates the SARIF output against the published SARIF
// 2.1.0 schema in the shared reference data.
func TestSARIFValid(t *testing.T) {
	schemaPath := reference.Path(t, "sarif", "sarif-schema-2.1.0.json")
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range [][]Result{sample(), {}} {
		var buf bytes.Buffer
		if err := WriteSARIF(&buf, rs, SARIFOptions{Root: "."}); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("SARIF invalid: %v\n%s", err, buf.String())
		}
	}
	var buf bytes.Buffer
	WriteSARIF(&buf, sample(), SARIFOptions{Root: "."})
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID, Level string
				RuleIndex     int
				Locations     []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
					}
				}
			}
		}
	}
	json.Unmarshal(buf.Bytes(), &log)
	rs := log.Runs[0].Results
	if len(rs) != 2 || rs[0].RuleID != "headers" || rs[1].Level != "error" || len(rs[1].Locations) != 1 {
		t.Errorf("results: %+v", rs)
	}
	// Each result's ruleIndex names its rule; a location is relative to
	// the root under %SRCROOT%, as code scanning resolves it.
	rules := log.Runs[0].Tool.Driver.Rules
	for _, r := range rs {
		if r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d; rules %+v", r.RuleID, r.RuleIndex, rules)
		}
	}
	if a := rs[1].Locations[0].PhysicalLocation.ArtifactLocation; a.URI != "policy.cue" || a.URIBaseID != "%SRCROOT%" {
		t.Errorf("location %+v, want policy.cue under %%SRCROOT%%", a)
	}
	// A schema check that must be able to fail: a broken level is refused.
	bad := strings.Replace(buf.String(), `"level": "error"`, `"level": "fatal"`, 1)
	doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if sch.Validate(doc) == nil {
		t.Errorf("schema accepted level fatal")
	}
}

// FuzzWriteText checks that whatever a live gateway puts in a value,
// plain text output holds no control character but newlines.
func FuzzWriteText(f *testing.F) {
	f.Add("TLSv1", "server[x]", "\x1b[2J\x1b[31mfake")
	f.Fuzz(func(t *testing.T, actual, path, msg string) {
		rs := []Result{{Kind: KindDrift, Source: msg, Target: path, Findings: []Finding{{Control: "tls", Route: msg,
			Direction: Changed, Severity: Weakening, Path: path, Expected: "x", Actual: actual, Message: msg,
			Origin: ir.Origin{File: path, Path: actual}}}}}
		var b bytes.Buffer
		if err := WriteText(&b, rs, false); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(b.String(), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
			t.Errorf("control character in output: %q", b.String())
		}
	})
}
