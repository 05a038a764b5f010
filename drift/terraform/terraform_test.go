package terraform_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/drift/terraform"
	"github.com/rampart-policy/rampart/targets/goproxy"
	goproxylive "github.com/rampart-policy/rampart/targets/goproxy/live"
	"github.com/rampart-policy/rampart/targets/nginx"
	nginxlive "github.com/rampart-policy/rampart/targets/nginx/live"
)

// terraformBinary is terraform 1.5.7: $RAMPART_TERRAFORM, else the one
// .ci/run builds into $(go env GOPATH)/bin. /usr/local/bin/terraform may
// be another version and is not used.
func terraformBinary(t *testing.T) string {
	if p := os.Getenv(terraform.Env); p != "" {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "terraform")
	if _, serr := os.Stat(p); err != nil || serr != nil {
		t.Fatalf("terraform 1.5.7 is required: set %s or run `go install github.com/hashicorp/terraform@v1.5.7` (.ci/run does): %v %v", terraform.Env, err, serr)
	}
	return p
}

const mainTF = `resource "terraform_data" "nginx" {
  input = file("${path.module}/nginx.conf")
}

resource "terraform_data" "unrelated" {
  input = "not a rampart artifact"
}
`

// TestTerraformDrift applies a configuration whose built-in
// terraform_data resource holds a compiled nginx.conf with a real
// terraform 1.5.7: no drift; then an apply that lowers ssl_protocols
// and raises a body size is found in the state, as controls.
func TestTerraformDrift(t *testing.T) {
	bin := terraformBinary(t)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	t.Setenv("TF_IN_AUTOMATION", "1")
	ctx := context.Background()
	p, diags, err := compiler.Compile(ctx, compiler.Input{Dir: "../../examples/hospital-records"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	arts, err := nginx.New().Build(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := string(arts[0].Data)
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o644)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), arts[0].Data, 0o644)
	tf, err := tfexec.NewTerraform(dir, bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	opts := terraform.Options{Dir: dir, Binary: bin}
	r := compare(t, opts, p)
	if r.Drifted() || len(r.Checks) < 50 {
		t.Fatalf("untouched: %d findings, %d checks: %+v", len(r.Findings), len(r.Checks), r.Findings)
	}
	bad := regexp.MustCompile(`(?m)^( *)ssl_protocols `).ReplaceAllString(conf, `${1}ssl_protocols "TLSv1.1" `)
	bad = strings.Replace(bad, `client_max_body_size "1048576";`, `client_max_body_size "0";`, 1)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(bad), 0o644)
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	r = compare(t, opts, p)
	tlsN, body := 0, 0
	for _, f := range r.Findings {
		if !strings.HasPrefix(f.Path, "terraform_data.nginx.input: ") || f.Severity != drift.Weakening {
			t.Errorf("finding: %+v", f)
		}
		switch {
		case f.Control == ir.CtlTLS && f.Direction == drift.Unexpected && f.Actual == "TLSv1.1":
			tlsN++
		case f.Control == ir.CtlBodyLimit && f.Direction == drift.Changed && f.Actual == "0":
			body++
		default:
			t.Errorf("unexpected finding: %+v", f)
		}
	}
	if servers := len(regexp.MustCompile(`(?m)^ *ssl_protocols `).FindAllString(conf, -1)); tlsN != servers || body != 1 {
		t.Errorf("found %d ssl_protocols (want %d, one per TLS server block) and %d body size (want 1) findings: %+v", tlsN, servers, body, r.Findings)
	}
}

func compare(t *testing.T, opts terraform.Options, p *ir.Policy) drift.Result {
	t.Helper()
	r, err := terraform.Compare(context.Background(), opts, nginxlive.New(), p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTerraformMissing(t *testing.T) {
	_, err := terraform.Compare(context.Background(), terraform.Options{Dir: t.TempDir(), Binary: "/nonexistent/terraform"}, nginxlive.New(), &ir.Policy{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/terraform") {
		t.Errorf("err = %v", err)
	}
}

// TestPolicyNames: both live sources read back the policy name their
// artifacts record, so a state of several policies is told apart.
func TestPolicyNames(t *testing.T) {
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: "../../examples/hospital-records"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	proxyJSON, _ := json.Marshal(cfg)
	for _, c := range []struct {
		n       terraform.Named
		content []byte
	}{{nginxlive.New(), arts[0].Data}, {goproxylive.New(), proxyJSON}} {
		if name, ok := c.n.PolicyName(c.content); !ok || name != p.Name {
			t.Errorf("%T: policy name %q %v, want %q", c.n, name, ok, p.Name)
		}
	}
}
