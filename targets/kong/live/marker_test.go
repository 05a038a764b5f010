package live

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/internal/digest"
	"github.com/rampart-policy/rampart/targets/internal/targetapi"
	"github.com/rampart-policy/rampart/targets/kong"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestMarker: a built kong.yaml, as a file or wrapped in a GET /config
// answer, gives the policy's digest and name. kong.conf (Compare does not
// read it), the other targets' artifacts, a recorded Admin API answer
// (Kong re-exports without comments) and kong.yaml files whose header
// was moved or edited are not rampart kong.yaml files.
func TestMarker(t *testing.T) {
	p := testPolicy(t)
	files := map[string][]byte{}
	for name, tg := range map[string]interface {
		Build(context.Context, *ir.Policy) ([]targetapi.Artifact, error)
	}{"kong": kong.New(), "nginx": nginx.New(), "envoy": envoy.New()} {
		arts, err := tg.Build(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			files[name+"/"+a.Path] = a.Data
		}
	}
	deck := files["kong/"+kong.DeckFile]
	answer, _ := json.Marshal(map[string]string{"config": string(deck)})
	l := New()
	for _, c := range [][]byte{deck, answer, files["kong/"+kong.ConfFile]} {
		d, ok := l.Digest(c)
		n, nok := l.PolicyName(c)
		if !ok || d != digest.Policy(p) || !nok || n != p.Name {
			t.Errorf("%.60q: digest %q %v, name %q %v; want %s, %q", c, d, ok, n, nok, digest.Policy(p), p.Name)
		}
	}
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	files["goproxy"], _ = json.Marshal(cfg)
	files["recorded GET /config"], _ = recorded(t)
	files["header after a blank line"] = append([]byte("\n"), deck...)
	files["digest edited"] = bytes.Replace(deck, []byte("sha256:"), []byte("sha256:x"), 1)
	files["file renamed"] = bytes.Replace(deck, []byte("# kong.yaml"), []byte("# kong.yml"), 1)
	for name, c := range files {
		if name == "kong/"+kong.DeckFile || name == "kong/"+kong.ConfFile {
			continue
		}
		if d, ok := l.Digest(c); ok {
			t.Errorf("%s: Digest recognised it (%s)", name, d)
		}
		if n, ok := l.PolicyName(c); ok {
			t.Errorf("%s: PolicyName recognised it (%q)", name, n)
		}
	}
}
