package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/authn"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/ratelimit"
)

// headerAuth authenticates "X-User: name role role…" — a stand-in for the
// real providers (tested in proxy/authn) so these tests exercise only the
// engine's order and decisions.
type headerAuth struct{ name string }

func (h headerAuth) Name() string { return h.name }
func (h headerAuth) Authenticate(_ context.Context, r *http.Request) (*authn.Principal, error) {
	v := r.Header.Get("X-User")
	switch {
	case v == "":
		return nil, authn.ErrNoCredentials
	case v == "bad":
		return nil, &authn.Failure{Provider: h.name, Reason: "bad token"}
	}
	f := strings.Fields(v)
	return &authn.Principal{Subject: f[0], Provider: h.name, Roles: f[1:]}, nil
}

// bucket is a tiny deterministic store: n requests per key, then denied.
type bucket struct{ n map[string]int }

func (b *bucket) Take(_ context.Context, key string, l ratelimit.Limit, _ time.Time) (ratelimit.Decision, error) {
	b.n[key]++
	return ratelimit.Decision{Allowed: b.n[key] <= l.Burst+1, RetryAfter: time.Second}, nil
}

func testEngine(t *testing.T) *Engine {
	t.Helper()
	cfg := &config.Config{Routes: []config.Route{
		{ID: "api/list", Listeners: []string{"l"}, Path: "/orders", Methods: []string{"GET", "POST"}, Providers: []string{"h"},
			Rules:        []config.Rule{{Methods: []string{"GET"}, AnyAuthenticated: true}, {Methods: []string{"POST"}, Roles: []string{"writer"}}},
			ContentTypes: []string{"application/json"},
			RateLimits:   []config.RateLimit{{Name: "per-user", Key: "subject", Burst: 2}}},
		{ID: "api/one", Listeners: []string{"l"}, Path: "/orders/{id}", Methods: []string{"GET"}, Providers: []string{"h"},
			Rules: []config.Rule{{Scopes: []string{"orders:read"}}, {Roles: []string{"reader"}}}},
		{ID: "api/export", Listeners: []string{"l"}, Path: "/orders/export", Methods: []string{"GET"}, Providers: []string{"h"},
			Rules: []config.Rule{{Roles: []string{"admin"}}}},
		{ID: "api/upload", Listeners: []string{"l"}, Path: "/upload", Methods: []string{"POST"}, Providers: []string{"h"},
			Rules: []config.Rule{{Roles: []string{"writer"}}}, Limits: config.Limits{MaxBodyBytes: 1}},
		{ID: "api/static", Listeners: []string{"l"}, Path: "/static", Prefix: true, Methods: []string{"GET"}, Public: true,
			RateLimits: []config.RateLimit{{Name: "per-ip", Key: "ip", Burst: 1}},
			CORS:       &config.CORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET"}}},
	}}
	e, err := New(cfg, Deps{Providers: map[string]authn.Authenticator{"h": headerAuth{"h"}}, Local: &bucket{n: map[string]int{}}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func decide(e *Engine, method, path string, hdr ...string) Decision {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if method == "POST" {
		r.ContentLength = 2
	}
	return e.Decide(context.Background(), Request{Listener: "l", Method: method, Path: r.URL.Path, ClientIP: "192.0.2.1", HTTP: r})
}

func TestDecisions(t *testing.T) {
	e := testEngine(t)
	cases := []struct {
		name, method, path string
		hdr                []string
		status             int
		reason, route      string
	}{
		{"undeclared", "GET", "/admin", nil, 404, ReasonUndeclared, ""},
		{"wrong method", "DELETE", "/orders", nil, 405, ReasonMethod, "api/list"},
		{"no credentials", "GET", "/orders", nil, 401, ReasonUnauthenticated, "api/list"},
		{"bad credentials", "GET", "/orders", []string{"X-User", "bad"}, 401, ReasonUnauthenticated, "api/list"},
		{"any authenticated GET", "GET", "/orders", []string{"X-User", "ann"}, 0, "", "api/list"},
		{"POST needs writer", "POST", "/orders", []string{"X-User", "ann", "Content-Type", "application/json"}, 403, ReasonForbidden, "api/list"},
		{"POST as writer", "POST", "/orders", []string{"X-User", "bob writer", "Content-Type", "application/json"}, 0, "", "api/list"},
		{"POST wrong content type", "POST", "/orders", []string{"X-User", "bob writer", "Content-Type", "text/plain"}, 415, ReasonContentType, "api/list"},
		{"literal beats placeholder", "GET", "/orders/export", []string{"X-User", "ann reader"}, 403, ReasonForbidden, "api/export"},
		{"placeholder", "GET", "/orders/42", []string{"X-User", "ann reader"}, 0, "", "api/one"},
		{"placeholder needs one segment", "GET", "/orders/42/x", []string{"X-User", "ann reader"}, 404, ReasonUndeclared, ""},
		{"prefix public", "GET", "/static/app.js", nil, 0, "", "api/static"},
		{"prefix is not a string prefix", "GET", "/staticfoo", nil, 404, ReasonUndeclared, ""},
		// Limits run before authentication (ir.PhaseOrder): an oversize
		// body is 413 for anyone, not 401 for strangers.
		{"oversize body before authn", "POST", "/upload", nil, 413, ReasonBodyTooLarge, "api/upload"},
		{"oversize body as writer", "POST", "/upload", []string{"X-User", "bob writer"}, 413, ReasonBodyTooLarge, "api/upload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(e, c.method, c.path, c.hdr...)
			route := ""
			if d.Route != nil && (d.Allowed() || d.Status != 404) {
				route = d.Route.ID
			}
			if d.Status != c.status || d.Reason != c.reason || route != c.route {
				t.Errorf("got status %d reason %q route %q; want %d %q %q (detail %q)", d.Status, d.Reason, route, c.status, c.reason, c.route, d.Detail)
			}
		})
	}
}

func TestRateLimitsInOrder(t *testing.T) {
	e := testEngine(t)
	// per-ip limit on a public prefix: burst 1 → 2 allowed.
	for i, want := range []int{0, 0, 429} {
		if d := decide(e, "GET", "/static/x"); d.Status != want {
			t.Fatalf("request %d: status %d, want %d", i, d.Status, want)
		}
	}
	// per-subject limit applies after authorization: denied requests
	// don't spend the subject's tokens.
	for i := 0; i < 3; i++ {
		decide(e, "POST", "/orders", "X-User", "eve", "Content-Type", "application/json") // 403s
	}
	for i, want := range []int{0, 0, 0, 429} {
		if d := decide(e, "GET", "/orders", "X-User", "eve"); d.Status != want {
			t.Fatalf("GET %d: status %d, want %d", i, d.Status, want)
		}
	}
}

func TestPreflight(t *testing.T) {
	e := testEngine(t)
	d := decide(e, "OPTIONS", "/static/app.js", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	if !d.Preflight || d.Route == nil || d.Route.ID != "api/static" {
		t.Fatalf("preflight not recognised: %+v", d)
	}
	if d := decide(e, "OPTIONS", "/orders", "Origin", "https://app.example", "Access-Control-Request-Method", "GET"); d.Preflight || d.Status != 405 {
		t.Fatalf("route without CORS answered a preflight: %+v", d)
	}
}

func TestThrottle(t *testing.T) {
	e := testEngine(t)
	th := &countThrottle{fails: map[string]int{}}
	e.deps.Throttle = th
	for i := 0; i < 3; i++ {
		decide(e, "GET", "/orders", "X-User", "bad")
	}
	if d := decide(e, "GET", "/orders", "X-User", "ann"); d.Status != 429 || d.Reason != ReasonAuthThrottled {
		t.Fatalf("after 3 failures: %+v, want auth-throttled 429", d)
	}
}

// countThrottle blocks a key after three failures.
type countThrottle struct{ fails map[string]int }

func (c *countThrottle) Fail(key string, _ time.Time) { c.fails[key]++ }
func (c *countThrottle) Blocked(key string, _ time.Time) (bool, time.Duration) {
	return c.fails[key] >= 3, time.Minute
}

func TestNewRejectsMissingProvider(t *testing.T) {
	cfg := &config.Config{Routes: []config.Route{{ID: "a/b", Providers: []string{"nope"}}}}
	if _, err := New(cfg, Deps{Local: &bucket{}}); err == nil {
		t.Fatal("New accepted a route whose provider is not configured")
	}
}
