package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// weakenings are changes a team might try on a shipped example; each must
// fail vet with RMP300 naming the baseline control, at a line of the
// policy's own files.
//
// A weakening is either extra CUE added in a new file (for values the
// example leaves to defaults) or an edit of the example's own value
// (file: old → new).
var weakenings = []struct {
	example, name, cue, control string
	file, old, new              string
}{
	{"hospital-records", "logging-off", `logging: enabled: false`, "hipaa control 164.312(b)", "", "", ""},
	{"hospital-records", "no-identity", `logging: fields: identity: false`, "hipaa control 164.312(a)(2)(i)", "", "", ""},
	{"hospital-records", "phi-public", `services: "patient-records": routes: patient: public: true`, "hipaa control 164.312(d)", "", "", ""},
	{"hospital-records", "upstream-unverified", "", "hipaa control 164.312(e)(2)(ii)", "services.cue", "tls: {verify: true, ca:", "tls: {verify: false, ca:"},
	{"hospital-records", "tls-1.1", `listeners: public: tls: {profile: "custom", minVersion: "1.1"}`, "control", "", "", ""},
	{"payments-api", "accept-undeclared", `rejectUndeclaredRoutes: false`, "pci-dss-4 control 7.3.3", "", "", ""},
	{"payments-api", "lockout-lenient", "", "pci-dss-4 control 8.3.4", "auth.cue", "maxAttempts:    5", "maxAttempts:    50"},
	{"payments-api", "pci-public", `services: "card-payments": routes: payment: public: true`, "pci-dss-4 control 8.3.1", "", "", ""},
	{"payments-api", "short-retention", "", "pci-dss-4 control 10.5.1", "policy.cue", "retentionDays: 400", "retentionDays: 30"},
	{"eu-saas", "pii-public", `services: accounts: routes: me: public: true`, "gdpr control", "", "", ""},
	{"eu-saas", "credentials-logged", `logging: redactCredentials: false`, "gdpr control Art. 25(2)", "", "", ""},
	{"eu-saas", "accept-undeclared", `rejectUndeclaredRoutes: false`, "gdpr control Art. 25(2)", "", "", ""},
}

var pkgClause = regexp.MustCompile(`(?m)^package (\w+)`)

func TestWeakeningExamplesFails(t *testing.T) {
	for _, w := range weakenings {
		t.Run(w.example+"/"+w.name, func(t *testing.T) {
			dir := copyExample(t, w.example)
			src, _ := os.ReadFile(filepath.Join(dir, "policy.cue"))
			pkg := pkgClause.FindSubmatch(src)
			if pkg == nil {
				t.Fatal("example has no package clause")
			}
			if w.cue != "" {
				weaken := "package " + string(pkg[1]) + "\n\n" + w.cue + "\n"
				if err := os.WriteFile(filepath.Join(dir, "zz_weaken.cue"), []byte(weaken), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				p := filepath.Join(dir, w.file)
				data, _ := os.ReadFile(p)
				if !bytes.Contains(data, []byte(w.old)) {
					t.Fatalf("%s no longer contains %q: update the weakening", w.file, w.old)
				}
				os.WriteFile(p, bytes.Replace(data, []byte(w.old), []byte(w.new), 1), 0o644)
			}
			var out, errb bytes.Buffer
			code := Main([]string{"vet", dir}, strings.NewReader(""), &out, &errb)
			msg := errb.String()
			if code != ExitPolicy {
				t.Fatalf("vet exit %d, want %d:\n%s", code, ExitPolicy, msg)
			}
			if !strings.Contains(msg, "error RMP300") || !strings.Contains(msg, w.control) {
				t.Errorf("want RMP300 naming %q:\n%s", w.control, msg)
			}
			first, _, _ := strings.Cut(msg, ": error")
			if !strings.HasPrefix(first, dir) || !regexp.MustCompile(`\.cue:\d+:\d+$`).MatchString(first) {
				t.Errorf("first diagnostic is at %q, want file:line:col in the policy's own files", first)
			}
		})
	}
}

// copyExample copies examples/<name> into a temporary directory.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := filepath.Join("..", "..", "examples", name)
	files, err := filepath.Glob(filepath.Join(src, "*.cue"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example %s: no files", name)
	}
	os.MkdirAll(dst, 0o755)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644)
	}
	return dst
}
