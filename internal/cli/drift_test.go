package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/drift"
)

const driftPolicy = `package shop

metadata: {name: "shop", owner: "Security <sec@example.com>"}
listeners: public: {port: 443, hosts: ["api.example.com"], tls: {certificate: {cert: %q, key: %q}, hsts: {}}}
authentication: keys: {kind: "apiKey", consumers: acme: {keyHash: "sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", roles: ["reader"]}}
services: shop: {
	upstream: {url: "https://127.0.0.1:1", tls: {}}
	listeners: ["public"]
	authentication: ["keys"]
	routes: items: {
		path: "/items", methods: ["GET"], allow: [{roles: ["reader"]}]
		rateLimits: "per-ip": {requests: 10, per: "second", burst: 5, key: "ip"}
	}
}
`

// startServe builds the policy in dir for goproxy and runs `rampart
// serve --config` on it in-process until the test ends; it returns the
// config file and the admin address.
func startServe(t *testing.T, dir string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main([]string{"build", "--target", "goproxy", "-o", filepath.Join(dir, "out"), filepath.Join(dir, "policy")}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("build exit %d: %s", code, errb.String())
	}
	conf := filepath.Join(dir, "out", "goproxy", "rampart-proxy.json")
	admin := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncWriter
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"serve", "--config", conf, "--listen", "public=" + freePort(t), "--admin", admin}, strings.NewReader(""), &sout, &serr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + admin + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("serve did not start:\n%s", serr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return conf, admin
}

// runDriftCLI runs rampart drift and returns its exit code and output.
func runDriftCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(append([]string{"drift"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestDriftGoproxyServe runs a real `rampart serve`, checks that drift
// finds nothing, changes the served config behind rampart's back (a
// header removed, a rate limit raised, upstream verification turned
// off), waits for the reload and checks each weakening is reported.
func TestDriftGoproxyServe(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	os.MkdirAll(filepath.Join(dir, "policy"), 0o755)
	os.WriteFile(filepath.Join(dir, "policy", "policy.cue"), []byte(fmt.Sprintf(driftPolicy, cert, key)), 0o644)
	conf, admin := startServe(t, dir)
	policy := filepath.Join(dir, "policy")
	code, stdout, stderr := runDriftCLI("--target", "goproxy", "--live", "http://"+admin, policy)
	if code != 0 || !strings.Contains(stdout, "no drift") {
		t.Fatalf("untouched: exit %d\n%s%s", code, stdout, stderr)
	}
	header := tamperProxyConfig(t, conf)
	waitConfig(t, admin, `"insecureSkipVerify": true`)
	code, stdout, stderr = runDriftCLI("--target", "goproxy", "--live", "http://"+admin, "--format", "json", policy)
	if code != ExitDrift {
		t.Fatalf("tampered: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	rs, err := drift.ReadJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"headers missing header " + header: false,
		"ratelimit changed rate":           false,
		"tls.upstream changed":             false,
	}
	for _, f := range rs[0].Findings {
		if f.Severity != drift.Weakening {
			t.Errorf("unexpected severity: %+v", f)
		}
		for k := range want {
			parts := strings.SplitN(k, " ", 3)
			if f.Control == parts[0] && string(f.Direction) == parts[1] && (len(parts) < 3 || strings.Contains(f.Message, parts[2])) {
				want[k] = true
			}
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("not found: %s\n%s", k, stdout)
		}
	}
	if len(rs[0].Findings) != len(want) {
		t.Errorf("want %d findings, got %d:\n%s", len(want), len(rs[0].Findings), stdout)
	}
	saved := filepath.Join(dir, "config.json")
	resp, err := http.Get("http://" + admin + "/config")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	os.WriteFile(saved, body.Bytes(), 0o644)
	sources := filepath.Join(dir, "sources")
	os.WriteFile(sources, []byte("# two views of one proxy\ngoproxy http://"+admin+"\ngoproxy "+saved+"\n"), 0o644)
	code, stdout, stderr = runDriftCLI("--sources", sources, "--parallel", "2", policy)
	if code != ExitDrift || strings.Count(stdout, "drift ") != 2 || !strings.Contains(stderr, "[2/2] goproxy") ||
		strings.Count(stdout, "~ tls.upstream [policy] changed, weakening") != 2 {
		t.Errorf("sources: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runDriftCLI("--target", "goproxy", "--live", "http://"+admin, "--format", "sarif", policy)
	if code != ExitDrift || !json.Valid([]byte(stdout)) || !strings.Contains(stdout, `"ruleId": "tls.upstream"`) {
		t.Errorf("sarif: exit %d\n%s", code, stdout)
	}
}

// tamperProxyConfig edits the served config file in place and returns
// the name of the header it removed.
func tamperProxyConfig(t *testing.T, conf string) string {
	t.Helper()
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(data, &c)
	route := c["routes"].([]any)[0].(map[string]any)
	headers := route["headers"].([]any)
	if len(headers) == 0 {
		t.Fatal("the route has no headers to remove")
	}
	name := headers[0].(map[string]any)["name"].(string)
	route["headers"] = headers[1:]
	route["rateLimits"].([]any)[0].(map[string]any)["ratePerSecond"] = 1000
	c["upstreams"].([]any)[0].(map[string]any)["insecureSkipVerify"] = true
	out, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(conf, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// waitConfig waits until the admin API's /config contains want.
func waitConfig(t *testing.T, admin, want string) {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + admin + "/config")
		if err == nil {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			if strings.Contains(b.String(), want) {
				return
			}
		}
		if i == 100 {
			t.Fatalf("the served config never showed %s", want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDriftUsageExitsOne(t *testing.T) {
	for _, args := range [][]string{{}, {"."}, {"--target", "nginx", "."}, {"--bogus"}, {"--target", "kong", "--live", "x", "."},
		{"--format", "xml", "--target", "nginx", "--live", "x", "."}, {"--sources", "/nonexistent", "."}} {
		if code, _, stderr := runDriftCLI(args...); code != ExitDriftError || stderr == "" {
			t.Errorf("drift %v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestProbeUsageExitsOne(t *testing.T) {
	for _, args := range [][]string{{}, {"https://127.0.0.1:1"}, {"--bogus", "a", "b"}, {"--format", "xml", "https://127.0.0.1:1", "."}} {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"probe"}, args...), strings.NewReader(""), &out, &errb); code != ExitDriftError || errb.String() == "" {
			t.Errorf("probe %v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// terraformBinary is terraform 1.5.7 ($RAMPART_TERRAFORM, else the one
// .ci/run installs in $(go env GOPATH)/bin).
func terraformBinary(t *testing.T) string {
	if p := os.Getenv("RAMPART_TERRAFORM"); p != "" {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "terraform")
	if _, serr := os.Stat(p); err != nil || serr != nil {
		t.Fatalf("terraform 1.5.7 is required: set RAMPART_TERRAFORM or run `go install github.com/hashicorp/terraform@v1.5.7`: %v %v", err, serr)
	}
	return p
}

// TestDriftTerraformGoproxy keeps a built rampart-proxy.json in a
// terraform_data resource applied by a real terraform 1.5.7, and runs
// `rampart drift --live terraform:DIR`: no drift, then after an apply
// that turns off upstream verification, drift (exit 2).
func TestDriftTerraformGoproxy(t *testing.T) {
	tf := terraformBinary(t)
	t.Setenv("RAMPART_TERRAFORM", tf)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	policy := filepath.Join(dir, "policy")
	os.MkdirAll(policy, 0o755)
	os.WriteFile(filepath.Join(policy, "policy.cue"), []byte(fmt.Sprintf(driftPolicy, cert, key)), 0o644)
	var out, errb bytes.Buffer
	if code := Main([]string{"build", "--target", "goproxy", "-o", filepath.Join(dir, "out"), policy}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("build: %s", errb.String())
	}
	work := filepath.Join(dir, "tf")
	os.MkdirAll(work, 0o755)
	conf := filepath.Join(dir, "out", "goproxy", "rampart-proxy.json")
	os.WriteFile(filepath.Join(work, "main.tf"), []byte(fmt.Sprintf("resource \"terraform_data\" \"proxy\" {\n  input = file(%q)\n}\n", conf)), 0o644)
	apply := func() {
		t.Helper()
		for _, args := range [][]string{{"init", "-input=false"}, {"apply", "-auto-approve", "-input=false"}} {
			cmd := exec.Command(tf, args...)
			cmd.Dir = work
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("terraform %v: %v\n%s", args, err, b)
			}
		}
	}
	apply()
	code, stdout, stderr := runDriftCLI("--target", "goproxy", "--live", "terraform:"+work, policy)
	if code != 0 || !strings.Contains(stdout, "no drift") {
		t.Fatalf("untouched: exit %d\n%s%s", code, stdout, stderr)
	}
	data, _ := os.ReadFile(conf)
	os.WriteFile(conf, bytes.Replace(data, []byte(`"url": "https://127.0.0.1:1"`), []byte(`"url": "https://127.0.0.1:1", "insecureSkipVerify": true`), 1), 0o644)
	if bytes.Equal(data, mustRead(t, conf)) {
		t.Fatal("tamper did not apply")
	}
	apply()
	code, stdout, stderr = runDriftCLI("--target", "goproxy", "--live", "terraform:"+work, policy)
	if code != ExitDrift || !strings.Contains(stdout, "~ tls.upstream [policy] changed, weakening") ||
		!strings.Contains(stdout, "terraform_data.proxy.input: ") {
		t.Fatalf("tampered: exit %d\n%s%s", code, stdout, stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
