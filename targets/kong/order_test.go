package kong_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/kong"
)

// ossUnwaived is the OSS fixture without its waiver of the client-IP
// limit on orders/list, which Kong OSS runs after authentication.
func ossUnwaived(t *testing.T) *ir.Policy {
	p := ossPolicy(t)
	p.Waivers = slices.DeleteFunc(p.Waivers, func(w ir.Waiver) bool { return w.Control == ir.CtlRateLimit })
	return p
}

// TestIPLimitBeforeAuthn: Kong runs rate-limiting (910) after key-auth
// (1250) and acl (950), so requests they refuse with 401/403 were never
// IP-limited and key guessing was unthrottled, while ir.PhaseOrder puts
// the IP limit before authentication. Enterprise must move the plugin
// with dynamic ordering; OSS must fail closed naming control and route.
// Before the fix OSS built and Enterprise emitted no ordering.
func TestIPLimitBeforeAuthn(t *testing.T) {
	p := ossUnwaived(t)
	if _, err := kong.New().Build(context.Background(), p); err == nil ||
		!strings.Contains(err.Error(), "route orders/list: target kong cannot enforce ratelimit:") {
		t.Fatalf("OSS Build: %v", err)
	}
	p.Targets.KongEdition = kong.EditionEnterprise
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range kongRoutes(f, "orders/list") {
		if strings.HasSuffix(r.Name, "_preflight") {
			continue
		}
		for _, pl := range r.Plugins {
			if pl.Name != "rate-limiting" {
				continue
			}
			if pl.Ordering == nil || !slices.Equal(pl.Ordering.Before["access"], []string{"acl", "key-auth"}) {
				t.Errorf("route %s: rate-limiting ordering %+v, want before access [acl key-auth]", r.Name, pl.Ordering)
			}
		}
	}
	validateSchemas(t, artifact(t, p, kong.DeckFile))
}
