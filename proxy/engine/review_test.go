package engine

// Security review tests. Each TestReview* encodes the fail-closed behaviour
// the engine should have; a failing test demonstrates a real problem.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/rampart-policy/rampart/proxy/authn"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
)

// nilAuth is a provider that returns neither a principal nor an error
// (a plausible bug in any future provider, or a cache miss path).
type nilAuth struct{}

func (nilAuth) Name() string { return "nil" }
func (nilAuth) Authenticate(context.Context, *http.Request) (*authn.Principal, error) {
	return nil, nil
}

// authenticate treats (nil, nil) as a failure and calls err.Error() on the
// nil error: a nil-pointer panic instead of a 401.
func TestReviewProviderWithoutPrincipalOrErrorPanics(t *testing.T) {
	cfg := &config.Config{Routes: []config.Route{{ID: "a", Listeners: []string{"l"}, Path: "/a", Methods: []string{"GET"},
		Providers: []string{"nil"}, Rules: []config.Rule{{AnyAuthenticated: true}}}}}
	e, err := New(cfg, Deps{Providers: map[string]authn.Authenticator{"nil": nilAuth{}}, Local: &bucket{n: map[string]int{}}})
	if err != nil {
		t.Fatal(err)
	}
	var d Decision
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Decide panicked: %v", r)
			}
		}()
		d = decide(e, "GET", "/a")
	}()
	if d.Status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", d.Status)
	}
}

// route() picks the first candidate (exact, then pattern, then prefix)
// that lists the method. A method the specific route does not declare
// falls through to a broader route: with /admin restricted to GET for
// admins and a public catch-all allowing POST/HEAD, "POST /admin" and
// "HEAD /admin" are public.
func TestReviewMethodFallsThroughToBroaderRoute(t *testing.T) {
	cfg := &config.Config{Routes: []config.Route{
		{ID: "admin", Listeners: []string{"l"}, Path: "/admin", Methods: []string{"GET"}, Providers: []string{"h"},
			Rules: []config.Rule{{Roles: []string{"admin"}}}},
		{ID: "site", Listeners: []string{"l"}, Path: "/", Prefix: true, Methods: []string{"GET", "HEAD", "POST"}, Public: true},
	}}
	e, err := New(cfg, Deps{Providers: map[string]authn.Authenticator{"h": headerAuth{"h"}}, Local: &bucket{n: map[string]int{}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"POST", "HEAD"} {
		t.Run(m, func(t *testing.T) {
			d := decide(e, m, "/admin")
			if d.Allowed() {
				t.Fatalf("%s /admin allowed unauthenticated via route %s; the /admin route only declares GET for admins", m, d.Route.ID)
			}
		})
	}
}

// The engine routes whatever path it is given. The proxy's handler
// rejects dot segments and "//" first, but the authorizer (and any future
// caller) does not, so the router must not be the only line: a path that
// is not in normal form must not be decided.
func TestReviewDecideAcceptsNonNormalPaths(t *testing.T) {
	for _, p := range []string{"/static/../orders/export", "/static/./x", "/static//x", "static/x"} {
		t.Run(p, func(t *testing.T) {
			e := testEngine(t) // fresh buckets: the static route's per-ip limit allows 2
			r := httptest.NewRequest("GET", "/", nil)
			d := e.Decide(context.Background(), Request{Listener: "l", Method: "GET", Path: p, ClientIP: "192.0.2.1", HTTP: r})
			if d.Allowed() {
				t.Fatalf("path %q allowed via route %s", p, d.Route.ID)
			}
		})
	}
}

// A rate limit whose key is not one of ip/subject/apiKey/header:* is
// selected by neither clientLimits nor subjectLimits, so it is silently
// never enforced; New should refuse it.
func TestReviewUnknownRateLimitKeyIgnored(t *testing.T) {
	for _, key := range []string{"IP", "ip ", "Subject", "header", "user"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			cfg := &config.Config{Routes: []config.Route{{ID: "p", Listeners: []string{"l"}, Path: "/p", Methods: []string{"GET"},
				Public: true, RateLimits: []config.RateLimit{{Name: "x", RatePerSecond: 1, Burst: 0, Key: key}}}}}
			e, err := New(cfg, Deps{Local: &bucket{n: map[string]int{}}})
			if err != nil {
				return
			}
			for i := 0; i < 3; i++ {
				if d := decide(e, "GET", "/p"); !d.Allowed() {
					return
				}
			}
			t.Fatalf("limit with key %q accepted by New and never applied (3 requests with burst 0 all allowed)", key)
		})
	}
}

// All limits share one Local store (100 000 keys in the server), and a
// header-keyed limit creates one bucket per distinct header value, before
// authentication. An unauthenticated client that sends many distinct
// values evicts every other bucket, including its own exhausted per-IP
// bucket on the login route ("an evicted bucket starts full"), so it resets
// its own brute-force limit at will. (IPv6 clients can do the same with
// per-IP keys alone: the key is the full /128.)
func TestReviewHeaderKeyedLimitEvictsOtherBuckets(t *testing.T) {
	const keys = 100_000 // server.localLimitKeys
	cfg := &config.Config{Routes: []config.Route{
		{ID: "login", Listeners: []string{"l"}, Path: "/login", Methods: []string{"GET"}, Public: true,
			RateLimits: []config.RateLimit{{Name: "per-ip", RatePerSecond: 1.0 / 3600, Burst: 0, Key: "ip"}}},
		{ID: "lookup", Listeners: []string{"l"}, Path: "/lookup", Methods: []string{"GET"}, Public: true,
			RateLimits: []config.RateLimit{{Name: "per-tenant", RatePerSecond: 1, Burst: 5, Key: "header:X-Tenant"}}},
	}}
	e, err := New(cfg, Deps{Local: ratelimit.NewLocal(keys)})
	if err != nil {
		t.Fatal(err)
	}
	login := func() Decision { return decide(e, "GET", "/login") }
	if d := login(); !d.Allowed() {
		t.Fatalf("first login: %d", d.Status)
	}
	if d := login(); d.Status != http.StatusTooManyRequests {
		t.Fatalf("second login: %d, want 429", d.Status)
	}
	for i := 0; i < 2*keys; i++ {
		decide(e, "GET", "/lookup", "X-Tenant", strconv.Itoa(i))
	}
	if d := login(); d.Allowed() {
		t.Fatal("after flooding a header-keyed limit with distinct values, the same client's exhausted per-IP login limit is full again")
	}
}
