package terraform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/drift/terraform"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/envoy"
	envoylive "github.com/rampart-policy/rampart/targets/envoy/live"
	"github.com/rampart-policy/rampart/targets/goproxy"
	goproxylive "github.com/rampart-policy/rampart/targets/goproxy/live"
	"github.com/rampart-policy/rampart/targets/kong"
	konglive "github.com/rampart-policy/rampart/targets/kong/live"
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

resource "terraform_data" "kong" {
  input = {
    deck = file("${path.module}/kong.yaml")
    conf = file("${path.module}/kong.conf")
  }
}

# sensitive: terraform renders a changed multi-line string as a line
# diff, which takes seconds for envoy.yaml; a sensitive value is not
# rendered, and show -json still holds it, as for any secret.
resource "terraform_data" "envoy" {
  input = sensitive(file("${path.module}/envoy.yaml"))
}

resource "terraform_data" "unrelated" {
  input = "not a rampart artifact"
}
`

// TestTerraformDrift applies, with a real terraform 1.5.7, a
// configuration whose built-in terraform_data resources hold the nginx,
// Kong (kong.yaml and kong.conf in one object) and Envoy (envoy.yaml, a
// sensitive value) artifacts of one policy: no drift for any target;
// then one apply of tampered files (nginx: ssl_protocols lowered and a body size raised;
// Kong: a route's request-size-limiting plugin removed; Envoy: the
// listeners' minimum TLS version lowered) is found in the state by each
// target's marker and reported as those weakenings, and only those.
func TestTerraformDrift(t *testing.T) {
	bin := terraformBinary(t)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	t.Setenv("TF_IN_AUTOMATION", "1")
	ctx := context.Background()
	p, diags, err := compiler.Compile(ctx, compiler.Input{Dir: "../../examples/hospital-records"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	files := built(t, p)
	dir := t.TempDir()
	write := func(files map[string][]byte) {
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(files)
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o644)
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
	for _, lv := range []drift.Live{nginxlive.New(), konglive.New(), envoylive.New()} {
		r := compare(t, opts, lv, p)
		if r.Drifted() || len(r.Checks) < 50 {
			t.Fatalf("%s untouched: %d findings, %d checks: %+v", lv.Target(), len(r.Findings), len(r.Checks), r.Findings)
		}
	}
	write(map[string][]byte{"nginx.conf": tamperNginx(files["nginx.conf"]), "kong.yaml": tamperKong(t, p, files["kong.yaml"]),
		"envoy.yaml": tamperEnvoy(t, files["envoy.yaml"])})
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	checkNginx(t, compare(t, opts, nginxlive.New(), p), files["nginx.conf"])
	checkKong(t, compare(t, opts, konglive.New(), p))
	checkEnvoy(t, compare(t, opts, envoylive.New(), p), files["envoy.yaml"])
}

// built builds p for nginx, Kong and Envoy, by file name.
func built(t *testing.T, p *ir.Policy) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, tg := range []targets.Target{nginx.New(), kong.New(), envoy.New()} {
		arts, err := tg.Build(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			files[a.Path] = a.Data
		}
	}
	delete(files, envoy.JSONFile) // the YAML is the same bootstrap
	return files
}

// tamperNginx allows TLS 1.1 in every server block and lifts the first
// body size limit.
func tamperNginx(conf []byte) []byte {
	bad := regexp.MustCompile(`(?m)^( *)ssl_protocols `).ReplaceAllString(string(conf), `${1}ssl_protocols "TLSv1.1" `)
	return []byte(strings.Replace(bad, `client_max_body_size "1048576";`, `client_max_body_size "0";`, 1))
}

// checkNginx wants one TLS finding per TLS server block and one body size
// finding.
func checkNginx(t *testing.T, r drift.Result, conf []byte) {
	t.Helper()
	tlsN, body := 0, 0
	for _, f := range r.Findings {
		if !strings.HasPrefix(f.Path, "terraform_data.nginx.input: ") || f.Severity != drift.Weakening {
			t.Errorf("nginx finding: %+v", f)
		}
		switch {
		case f.Control == ir.CtlTLS && f.Direction == drift.Unexpected && f.Actual == "TLSv1.1":
			tlsN++
		case f.Control == ir.CtlBodyLimit && f.Direction == drift.Changed && f.Actual == "0":
			body++
		default:
			t.Errorf("unexpected nginx finding: %+v", f)
		}
	}
	if servers := len(regexp.MustCompile(`(?m)^ *ssl_protocols `).FindAll(conf, -1)); tlsN != servers || body != 1 {
		t.Errorf("found %d ssl_protocols (want %d, one per TLS server block) and %d body size (want 1) findings: %+v", tlsN, servers, body, r.Findings)
	}
}

// tamperedKongRoute is the route tamperKong takes a plugin from.
var tamperedKongRoute string

// tamperKong removes the request-size-limiting plugin of the first route
// that has one, keeping the header (a hand edit of the deployed file).
func tamperKong(t *testing.T, p *ir.Policy, deck []byte) []byte {
	t.Helper()
	f, err := kong.Decode(deck)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Services {
		for j := range f.Services[i].Routes {
			r := &f.Services[i].Routes[j]
			n := len(r.Plugins)
			r.Plugins = slices.DeleteFunc(r.Plugins, func(pl kong.Plugin) bool { return pl.Name == "request-size-limiting" })
			if len(r.Plugins) < n {
				tamperedKongRoute = r.Name
				body, err := kong.Encode(f)
				if err != nil {
					t.Fatal(err)
				}
				return append(kong.Header(kong.DeckFile, p), body...)
			}
		}
	}
	t.Fatal("no route with request-size-limiting")
	return nil
}

// checkKong wants the removed plugin, and nothing else, reported from
// kong.yaml (kong.conf is not compared: it is no artifact Kong's drift
// reads).
func checkKong(t *testing.T, r drift.Result) {
	t.Helper()
	if len(r.Findings) != 1 {
		t.Fatalf("want one Kong finding, got %+v", r.Findings)
	}
	f := r.Findings[0]
	if !strings.HasPrefix(f.Path, "terraform_data.kong.input.deck: ") || !strings.Contains(f.Path, "plugins[request-size-limiting]") ||
		!strings.Contains(f.Path, tamperedKongRoute) || f.Control != ir.CtlBodyLimit || f.Direction != drift.Missing || f.Severity != drift.Weakening {
		t.Errorf("Kong finding: %+v", f)
	}
}

// listenersTLSMin finds the minimum TLS versions in envoy.yaml's
// listeners, which come before its clusters.
var listenersTLSMin = regexp.MustCompile(`tls_minimum_protocol_version: TLSv1_[23]`)

// tamperEnvoy lowers every listener's minimum TLS version to 1.0.
func tamperEnvoy(t *testing.T, yml []byte) []byte {
	t.Helper()
	listeners, clusters, ok := bytes.Cut(yml, []byte("\n  clusters:\n"))
	if !ok || !bytes.Contains(listeners, []byte("\n  listeners:\n")) {
		t.Fatal("envoy.yaml: want static_resources listeners, then clusters")
	}
	bad := listenersTLSMin.ReplaceAll(listeners, []byte("tls_minimum_protocol_version: TLSv1_0"))
	return slices.Concat(bad, []byte("\n  clusters:\n"), clusters)
}

// checkEnvoy wants one weakening per TLS listener, at its minimum TLS
// version.
func checkEnvoy(t *testing.T, r drift.Result, yml []byte) {
	t.Helper()
	listeners, _, _ := bytes.Cut(yml, []byte("\n  clusters:\n"))
	want := len(listenersTLSMin.FindAll(listeners, -1))
	n := 0
	for _, f := range r.Findings {
		if !strings.HasPrefix(f.Path, "terraform_data.envoy.input: ") || !strings.HasSuffix(f.Path, "tls_minimum_protocol_version") ||
			f.Control != ir.CtlTLS || f.Severity != drift.Weakening {
			t.Errorf("Envoy finding: %+v", f)
			continue
		}
		n++
	}
	if want == 0 || n != want {
		t.Errorf("%d minimum TLS findings, want %d (one per TLS listener): %+v", n, want, r.Findings)
	}
}

func compare(t *testing.T, opts terraform.Options, lv drift.Live, p *ir.Policy) drift.Result {
	t.Helper()
	r, err := terraform.Compare(context.Background(), opts, lv, p)
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

// TestPolicyNames: every target's live source reads back the policy
// name its artifacts record, so a state of several policies is told
// apart.
func TestPolicyNames(t *testing.T) {
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: "../../examples/hospital-records"}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	files := built(t, p)
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	proxyJSON, _ := json.Marshal(cfg)
	for _, c := range []struct {
		n       terraform.Named
		content []byte
	}{{nginxlive.New(), files["nginx.conf"]}, {goproxylive.New(), proxyJSON}, {konglive.New(), files[kong.DeckFile]},
		{envoylive.New(), files[envoy.YAMLFile]}} {
		if name, ok := c.n.PolicyName(c.content); !ok || name != p.Name {
			t.Errorf("%T: policy name %q %v, want %q", c.n, name, ok, p.Name)
		}
	}
}
