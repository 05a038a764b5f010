package kong_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/targets/kong"
)

// TestUnmatchedRequestsHardened: every plugin was route-scoped, so a
// request no route matched got Kong's own 404 with no HSTS, no security
// headers and no log entry. A catch-all route per listener host set must
// answer 404 with them; it has no methods, so Kong tries every policy
// route (hosts, paths and methods) first.
func TestUnmatchedRequestsHardened(t *testing.T) {
	deck := artifact(t, ossPolicy(t), kong.DeckFile)
	f, err := kong.Decode(deck)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Routes) != 1 {
		t.Fatalf("%d catch-all routes, want 1 (one listener)", len(f.Routes))
	}
	r := f.Routes[0]
	if len(r.Methods) != 0 || !slices.Equal(r.Paths, []string{"~/.*$"}) ||
		!slices.Equal(r.Hosts, []string{"*.api.shop.example", "api.shop.example"}) {
		t.Fatalf("catch-all route: %+v", r)
	}
	if c := plugin[*kong.RequestTerminationConfig](t, f, r.Name, "request-termination"); c.StatusCode != 404 {
		t.Errorf("status %d, want 404", c.StatusCode)
	}
	rt := plugin[*kong.ResponseTransformerConfig](t, f, r.Name, "response-transformer")
	if !slices.ContainsFunc(rt.Add.Headers, func(h string) bool { return strings.HasPrefix(h, "Strict-Transport-Security:") }) {
		t.Errorf("catch-all headers lack HSTS: %q", rt.Add.Headers)
	}
	if lg := plugin[*kong.FileLogConfig](t, f, r.Name, "file-log"); lg.CustomFieldsByLua["request.headers"] != kong.LuaDrop {
		t.Errorf("catch-all log keeps request headers: %q", lg.CustomFieldsByLua)
	}
	validateSchemas(t, deck)
}
