package drift

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONRoundTrip(t *testing.T) {
	in := []Result{{Kind: KindDrift, Policy: "p", Target: "nginx", Source: "nginx.conf",
		Checks: []Check{{Control: "tls", Name: "ssl_protocols"}, {Control: "cors", Name: "x", Passed: true}},
		Findings: []Finding{{Control: "tls", Target: "nginx", Direction: Changed, Severity: Weakening,
			Expected: "TLSv1.2 TLSv1.3", Actual: "TLSv1 TLSv1.2 TLSv1.3", Message: "m"}}}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if out[0].Checks[0].Control != "cors" {
		t.Errorf("checks not sorted: %+v", out[0].Checks)
	}
}

func TestReadJSONStrict(t *testing.T) {
	for _, bad := range []string{`[{"kind":"drift","bogus":1}]`, `[{"kind":"other"}]`, `{`} {
		if _, err := ReadJSON(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadJSON(%s) accepted", bad)
		}
	}
}
