package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// stepScript returns the run script of job's step called name in
// examples/ci/github-actions.yml.
func stepScript(t *testing.T, job, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", "github-actions.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("github-actions.yml: %v", err)
	}
	for _, s := range wf.Jobs[job].Steps {
		if s.Name == name {
			return s.Run
		}
	}
	t.Fatalf("github-actions.yml: job %s has no step %q", job, name)
	return ""
}

// buildRampart builds the rampart binary into a directory for PATH.
func buildRampart(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "rampart"), "../../cmd/rampart")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runStep runs a step's script as GitHub does (bash -e -o pipefail) in dir.
func runStep(t *testing.T, dir, bin, script string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "POLICIES=policies/*/"}, env...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestGitHubActionsSteps runs the shell of the example workflow's vet,
// diff and build steps with the real rampart binary and git, in a
// repository whose pull-request branch weakens one policy and adds another.
func TestGitHubActionsSteps(t *testing.T) {
	for _, tool := range []string{"git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	bin := buildRampart(t)
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	put := func(example, name string) string {
		dst := filepath.Join(repo, "policies", name)
		os.MkdirAll(dst, 0o755)
		src := copyExample(t, example)
		files, _ := filepath.Glob(filepath.Join(src, "*.cue"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644)
		}
		return dst
	}
	git("init", "-q", "-b", "main")
	payments := put("payments-api", "payments")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	git("checkout", "-q", "-b", "pr")
	edit(t, payments, "services.cue", `requests: 20, per: "minute", burst: 5`, `requests: 200, per: "minute", burst: 5`)
	put("eu-saas", "accounts")
	git("add", ".")
	git("commit", "-q", "-m", "weaken")

	out, summary := filepath.Join(repo, "gh-output"), filepath.Join(repo, "gh-summary")
	code, log := runStep(t, repo, bin, stepScript(t, "diff", "Posture diff against the base branch"),
		"BASE_REF=main", "GITHUB_OUTPUT="+out, "GITHUB_STEP_SUMMARY="+summary)
	if code != 0 {
		t.Fatalf("diff step exit %d:\n%s", code, log)
	}
	gho, _ := os.ReadFile(out)
	md, _ := os.ReadFile(filepath.Join(repo, "rampart-diff.md"))
	if strings.TrimSpace(string(gho)) != "exit=1" {
		t.Errorf("GITHUB_OUTPUT = %q, want exit=1 (a weakening)", gho)
	}
	for _, want := range []string{"<!-- rampart-diff -->", "### rampart diff: payments\\-api\\-gateway",
		"rate limit token\\-per\\-ip on POST /oauth2/token raised 20/minute → 200/minute", "`policies/accounts`", "New policy"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}

	code, log = runStep(t, repo, bin, stepScript(t, "vet", "Vet (SARIF and JUnit reports)"))
	if code != 0 {
		t.Errorf("vet reports step exit %d:\n%s", code, log)
	}
	for _, f := range []string{"rampart-vet.sarif", "rampart-vet.junit"} {
		if fi, err := os.Stat(filepath.Join(repo, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if code, log := runStep(t, repo, bin, stepScript(t, "vet", "Vet (annotations on the pull request)")); code != 0 || log != "" {
		t.Errorf("vet of clean policies: exit %d, output %q", code, log)
	}

	// The build step follows each policy's targets.deploy: records
	// deploys to goproxy and nginx only; the others list none and build
	// every target.
	put("hospital-records", "records")
	code, log = runStep(t, repo, bin, stepScript(t, "build", "Build"))
	if code != 0 {
		t.Fatalf("build step exit %d:\n%s", code, log)
	}
	for name, targets := range map[string][]string{"payments": {"envoy", "goproxy", "kong", "nginx"},
		"accounts": {"envoy", "goproxy", "kong", "nginx"}, "records": {"goproxy", "nginx"}} {
		got, _ := os.ReadDir(filepath.Join(repo, "out", name))
		var dirs []string
		for _, e := range got {
			dirs = append(dirs, e.Name())
		}
		if !slices.Equal(dirs, targets) {
			t.Errorf("build of %s wrote %v, want %v", name, dirs, targets)
		}
	}
}

// TestPreCommitHook installs examples/ci/pre-commit-hook in a real git
// repository and commits through it: a staged policy error is refused
// even when the working tree is fixed, an unstaged error does not block a
// good staged policy, and a weakening is shown, and refused only with
// RAMPART_BLOCK_WEAKENING=1.
func TestPreCommitHook(t *testing.T) {
	for _, tool := range []string{"git", "sh", "awk", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	bin := buildRampart(t)
	repo := t.TempDir()
	git := func(env []string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), append([]string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}, env...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	must := func(args ...string) {
		t.Helper()
		if code, out := git(nil, args...); code != 0 {
			t.Fatalf("git %v: exit %d\n%s", args, code, out)
		}
	}
	must("init", "-q", "-b", "main")
	hook, _ := os.ReadFile(filepath.Join("..", "..", "examples", "ci", "pre-commit-hook"))
	os.WriteFile(filepath.Join(repo, ".git", "hooks", "pre-commit"), hook, 0o755)
	policy := filepath.Join(repo, "policies", "payments")
	os.MkdirAll(policy, 0o755)
	src := copyExample(t, "payments-api")
	for _, f := range []string{"auth.cue", "policy.cue", "services.cue"} {
		data, _ := os.ReadFile(filepath.Join(src, f))
		os.WriteFile(filepath.Join(policy, f), data, 0o644)
	}
	must("add", ".")
	if code, out := git(nil, "commit", "-q", "-m", "base"); code != 0 || !strings.Contains(out, "rampart vet policies/payments (staged)") {
		t.Fatalf("first commit: exit %d\n%s", code, out)
	}

	// A staged error, fixed only in the working tree: refused.
	edit(t, policy, "policy.cue", "retentionDays: 400", "retentionDays: 30")
	must("add", ".")
	edit(t, policy, "policy.cue", "retentionDays: 30", "retentionDays: 400")
	code, out := git(nil, "commit", "-q", "-m", "short retention")
	if code == 0 || !strings.Contains(out, "policies/payments/policy.cue:") || !strings.Contains(out, "RMP300") {
		t.Errorf("staged error: exit %d, want a refusal naming policies/payments/policy.cue and RMP300:\n%s", code, out)
	}

	// A good staged weakening with an unstaged error: committed, and shown.
	must("reset", "-q")
	edit(t, policy, "services.cue", `requests: 20, per: "minute", burst: 5`, `requests: 200, per: "minute", burst: 5`)
	must("add", ".")
	if code, out := git([]string{"RAMPART_BLOCK_WEAKENING=1"}, "commit", "-q", "-m", "raise"); code == 0 || !strings.Contains(out, "weakens the security posture") {
		t.Errorf("RAMPART_BLOCK_WEAKENING=1: exit %d, want a refusal:\n%s", code, out)
	}
	edit(t, policy, "policy.cue", "retentionDays: 400", "retentionDays: 30")
	code, out = git(nil, "commit", "-q", "-m", "raise")
	if code != 0 || !strings.Contains(out, "policies/payments/services.cue:") || !strings.Contains(out, "raised 20/minute → 200/minute [oauth/token] (weakened)") {
		t.Errorf("staged weakening: exit %d, want the commit with the weakening shown:\n%s", code, out)
	}

	// A staged deletion is a change too: without auth.cue the services
	// name unknown providers, and the commit is refused.
	must("rm", "-q", "policies/payments/auth.cue")
	code, out = git(nil, "commit", "-q", "-m", "drop auth")
	if code == 0 || !strings.Contains(out, "rampart vet policies/payments (staged)") || !strings.Contains(out, "commit refused") {
		t.Errorf("staged deletion: exit %d, want the policy vetted and the commit refused:\n%s", code, out)
	}

	// Removing the whole policy is not an error.
	must("rm", "-q", "-r", "-f", "policies/payments")
	if code, out := git(nil, "commit", "-q", "-m", "drop the policy"); code != 0 || !strings.Contains(out, "no longer holds a policy") {
		t.Errorf("policy removed: exit %d:\n%s", code, out)
	}
}
