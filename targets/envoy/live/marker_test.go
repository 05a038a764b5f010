package live

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/internal/digest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
	"github.com/rampart-policy/rampart/targets/kong"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// builtFiles builds p with the nginx and envoy targets, by
// "target/file", goproxy's config as "goproxy", and the kong target's
// OSS fixture (Kong OSS cannot enforce p).
func builtFiles(t *testing.T, p *ir.Policy) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for name, b := range map[string]struct {
		tg interface {
			Build(context.Context, *ir.Policy) ([]targetapi.Artifact, error)
		}
		p *ir.Policy
	}{"kong": {kong.New(), golden.ReadIR(t, "../../kong/testdata/oss.ir.yaml")}, "nginx": {nginx.New(), p}, "envoy": {envoy.New(), p}} {
		arts, err := b.tg.Build(context.Background(), b.p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			files[name+"/"+a.Path] = a.Data
		}
	}
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	files["goproxy"], _ = json.Marshal(cfg)
	return files
}

// TestMarker: envoy.json, envoy.yaml and the config_dump of their
// bootstrap give the policy's digest and name; the other targets'
// artifacts and bootstraps whose marker is gone or malformed do not.
func TestMarker(t *testing.T) {
	p := testPolicy(t)
	files := builtFiles(t, p)
	l := New()
	for _, name := range []string{"envoy/" + envoy.JSONFile, "envoy/" + envoy.YAMLFile, "recorded config_dump"} {
		c := files[name]
		if c == nil {
			c = recorded(t)
		}
		d, ok := l.Digest(c)
		n, nok := l.PolicyName(c)
		if !ok || d != digest.Policy(p) || !nok || n != p.Name {
			t.Errorf("%s: digest %q %v, name %q %v; want %s, %q", name, d, ok, n, nok, digest.Policy(p), p.Name)
		}
	}
	js := files["envoy/"+envoy.JSONFile]
	delete(files, "envoy/"+envoy.JSONFile)
	delete(files, "envoy/"+envoy.YAMLFile)
	files["metadata renamed"] = bytes.Replace(js, []byte(`"rampart": {`), []byte(`"rampart2": {`), 1)
	files["digest malformed"] = bytes.Replace(js, []byte(`"sha256:`), []byte(`"sha256:x`), 1)
	files["no policy name"] = bytes.Replace(js, []byte(`"policy": "`+p.Name+`"`), []byte(`"policy": ""`), 1)
	for name, c := range files {
		if name != "goproxy" && name != "metadata renamed" && bytes.Equal(c, js) {
			t.Fatalf("%s: case does not change the file", name)
		}
		if d, ok := l.Digest(c); ok {
			t.Errorf("%s: Digest recognised it (%s)", name, d)
		}
		if n, ok := l.PolicyName(c); ok {
			t.Errorf("%s: PolicyName recognised it (%q)", name, n)
		}
	}
}

// TestCompareBootstrap: Compare reads a bootstrap as deployed (envoy.json,
// envoy.yaml) like a config_dump: untouched, no drift and the marker
// checked; TLS 1.0 allowed in the YAML (listeners and upstreams) is a
// weakening of both.
func TestCompareBootstrap(t *testing.T) {
	p := testPolicy(t)
	files := builtFiles(t, p)
	w := testWant(t)
	for _, f := range []string{envoy.JSONFile, envoy.YAMLFile} {
		r, err := w.Compare(files["envoy/"+f])
		if err != nil || r.Drifted() || !hasCheck(r, "bootstrap built from this policy", true) {
			t.Errorf("%s: err %v, findings %+v", f, err, r.Findings)
		}
	}
	yml := string(files["envoy/"+envoy.YAMLFile])
	bad := strings.ReplaceAll(yml, "tls_minimum_protocol_version: TLSv1_2", "tls_minimum_protocol_version: TLSv1_0")
	if bad == yml {
		t.Fatal("no TLS minimum to lower")
	}
	r, err := w.Compare([]byte(bad))
	if err != nil || !r.Drifted() {
		t.Fatalf("err %v, drifted %v", err, r.Drifted())
	}
	downstream := 0
	for _, f := range r.Findings {
		if (f.Control != ir.CtlTLS && f.Control != ir.CtlUpstreamTLS) || f.Severity != drift.Weakening {
			t.Errorf("finding: %+v", f)
		}
		if f.Control == ir.CtlTLS {
			downstream++
		}
	}
	if downstream == 0 {
		t.Errorf("no listener TLS finding: %+v", r.Findings)
	}
}

// hasCheck reports whether r has a check named name that passed (or not).
func hasCheck(r drift.Result, name string, passed bool) bool {
	for _, c := range r.Checks {
		if c.Name == name && c.Passed == passed {
			return true
		}
	}
	return false
}

// TestMarkerOfAnotherPolicy: a live Envoy whose bootstrap names another
// policy (or another digest of this one) is one neutral finding saying
// which, and the controls compare as before.
func TestMarkerOfAnotherPolicy(t *testing.T) {
	cd := decodeDump(t, recorded(t))
	for i, a := range cd.Configs {
		bd := &adminv3.BootstrapConfigDump{}
		if !a.MessageIs(bd) {
			continue
		}
		if err := a.UnmarshalTo(bd); err != nil {
			t.Fatal(err)
		}
		m := bd.Bootstrap.Node.Metadata.Fields[envoy.MetadataKey].GetStructValue()
		m.Fields["policy"] = structpb.NewStringValue("billing")
		m.Fields["digest"] = structpb.NewStringValue("sha256:" + strings.Repeat("ab", 32))
		cd.Configs[i] = pack(t, bd)
	}
	r, err := testWant(t).Compare(dumpJSON(t, cd))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || !hasCheck(r, "bootstrap built from this policy", false) {
		t.Fatalf("want one finding, got %+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Severity != drift.Neutral || f.Direction != drift.Changed || f.Path != "node.metadata.rampart" ||
		!strings.Contains(f.Actual, `"billing"`) || !strings.Contains(f.Expected, digest.Policy(testPolicy(t))) {
		t.Errorf("finding: %+v", f)
	}
}
