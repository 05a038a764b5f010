package kong_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/targets/kong"
)

// TestPreflightRouteHardened: the OPTIONS route Kong answers preflights
// on carried only cors and request-termination, so its responses had no
// HSTS or security headers, were not logged and were not IP-limited.
func TestPreflightRouteHardened(t *testing.T) {
	f, err := kong.Decode(artifact(t, ossPolicy(t), kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	name := "orders.list_preflight"
	rt := plugin[*kong.ResponseTransformerConfig](t, f, name, "response-transformer")
	if !slices.ContainsFunc(rt.Add.Headers, func(h string) bool { return strings.HasPrefix(h, "Strict-Transport-Security:") }) ||
		!slices.Contains(rt.Add.Headers, "X-Content-Type-Options:nosniff") {
		t.Errorf("preflight headers: %q", rt.Add.Headers)
	}
	if lg := plugin[*kong.FileLogConfig](t, f, name, "file-log"); lg.CustomFieldsByLua["request.headers"] != kong.LuaDrop {
		t.Errorf("preflight log keeps request headers: %q", lg.CustomFieldsByLua)
	}
	if rl := plugin[*kong.RateLimitingConfig](t, f, name, "rate-limiting"); rl.LimitBy != "ip" || rl.Second == nil || *rl.Second != 100 {
		t.Errorf("preflight rate limit: %+v", rl)
	}
	validateSchemas(t, artifact(t, ossPolicy(t), kong.DeckFile))
}
