package kong_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"text/template"

	"github.com/rampart-policy/rampart/targets/kong"
)

// deckRender renders a state file the way decK does before reading it as
// YAML (go-database-reconciler pkg/file: text/template with delimiters
// "${{" and "}}" and the functions env, toBool, toInt, toFloat, indent),
// with env answering a fixed secret so an evaluated action shows.
func deckRender(t testing.TB, yml []byte) []byte {
	t.Helper()
	secret := func(string) (string, error) { return "LEAKED-SECRET", nil }
	fns := template.FuncMap{"env": secret, "toBool": secret, "toInt": secret, "toFloat": secret,
		"indent": func(int, string) string { return "" }}
	tmpl, err := template.New("state").Funcs(fns).Delims("${{", "}}").Parse(string(yml))
	if err != nil {
		t.Fatalf("decK would refuse the file: %v", err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, nil); err != nil {
		t.Fatalf("decK would refuse the file: %v", err)
	}
	return out.Bytes()
}

// TestDeckTemplateInert builds a policy whose strings hold decK template
// actions: kong.yaml must come back unchanged from decK's rendering (no
// action evaluated, nothing read from the environment) and still decode
// to the policy's strings.
func TestDeckTemplateInert(t *testing.T) {
	// A raw string needs no quote YAML would escape.
	value := "${{ env `DECK_ADMIN_TOKEN` }}"
	p := fuzzIR("api.example.com", "/orders", "X-Tenant", value, "https://${{x}}.example.com", "admin", "acme", "token")
	arts, err := kong.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	deck := arts[1].Data
	if got := deckRender(t, deck); !bytes.Equal(got, deck) {
		t.Fatalf("decK's rendering changes kong.yaml:\n%s", got)
	}
	f, err := kong.Decode(deck)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Services[0].Routes[0]
	rt := plugin[*kong.ResponseTransformerConfig](t, f, r.Name, "response-transformer")
	if !slices.Contains(rt.Add.Headers, "X-Tenant:"+value) {
		t.Fatalf("header value came back as %q", rt.Add.Headers)
	}
}
