package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// control returns the report's control id, failing the test if absent.
func control(t *testing.T, r *Report, id string) Control {
	t.Helper()
	for _, c := range r.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no control %s in %s report", id, r.Framework.ID)
	return Control{}
}

// lineOf returns the 1-based line of the first line of file holding s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s holds no %q", file, s)
	return 0
}

// weakenedHospital copies examples/hospital-records to a temporary
// directory, drops its baselines (which would refuse the weakening) and
// applies edits, then compiles it.
func weakenedHospital(t *testing.T, edits map[string][][2]string) (*ir.Policy, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "examples", "hospital-records")
	files, _ := filepath.Glob(filepath.Join(src, "*.cue"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for _, e := range edits[filepath.Base(f)] {
			if !strings.Contains(s, e[0]) {
				t.Fatalf("%s holds no %q", f, e[0])
			}
			s = strings.Replace(s, e[0], e[1], 1)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{Today: today})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compiling the weakened copy: %v\n%v", err, diags)
	}
	return p, dir
}

// noBaselines removes hospital-records' baseline imports.
var noBaselines = [2]string{`import (
	"rampart.dev/baselines/hipaa"
	mozilla "rampart.dev/baselines/mozilla-intermediate:mozillaintermediate"
)

hipaa.#Policy
mozilla.#Policy
`, ""}

// TestWeakenedLogging: with access logging switched off, HIPAA audit
// controls are not satisfied and the cause points at the logging block.
func TestWeakenedLogging(t *testing.T) {
	p, dir := weakenedHospital(t, map[string][][2]string{"policy.cue": {noBaselines, {"logging: {\n", "logging: {\n\tenabled: false\n"}}})
	r := assess(t, p, "hipaa", Input{})
	c := control(t, r, "164.312(b)")
	if c.Status != NotSatisfied {
		t.Fatalf("164.312(b) is %s, want not satisfied", c.Status)
	}
	want := fmt.Sprintf("policy.cue:%d: policy: access log enabled: false", lineOf(t, filepath.Join(dir, "policy.cue"), "logging: {"))
	if !containsCause(c.Causes, want) {
		t.Errorf("causes %q lack %q", c.Causes, want)
	}
	if control(t, r, "164.312(e)(1)").Status != Satisfied {
		t.Error("TLS control changed although TLS did not")
	}
	if r.Policy.ImportsBaseline {
		t.Error("the weakened copy imports no baseline")
	}
	if md := string(render(t, r, "md")); !strings.Contains(md, "❌ not satisfied") {
		t.Error("Markdown does not show the failure")
	}
}

// TestWeakenedTLS: a listener accepting TLS 1.0 with a CBC suite fails
// HIPAA transmission security and integrity controls at the listener's TLS
// block.
func TestWeakenedTLS(t *testing.T) {
	weak := `tls: {
			profile:    "custom"
			minVersion: "1.0"
			ciphers: ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256"]
			curves: ["X25519", "prime256v1"]
`
	p, dir := weakenedHospital(t, map[string][][2]string{"policy.cue": {noBaselines, {"tls: {\n", weak}}})
	r := assess(t, p, "hipaa", Input{})
	line := lineOf(t, filepath.Join(dir, "policy.cue"), "tls: {")
	for id, check := range map[string]string{"164.312(e)(1)": "TLS 1.0–1.3", "164.312(e)(2)(i)": "non-AEAD suites: ECDHE-RSA-AES128-SHA256"} {
		c := control(t, r, id)
		want := fmt.Sprintf("policy.cue:%d: listener public: %s", line, check)
		if c.Status != NotSatisfied || !containsCause(c.Causes, want) {
			t.Errorf("%s: %s, causes %q; want not satisfied caused by %q", id, c.Status, c.Causes, want)
		}
	}
	if c := control(t, r, "164.312(b)"); c.Status == NotSatisfied {
		t.Errorf("audit controls failed on a TLS change: %q", c.Causes)
	}
}

// containsCause reports whether some cause contains want.
func containsCause(causes []string, want string) bool {
	for _, c := range causes {
		if strings.Contains(c, want) {
			return true
		}
	}
	return false
}

// TestWeakenedTLSByDrift: a weakening drift finding on TLS makes
// transmission security not satisfied at the policy line that sets TLS; a
// strengthening one does not.
func TestWeakenedTLSByDrift(t *testing.T) {
	p := compileExample(t, "hospital-records")
	var tlsOrigin ir.Origin
	for _, l := range p.Listeners {
		if l.Name == "public" {
			tlsOrigin = l.TLS.Origin
		}
	}
	run := drift.Result{Kind: drift.KindDrift, Policy: p.Name, Target: "nginx", Source: "nginx.conf",
		Checks: []drift.Check{{Control: ir.CtlTLS, Name: "ssl_protocols", Passed: false}, {Control: ir.CtlHSTS, Name: "hsts", Passed: true}},
		Findings: []drift.Finding{{Control: ir.CtlTLS, Target: "nginx", Listener: "public", Direction: drift.Changed, Severity: drift.Weakening,
			Path: "server[records.hospital.example:443].ssl_protocols", Expected: "TLSv1.2 TLSv1.3", Actual: "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
			Message: "live nginx accepts TLS 1.0", Origin: tlsOrigin}}}
	r := assess(t, p, "hipaa", Input{Runs: []drift.Result{run}})
	c := control(t, r, "164.312(e)(1)")
	want := fmt.Sprintf("%s: drift nginx listener public: live nginx accepts TLS 1.0", at(tlsOrigin))
	if c.Status != NotSatisfied || len(c.Causes) != 1 || !strings.HasPrefix(c.Causes[0], want) {
		t.Fatalf("164.312(e)(1): %s, causes %q; want not satisfied caused by %q", c.Status, c.Causes, want)
	}
	if !strings.HasPrefix(at(tlsOrigin), "examples/hospital-records/policy.cue:") || tlsOrigin.Line == 0 {
		t.Fatalf("TLS origin %v has no file:line", tlsOrigin)
	}
	if control(t, r, "164.312(b)").Status == NotSatisfied {
		t.Error("a TLS finding failed the audit control")
	}
	run.Findings[0].Severity = drift.Strengthening
	r = assess(t, p, "hipaa", Input{Runs: []drift.Result{run}})
	if c := control(t, r, "164.312(e)(1)"); c.Status != Satisfied {
		t.Errorf("a strengthening finding made 164.312(e)(1) %s", c.Status)
	}
	if len(r.Runs) != 1 || r.Runs[0].Findings != 1 || r.Runs[0].Passed != 1 {
		t.Errorf("runs %+v", r.Runs)
	}
	g := assess(t, p, "gdpr", Input{Runs: []drift.Result{run}})
	if c := control(t, g, "Art. 32(1)(d)"); c.Status != NotSatisfied && c.Status != PartiallySatisfied {
		t.Errorf("Art. 32(1)(d) with a run: %s", c.Status)
	}
	if c := control(t, assess(t, p, "gdpr", Input{}), "Art. 32(1)(d)"); c.Status != NotAssessed {
		t.Errorf("Art. 32(1)(d) without runs: %s, want not assessed", c.Status)
	}
}

// waiverPolicy has an HTTP log sink, which neither goproxy nor nginx can
// ship to, and waivers for it until expires.
func waiverPolicy(t *testing.T, expires string, on time.Time) *ir.Policy {
	t.Helper()
	dir := t.TempDir()
	src := `package orders

metadata: {name: "orders", owner: "Platform security <sec@example.com>"}

listeners: public: {
	port: 443
	hosts: ["api.example.com"]
	tls: {certificate: {cert: "/etc/tls/api.crt", key: "/etc/tls/api.key"}, hsts: {}}
}

authentication: staff: {
	kind:      "jwt"
	issuer:    "https://id.example.com/"
	audiences: ["orders"]
	jwksURI:   "https://id.example.com/jwks.json"
}

services: orders: {
	upstream: {url: "https://orders.internal:8443", tls: verify: true}
	listeners: ["public"]
	authentication: ["staff"]
	routes: list: {path: "/orders", methods: ["GET"], allow: [{anyAuthenticated: true}]}
}

logging: sink: {kind: "http", url: "https://logs.example.com/ingest"}

targets: authorizer: url: "http://127.0.0.1:9902"

waivers: [for c in ["logging.access", "logging.redact"] {
	control:  c
	target:   "*"
	reason:   "The SIEM collector posts the gateway's file log"
	approver: "ciso@example.com"
	expires:  "` + expires + `"
}]
`
	if err := os.WriteFile(filepath.Join(dir, "policy.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, compiler.Options{Today: on})
	if err != nil || p == nil {
		t.Fatalf("compiling: %v", err)
	}
	return p
}

// TestWaivers: a valid waiver makes the control waived (never satisfied)
// and shows reason, approver and expiry; an expired one does not count.
func TestWaivers(t *testing.T) {
	on := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := waiverPolicy(t, "2026-12-31", on)
	in := Input{Policy: p, Framework: "nist-800-53", Targets: goldenTargets(), Today: on}
	r, err := Assess(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	c := control(t, r, "AU-2")
	if c.Status != Waived || len(c.Waivers) == 0 || c.Waivers[0].Approver != "ciso@example.com" || c.Waivers[0].Expired {
		t.Fatalf("AU-2: %s, waivers %+v", c.Status, c.Waivers)
	}
	if md := string(render(t, r, "md")); !strings.Contains(md, "The SIEM collector posts the gateway's file log") || !strings.Contains(md, "2026-12-31") {
		t.Error("Markdown lacks the waiver's reason or expiry")
	}
	in.Today = time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	r, err = Assess(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	c = control(t, r, "AU-2")
	if c.Status != NotSatisfied || len(c.Causes) == 0 || !strings.Contains(c.Causes[0], "expired on 2026-12-31 and does not count") ||
		!strings.Contains(c.Causes[0], "policy.cue:") {
		t.Fatalf("AU-2 with an expired waiver: %s, causes %q", c.Status, c.Causes)
	}
	if !r.Waivers[0].Expired {
		t.Error("waiver not flagged expired")
	}
}

// TestHonestStatuses holds over every framework and example: a partial or
// supporting control is never plain satisfied, a control without checks
// is not assessed, and the score matches the stated formula.
func TestHonestStatuses(t *testing.T) {
	for ex := range examples {
		p := compileExample(t, ex)
		for _, fw := range Frameworks() {
			r := assess(t, p, fw.ID, Input{})
			for i, c := range r.Controls {
				if c.Strength != Direct && c.Status == Satisfied {
					t.Errorf("%s %s %s: %s evidence shown as satisfied", ex, fw.ID, c.ID, c.Strength)
				}
				if len(fw.Controls[i].Checks) == 0 && c.Status != NotAssessed {
					t.Errorf("%s %s %s: no check but %s", ex, fw.ID, c.ID, c.Status)
				}
				if c.Status == NotSatisfied && len(c.Causes) == 0 {
					t.Errorf("%s %s %s: not satisfied without a cause", ex, fw.ID, c.ID)
				}
			}
			n := r.Summary.Counts
			den := n[Satisfied] + n[PartiallySatisfied] + n[NotSatisfied] + n[Waived]
			want := (float64(n[Satisfied]) + 0.5*float64(n[PartiallySatisfied])) / float64(den)
			if !r.Summary.HasScore || r.Summary.Score != want {
				t.Errorf("%s %s: score %v, formula gives %v", ex, fw.ID, r.Summary.Score, want)
			}
		}
	}
}

// TestNoChecksNoScore: "0 checks = 100 %" is impossible.
func TestNoChecksNoScore(t *testing.T) {
	s := summarise([]Control{{Status: NotAssessed}, {Status: NotApplicable}})
	if s.HasScore || s.Percent() == "100.0 %" || !strings.Contains(s.Percent(), "no score") {
		t.Errorf("summary of unassessed controls: %+v %q", s, s.Percent())
	}
	if s := summarise(nil); s.HasScore {
		t.Error("an empty report has a score")
	}
}

// TestWaiverPrefersValid: an expired waiver beside a valid one for the
// same gap does not make the control fail.
func TestWaiverPrefersValid(t *testing.T) {
	on := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := waiverPolicy(t, "2026-12-31", on)
	old := p.Waivers[0]
	old.Expires = "2026-01-31"
	p.Waivers = append([]ir.Waiver{old}, p.Waivers...)
	r, err := Assess(context.Background(), Input{Policy: p, Framework: "nist-800-53", Targets: goldenTargets(), Today: on})
	if err != nil {
		t.Fatal(err)
	}
	if c := control(t, r, "AU-2"); c.Status != Waived {
		t.Errorf("AU-2 %s with a valid and an expired waiver, causes %q", c.Status, c.Causes)
	}
}

// TestCredentialHeaderNotRedacted: with redactCredentials off and only
// Authorization, Proxy-Authorization and Cookie redacted by hand, the
// billing vendor's X-API-Key reaches the log in clear, so GDPR Art.
// 32(1)(a) is not satisfied, caused at the logging block.
func TestCredentialHeaderNotRedacted(t *testing.T) {
	p, dir := weakenedHospital(t, map[string][][2]string{"policy.cue": {noBaselines,
		{"logging: {\n", "logging: {\n\tredactCredentials: false\n"},
		{`headers: "X-Patient-MRN": "hash"`, `headers: {"X-Patient-MRN": "hash", Authorization: "redact", "Proxy-Authorization": "redact", Cookie: "redact"}`},
	}})
	r := assess(t, p, "gdpr", Input{})
	c := control(t, r, "Art. 32(1)(a)")
	want := fmt.Sprintf("policy.cue:%d: policy: not redacted: header x-api-key", lineOf(t, filepath.Join(dir, "policy.cue"), "logging: {"))
	if c.Status != NotSatisfied || !containsCause(c.Causes, want) {
		t.Errorf("Art. 32(1)(a): %s, causes %q; want not satisfied caused by %q", c.Status, c.Causes, want)
	}
	for _, e := range c.Evidence {
		if e.Check == "log.redactCredentials" && e.Passed {
			t.Errorf("log.redactCredentials passed with X-API-Key logged in clear: %s", e.Value)
		}
	}
	// The same policy with redactCredentials on (the default) passes.
	ok := assess(t, compileExample(t, "hospital-records"), "gdpr", Input{})
	for _, e := range control(t, ok, "Art. 32(1)(a)").Evidence {
		if e.Check == "log.redactCredentials" && !e.Passed {
			t.Errorf("hospital-records redacts every credential, yet: %s", e.Value)
		}
	}
}

// TestAnyAuthenticatedOnSensitiveRoute: a rule letting any authenticated
// caller read patient records is not access by job role or need to know;
// authz.rules used to pass every route, so PCI 7.3.1 and 7.3.2 (direct
// evidence) showed satisfied on it.
func TestAnyAuthenticatedOnSensitiveRoute(t *testing.T) {
	p, dir := weakenedHospital(t, map[string][][2]string{
		"policy.cue":   {noBaselines},
		"services.cue": {{`allow: [{methods: ["GET"], roles: ["clinician", "nurse"]}]`, `allow: [{methods: ["GET"], anyAuthenticated: true}]`}},
	})
	r := assess(t, p, "pci-dss-4", Input{})
	want := fmt.Sprintf("services.cue:%d: route patient-records/patient-search: a rule allows any authenticated principal to phi data",
		lineOf(t, filepath.Join(dir, "services.cue"), "anyAuthenticated: true"))
	for _, id := range []string{"7.3.1", "7.3.2"} {
		if c := control(t, r, id); c.Status != NotSatisfied || !containsCause(c.Causes, want) {
			t.Errorf("%s: %s, causes %q; want not satisfied caused by %q", id, c.Status, c.Causes, want)
		}
	}
	// Unchanged, the example's role rules satisfy 7.3.2.
	if c := control(t, assess(t, compileExample(t, "hospital-records"), "pci-dss-4", Input{}), "7.3.2"); c.Status != Satisfied {
		t.Errorf("hospital-records 7.3.2 is %s (%q)", c.Status, c.Causes)
	}
}

// TestRunsFailClosed: a probe check that failed without a finding, and a
// finding whose severity is not one drift defines, fail the control
// instead of being dropped or counted as a pass.
func TestRunsFailClosed(t *testing.T) {
	p := compileExample(t, "hospital-records")
	probe := drift.Result{Kind: drift.KindProbe, Policy: p.Name, Target: "nginx", Source: "https://records.hospital.example",
		Checks: []drift.Check{{Control: ir.CtlTLS, Name: "TLS 1.0 handshake refused", Passed: false}}}
	c := control(t, assess(t, p, "hipaa", Input{Runs: []drift.Result{probe}}), "164.312(e)(1)")
	if c.Status != NotSatisfied || !containsCause(c.Causes, "probe nginx: TLS 1.0 handshake refused: failed") {
		t.Errorf("failed probe check without finding: %s, causes %q", c.Status, c.Causes)
	}
	drifted := drift.Result{Kind: drift.KindDrift, Policy: p.Name, Target: "nginx", Source: "nginx.conf",
		Findings: []drift.Finding{{Control: ir.CtlTLS, Target: "nginx", Listener: "public", Direction: drift.Changed, Severity: "weakened",
			Message: "live nginx accepts TLS 1.0"}}}
	c = control(t, assess(t, p, "hipaa", Input{Runs: []drift.Result{drifted}}), "164.312(e)(1)")
	if c.Status != NotSatisfied || !containsCause(c.Causes, `unknown severity "weakened"`) {
		t.Errorf("finding of unknown severity: %s, causes %q", c.Status, c.Causes)
	}
}

// TestManualCORSHeaders: Access-Control-Allow-Origin: * with credentials,
// set through headers.extra, passes vet (it is not a CORS policy) and used
// to leave cors.safe with nothing to check: OWASP API8 showed satisfied.
func TestManualCORSHeaders(t *testing.T) {
	p, _ := weakenedHospital(t, map[string][][2]string{"policy.cue": {noBaselines,
		{`cacheControl:          "no-store"`, "cacheControl:          \"no-store\"\n\t\textra: {\"Access-Control-Allow-Origin\": \"*\", \"Access-Control-Allow-Credentials\": \"true\"}"}}})
	if c := control(t, assess(t, compileExample(t, "hospital-records"), "owasp-api-2023", Input{}), "API8:2023"); c.Status == NotSatisfied {
		t.Fatalf("unchanged example: API8 %s (%q)", c.Status, c.Causes)
	}
	c := control(t, assess(t, p, "owasp-api-2023", Input{}), "API8:2023")
	if c.Status != NotSatisfied || !containsCause(c.Causes, "Access-Control headers set through headers.extra: Access-Control-Allow-Credentials: true; Access-Control-Allow-Origin: *") {
		t.Errorf("API8:2023: %s, causes %q", c.Status, c.Causes)
	}
}
