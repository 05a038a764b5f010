package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/internal/sarifcheck"
	"github.com/rampart-policy/rampart/posture"
)

// edit replaces old with new, once, in dir/file.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte(old)) != 1 {
		t.Fatalf("%s holds %q %d times, want once: update the test", file, old, bytes.Count(data, []byte(old)))
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineCol returns the 1-based line and column of the first occurrence of
// s in dir/file.
func lineCol(t *testing.T, dir, file, s string) (int, int) {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, file))
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%s does not hold %q", file, s)
	}
	line := bytes.Count(data[:i], []byte("\n")) + 1
	return line, i - bytes.LastIndexByte(data[:i], '\n')
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestVetSARIFBrokenExample: vet --format sarif on an example with a
// weakened baseline value is valid SARIF 2.1.0 and points at the line and
// column of the offending value, relative to --root.
func TestVetSARIFBrokenExample(t *testing.T) {
	dir := copyExample(t, "payments-api")
	edit(t, dir, "policy.cue", "retentionDays: 400", "retentionDays: 30")
	wantLine, wantCol := lineCol(t, dir, "policy.cue", "retentionDays: 30")
	wantCol += len("retentionDays: ")
	code, out, errb := run(t, "vet", "--format", "sarif", "--root", filepath.Dir(dir), dir)
	if code != ExitPolicy {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitPolicy, errb)
	}
	log := sarifcheck.Validate(t, []byte(out))
	var got struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	data, _ := json.Marshal(log)
	json.Unmarshal(data, &got)
	if len(got.Runs) != 1 || len(got.Runs[0].Results) != 1 {
		t.Fatalf("want one run with one result:\n%s", out)
	}
	r := got.Runs[0].Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "RMP300" || loc.ArtifactLocation.URI != "payments-api/policy.cue" ||
		loc.Region.StartLine != wantLine || loc.Region.StartColumn != wantCol {
		t.Errorf("result %s at %s:%d:%d, want RMP300 at payments-api/policy.cue:%d:%d",
			r.RuleID, loc.ArtifactLocation.URI, loc.Region.StartLine, loc.Region.StartColumn, wantLine, wantCol)
	}
}

// weakenPayments applies to a copy of payments-api eight weakenings that
// its PCI DSS baseline allows, and returns the message each must produce.
func weakenPayments(t *testing.T, dir string) []string {
	edit(t, dir, "services.cue", `requests: 20, per: "minute", burst: 5`, `requests: 200, per: "minute", burst: 5`)
	edit(t, dir, "services.cue", "limits: maxBodyBytes: 4096", "limits: maxBodyBytes: 40960")
	edit(t, dir, "services.cue", `allowOrigins: ["https://checkout.payments.example"]`, `allowOrigins: ["https://checkout.payments.example", "https://partner.payments.example"]`)
	edit(t, dir, "services.cue", `key: "apiKey", shared: true`, `key: "apiKey", shared: false`)
	edit(t, dir, "services.cue", "\t\t\taccessLog: false\n\t\t}\n", "\t\t\taccessLog: false\n\t\t}\n\t\troutes: version: {path: \"/version\", methods: [\"GET\"], public: true}\n")
	edit(t, dir, "policy.cue", "includeSubDomains: true, preload: true}", "includeSubDomains: true, preload: false}")
	edit(t, dir, "policy.cue", "\tredirectHTTP: port: 80\n", "")
	edit(t, dir, "auth.cue", "cacheSeconds: 30", "cacheSeconds: 300")
	return []string{
		"rate limit token-per-ip on POST /oauth2/token raised 20/minute → 200/minute",
		"body size limit on POST /oauth2/token raised 4096 bytes → 40960 bytes",
		"CORS origins on 4 routes",
		"rate limit per-partner-key on GET /v1/settlements/** is no longer shared",
		"new public route GET /version: no authentication",
		"HSTS on listener api no longer allows preloading",
		"HTTP→HTTPS redirect on port 80 removed from listener api",
		"introspection cache lifetime of provider merchant-oauth raised 30 s → 300 s",
	}
}

// TestDiffWeakenedExample: diff between an example and a weakened copy
// lists each weakening at HEAD's file:line and exits 1; with
// --allow-weakening it exits 0; the SARIF form is valid.
func TestDiffWeakenedExample(t *testing.T) {
	base := copyExample(t, "payments-api")
	head := copyExample(t, "payments-api")
	if code, _, errb := run(t, "vet", head); code != ExitOK {
		t.Fatalf("the unweakened copy does not vet: %s", errb)
	}
	want := weakenPayments(t, head)
	if code, _, errb := run(t, "vet", head); code != ExitOK {
		t.Fatalf("the weakened copy must still vet (diff, not vet, catches these):\n%s", errb)
	}
	code, out, errb := run(t, "diff", base, head)
	if code != ExitPolicy {
		t.Fatalf("diff exit %d, want %d:\n%s%s", code, ExitPolicy, out, errb)
	}
	for _, w := range want {
		line := lineWith(out, w)
		if line == "" {
			t.Errorf("diff does not list %q:\n%s", w, out)
			continue
		}
		if !strings.HasPrefix(line, head+string(filepath.Separator)) || !strings.HasSuffix(line, "(weakened)") {
			t.Errorf("line %q is not at a HEAD file:line or not marked weakened", line)
		}
	}
	if !strings.Contains(out, "11 weakened (0 accepted), 0 strengthened, 0 neutral") {
		t.Errorf("summary:\n%s", out)
	}
	if code, _, _ := run(t, "diff", "--allow-weakening", base, head); code != ExitOK {
		t.Errorf("--allow-weakening: exit %d, want 0", code)
	}
	_, sarif, _ := run(t, "diff", "--format", "sarif", "--root", filepath.Dir(head), base, head)
	sarifcheck.Validate(t, []byte(sarif))
	if n := strings.Count(sarif, `"ruleId": "RMP700"`); n != 11 {
		t.Errorf("SARIF has %d RMP700 results, want 11", n)
	}
	if !strings.Contains(sarif, `"uri": "payments-api/services.cue"`) {
		t.Errorf("SARIF locations are not relative to --root:\n%s", sarif)
	}
}

func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestDiffSymmetry compiles the BASE and HEAD of every diff_*.txtar case
// and checks that comparing them the other way round swaps weakenings and
// strengthenings one for one, and that a comparison is deterministic.
func TestDiffSymmetry(t *testing.T) {
	files, _ := filepath.Glob("testdata/script/diff_*.txtar")
	if len(files) < 30 {
		t.Fatalf("only %d diff cases", len(files))
	}
	checked := 0
	for _, f := range files {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for _, af := range ar.Files {
			if strings.HasSuffix(af.Name, ".cue") {
				os.MkdirAll(filepath.Join(dir, filepath.Dir(af.Name)), 0o755)
				os.WriteFile(filepath.Join(dir, af.Name), af.Data, 0o644)
			}
		}
		b, errB := compileDir(filepath.Join(dir, "base"))
		h, errH := compileDir(filepath.Join(dir, "head"))
		if errB != nil || errH != nil {
			continue // cases about policy errors
		}
		checked++
		fwd, back := posture.Compare(b, h), posture.Compare(h, b)
		fw, fs, fn := fwd.Counts()
		bw, bs, bn := back.Counts()
		if fw != bs || fs != bw || fn != bn || fwd.Compared != back.Compared {
			t.Errorf("%s: forward %d/%d/%d of %d, backward %d/%d/%d of %d (weakened/strengthened/neutral)",
				f, fw, fs, fn, fwd.Compared, bw, bs, bn, back.Compared)
		}
		var j1, j2 bytes.Buffer
		fwd.WriteJSON(&j1)
		posture.Compare(b, h).WriteJSON(&j2)
		if j1.String() != j2.String() {
			t.Errorf("%s: two comparisons differ", f)
		}
	}
	if checked < 30 {
		t.Errorf("only %d cases compiled on both sides", checked)
	}
}

func compileDir(dir string) (p *ir.Policy, err error) {
	t0 := compileOptions()
	pol, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: dir}, t0)
	if err != nil || diags.HasErrors() {
		return nil, os.ErrInvalid
	}
	return pol, nil
}

// TestDiffGit: diff --git REV PATH compares the working tree with the
// revision, read with git archive, from the repository root and from a
// subdirectory, and leaves the working tree, index and HEAD as they were.
func TestDiffGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	gitT := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	gitT("init", "-q", "-b", "main")
	src := copyExample(t, "payments-api")
	policy := filepath.Join(repo, "policies", "payments")
	os.MkdirAll(policy, 0o755)
	for _, f := range []string{"auth.cue", "policy.cue", "services.cue"} {
		data, _ := os.ReadFile(filepath.Join(src, f))
		os.WriteFile(filepath.Join(policy, f), data, 0o644)
	}
	gitT("add", ".")
	gitT("commit", "-q", "-m", "policy")
	edit(t, policy, "services.cue", `requests: 20, per: "minute", burst: 5`, `requests: 200, per: "minute", burst: 5`)
	statusBefore, headBefore := gitT("status", "--porcelain"), gitT("rev-parse", "HEAD")

	t.Chdir(repo)
	code, out, errb := run(t, "diff", "--git", "HEAD", "policies/payments")
	if code != ExitPolicy || !strings.Contains(out, "policies/payments/services.cue:") ||
		!strings.Contains(out, "raised 20/minute → 200/minute") || !strings.Contains(out, "HEAD:policies/payments → policies/payments") {
		t.Errorf("diff --git HEAD from the root: exit %d\n%s%s", code, out, errb)
	}
	t.Chdir(policy)
	code, out, errb = run(t, "diff", "--git", "main")
	if code != ExitPolicy || !strings.Contains(out, "raised 20/minute → 200/minute") {
		t.Errorf("diff --git main from the policy directory: exit %d\n%s%s", code, out, errb)
	}
	if s, h := gitT("status", "--porcelain"), gitT("rev-parse", "HEAD"); s != statusBefore || h != headBefore {
		t.Errorf("diff --git changed the repository: status %q → %q, HEAD %q → %q", statusBefore, s, headBefore, h)
	}
	for _, rev := range []string{"no-such-rev", "--output=/tmp/x"} {
		if code, _, errb := run(t, "diff", "--git", rev); code != ExitUsage || !strings.Contains(errb, "RMP704") {
			t.Errorf("diff --git %s: exit %d, want %d naming RMP704:\n%s", rev, code, ExitUsage, errb)
		}
	}
}

// TestDiffJSONUsesFindingModel: the JSON report's changes decode as
// drift findings with a weakening direction and HEAD's origin.
func TestDiffJSONUsesFindingModel(t *testing.T) {
	base, head := copyExample(t, "payments-api"), copyExample(t, "payments-api")
	weakenPayments(t, head)
	_, out, _ := run(t, "diff", "--format", "json", base, head)
	var rep struct {
		Changes []drift.Finding `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 11 {
		t.Fatalf("%d changes, want 11", len(rep.Changes))
	}
	for _, c := range rep.Changes {
		if c.Severity != drift.Weakening || !strings.HasPrefix(c.Origin.File, head) || c.Message == "" {
			t.Errorf("change %+v: want a weakening at a HEAD file", c)
		}
	}
}
