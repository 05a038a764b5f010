package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportDeterministic runs rampart report end to end (compile, build
// every target in memory, assess, write) twice for every format on one
// example and every framework on another, and requires identical files.
func TestReportDeterministic(t *testing.T) {
	t.Setenv("RAMPART_TODAY", "2026-11-26")
	runs := [][2]string{}
	for _, f := range []string{"md", "html", "json", "csv", "oscal", "oscal-component"} {
		runs = append(runs, [2]string{"gdpr", f})
	}
	for _, fw := range []string{"hipaa", "pci-dss-4", "soc2", "owasp-api-2023", "nist-800-53"} {
		runs = append(runs, [2]string{fw, "md"})
	}
	dir := t.TempDir()
	for _, r := range runs {
		var files [2][]byte
		for i := range files {
			out := filepath.Join(dir, r[0]+"."+r[1])
			var stdout, stderr bytes.Buffer
			args := []string{"report", "--framework", r[0], "--format", r[1], "-o", out, "../../examples/eu-saas"}
			if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
				t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), "wrote "+out+" ("+r[0]+": ") {
				t.Errorf("stdout %q", stdout.String())
			}
			data, err := os.ReadFile(out)
			if err != nil || len(data) < 500 {
				t.Fatalf("%s: %d bytes, %v", out, len(data), err)
			}
			files[i] = data
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s %s: two runs differ", r[0], r[1])
		}
	}
}

// TestReportUsesEveryTarget: by default the evidence comes from every
// target in targets.All(), whichever exist, and --target narrows it.
func TestReportUsesEveryTarget(t *testing.T) {
	t.Setenv("RAMPART_TODAY", "2026-11-26")
	for spec, want := range map[string]string{"all": strings.ReplaceAll(targetNames(), "|", ","), "goproxy": "goproxy"} {
		var stdout, stderr bytes.Buffer
		args := []string{"report", "--framework", "hipaa", "--format", "json", "--target", spec, "../../examples/hospital-records"}
		if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
		}
		var rep struct {
			Targets []struct {
				Name string `json:"name"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tg := range rep.Targets {
			names = append(names, tg.Name)
		}
		if got := strings.Join(names, ","); got != want {
			t.Errorf("--target %s: report targets %s, want %s", spec, got, want)
		}
	}
}
