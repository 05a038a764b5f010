package diag_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/diag"
	"github.com/rampart-policy/rampart/internal/sarifcheck"
)

// sample is a diagnostic list with every shape a printer meets: an error
// with a related baseline line, a warning, advice without a column, and a
// diagnostic without a position.
var sample = diag.List{
	{Pos: diag.Pos{File: "policy/policy.cue", Line: 22, Col: 8}, Severity: diag.Error, Code: diag.CodeBaseline,
		Message: "logging.retentionDays weakens baseline pci-dss-4: requires >=365, sets 30", Path: "logging.retentionDays",
		Control: "pci-dss-4 10.5.1",
		Related: []diag.Related{{Pos: diag.Pos{File: "rampart.dev/baselines/pci-dss-4/pcidss4.cue", Line: 80, Col: 19}, Message: "baseline pci-dss-4 requires this"}}},
	{Pos: diag.Pos{File: "policy/services.cue", Line: 7, Col: 3}, Severity: diag.Warning, Code: diag.CodeUpstreamTLSOff, Message: "upstream certificate not verified"},
	{Pos: diag.Pos{File: "policy/my policy.cue", Line: 3}, Severity: diag.Info, Code: diag.CodeWaived, Message: "a waiver, 100% \"quoted\""},
	{Severity: diag.Error, Code: diag.CodeLoad, Message: "no CUE files"},
}

func TestSARIFValidAgainstSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := diag.PrintSARIF(&buf, sample, diag.SARIFOptions{Root: ".", ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	sarifcheck.Validate(t, buf.Bytes())

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string
						HelpURI string `json:"helpUri"`
						Help    struct{ Text string }
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						}
						Region struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(sample) {
		t.Fatalf("%d results, want %d", len(run.Results), len(sample))
	}
	for i, r := range run.Results {
		rule := run.Tool.Driver.Rules[r.RuleIndex]
		if rule.ID != r.RuleID {
			t.Errorf("result %d: ruleIndex points at %s, want %s", i, rule.ID, r.RuleID)
		}
		e, _ := diag.Explain(r.RuleID)
		if !strings.Contains(rule.Help.Text, e.Text) || rule.HelpURI == "" {
			t.Errorf("rule %s: help %q lacks the explain text or helpUri", rule.ID, rule.Help.Text)
		}
	}
	first := run.Results[0].Locations[0].PhysicalLocation
	if first.ArtifactLocation.URI != "policy/policy.cue" || first.ArtifactLocation.URIBaseID != diag.SrcRoot ||
		first.Region.StartLine != 22 || first.Region.StartColumn != 8 {
		t.Errorf("first location = %+v, want policy/policy.cue:22:8 under %s", first, diag.SrcRoot)
	}
	if got := run.Results[2].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != "policy/my%20policy.cue" {
		t.Errorf("uri with a space = %q, want it percent-encoded", got)
	}
	if levels := []string{run.Results[0].Level, run.Results[1].Level, run.Results[2].Level}; strings.Join(levels, ",") != "error,warning,note" {
		t.Errorf("levels = %v", levels)
	}
	if len(run.Results[3].Locations) != 0 {
		t.Errorf("a diagnostic without a file got a location")
	}
}

func TestSARIFEmptyAndDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	diag.PrintSARIF(&a, nil, diag.SARIFOptions{})
	sarifcheck.Validate(t, a.Bytes())
	if !strings.Contains(a.String(), `"results": []`) {
		t.Errorf("empty log has no empty results array:\n%s", a.String())
	}
	a.Reset()
	diag.PrintSARIF(&a, sample, diag.SARIFOptions{Root: "."})
	diag.PrintSARIF(&b, sample, diag.SARIFOptions{Root: "."})
	if a.String() != b.String() {
		t.Error("two runs differ")
	}
}

// TestSARIFOutsideRoot: a file outside --root gets an absolute file:// URI
// and no uriBaseId (SARIF allows a missing base only with an absolute
// URI); a relative "../x" or a scheme-less "/tmp/x" would be resolved
// against the repository root by GitHub and name another file.
func TestSARIFOutsideRoot(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "other policy", "policy.cue")
	l := diag.List{
		{Pos: diag.Pos{File: outside, Line: 3, Col: 1}, Severity: diag.Error, Code: diag.CodeBaseline, Message: "m"},
		{Pos: diag.Pos{File: filepath.Join(root, "in", "policy.cue"), Line: 4, Col: 2}, Severity: diag.Error, Code: diag.CodeBaseline, Message: "m"},
	}
	var buf bytes.Buffer
	if err := diag.PrintSARIF(&buf, l, diag.SARIFOptions{Root: root}); err != nil {
		t.Fatal(err)
	}
	sarifcheck.Validate(t, buf.Bytes())
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	got := func(i int) (string, string) {
		a := log.Runs[0].Results[i].Locations[0].PhysicalLocation.ArtifactLocation
		return a.URI, a.URIBaseID
	}
	want := "file://" + strings.ReplaceAll(filepath.ToSlash(outside), " ", "%20")
	if !strings.HasPrefix(want, "file:///") {
		want = "file:///" + strings.TrimPrefix(want, "file://")
	}
	if uri, base := got(0); uri != want || base != "" {
		t.Errorf("outside root: uri %q base %q, want %q without a base", uri, base, want)
	}
	if uri, base := got(1); uri != "in/policy.cue" || base != diag.SrcRoot {
		t.Errorf("inside root: uri %q base %q", uri, base)
	}
}
