package kong_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

func ossPolicy(t *testing.T) *ir.Policy { return golden.ReadIR(t, "testdata/oss.ir.yaml") }

// checkErrors returns targets.Check's error messages.
func checkErrors(p *ir.Policy) []string {
	var out []string
	for _, d := range targets.Check(kong.New(), p) {
		if d.Severity.String() == "error" {
			out = append(out, d.Message)
		}
	}
	return out
}

func wantError(t *testing.T, msgs []string, parts ...string) {
	t.Helper()
	for _, m := range msgs {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(m, p)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no error with %q among %q", parts, msgs)
}

func jwtProvider(p *ir.Policy) {
	p.Providers = append(p.Providers, &ir.Provider{Name: "sso", Kind: ir.KindJWT, JWT: &ir.JWT{
		Issuer: "https://id.example", Audiences: []string{"api"}, JWKSURI: "https://id.example/jwks",
		Algorithms: []string{"RS256"}, SubjectClaim: "sub", ScopesClaim: "scope", Header: "Authorization"}})
	p.Services[0].Routes[0].Providers = []string{"sso"}
}

// TestOSSFailsClosed: what Kong OSS lacks is an error naming the control
// and the route, and Build refuses it too; Enterprise enforces it.
func TestOSSFailsClosed(t *testing.T) {
	p := ossPolicy(t)
	jwtProvider(p)
	p.Services[0].Routes[1].ContentTypes = []string{"application/json"}
	msgs := checkErrors(p)
	wantError(t, msgs, "authn.jwt", "route orders/list")
	wantError(t, msgs, "validation.contentTypes", "route orders/order")
	if _, err := kong.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "authn.jwt on route orders/list") {
		t.Fatalf("Build: %v", err)
	}
	p.Targets.KongEdition = kong.EditionEnterprise
	if msgs := checkErrors(p); len(msgs) > 0 {
		t.Fatalf("enterprise: %q", msgs)
	}
	deck := artifact(t, p, kong.DeckFile)
	for _, want := range []string{`"openid-connect"`, `"audience_required"`} {
		if !strings.Contains(string(deck), want) {
			t.Errorf("enterprise kong.yaml lacks %s", want)
		}
	}
	validateSchemas(t, deck)
	// Content types are checked on the methods that carry a body only:
	// orders/order (GET, PUT) splits in two Kong routes.
	f, _ := kong.Decode(deck)
	rv := plugin[*kong.RequestValidatorConfig](t, f, "orders.order_put", "request-validator")
	if !slices.Equal(rv.AllowedContentTypes, []string{"application/json"}) || rv.ContentTypeParameterValidation {
		t.Errorf("request-validator: %+v", rv)
	}
	for _, r := range f.Services[0].Routes {
		for _, pl := range r.Plugins {
			if pl.Name == "request-validator" && r.Name != "orders.order_put" {
				t.Errorf("request-validator on %s %v", r.Name, r.Methods)
			}
		}
	}
}

// TestNeverSupported: client certificates, auth-failure lockout, syslog
// sinks and hash-only API keys fail closed on both editions.
func TestNeverSupported(t *testing.T) {
	for _, ed := range []string{kong.EditionOSS, kong.EditionEnterprise} {
		p := ossPolicy(t)
		p.Targets.KongEdition = ed
		p.Listeners[0].TLS.ClientAuth = &ir.ClientAuth{Required: true, CAFile: "/ca.pem"}
		p.AuthFailures = &ir.AuthFailures{MaxAttempts: 5, WindowSeconds: 60, LockoutSeconds: 60, Key: "ip"}
		p.Logging.Sink, p.Logging.SinkTarget = "syslog", "logs:514"
		p.Providers[0].APIKey.Consumers[0].KeyRef, p.Providers[0].APIKey.Consumers[0].KeyHash = "", "sha256:00"
		msgs := checkErrors(p)
		for _, c := range []string{`"tls.mtls"`, `"authFailures"`, `"logging.access"`, `"authn.apiKey"`} {
			wantError(t, msgs, c)
		}
	}
}

// TestKeysAreNeverWritten: API keys (even references) never reach
// kong.yaml; consumers carry their groups and a tag naming the reference.
func TestKeysAreNeverWritten(t *testing.T) {
	p := ossPolicy(t)
	deck := string(artifact(t, p, kong.DeckFile))
	for _, bad := range []string{"keyauth_credentials", `"key":`, "{vault://env/ACME_API_KEY}"} {
		if strings.Contains(deck, bad) {
			t.Errorf("kong.yaml contains %q", bad)
		}
	}
	if !strings.Contains(deck, `"rampart-key-ref:env:ACME_API_KEY"`) || strings.Count(deck, "ACME_API_KEY") != 1 {
		t.Error("the key reference is not exactly once, in the consumer's tag")
	}
	p.Providers[0].APIKey.Consumers[0].KeyRef = "file:/run/secrets/acme"
	wantError(t, checkErrors(p), "authn.apiKey", "route orders/list")
}

// TestKeyInQuery: keys are read from the query string only when the
// policy's provider reads them there, and query keys are then dropped
// from the log.
func TestKeyInQuery(t *testing.T) {
	p := ossPolicy(t)
	f, _ := kong.Decode(artifact(t, p, kong.DeckFile))
	if plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth").KeyInQuery {
		t.Fatal("key_in_query true for a header provider")
	}
	p.Providers[0].APIKey.In, p.Providers[0].APIKey.Name = "query", "api_key"
	f, _ = kong.Decode(artifact(t, p, kong.DeckFile))
	ka := plugin[*kong.KeyAuthConfig](t, f, "orders.list", "key-auth")
	if !ka.KeyInQuery || ka.KeyInHeader || !ka.HideCredentials {
		t.Fatalf("query provider: %+v", ka)
	}
	lua := plugin[*kong.FileLogConfig](t, f, "orders.list", "file-log").CustomFieldsByLua
	if lua["request.querystring.api_key"] != kong.LuaDrop || lua["request.uri"] != kong.LuaPathOnly || lua["request.url"] != kong.LuaDrop {
		t.Fatalf("query key still logged: %v", lua)
	}
}

// TestSharedLimits: shared limits use Redis with the password as an env
// vault reference, never cluster; without a usable Redis they fail closed.
func TestSharedLimits(t *testing.T) {
	p := ossPolicy(t)
	for i := range p.Services[0].Routes[0].RateLimits {
		p.Services[0].Routes[0].RateLimits[i].Shared = true
	}
	wantError(t, checkErrors(p), "ratelimit.shared", "route orders/list")
	p.Targets.RedisAddress, p.Targets.RedisPasswordRef = "redis.internal:6380", "file:/run/secrets/redis"
	wantError(t, checkErrors(p), "ratelimit.shared")
	p.Targets.RedisPasswordRef = "env:REDIS_PASSWORD"
	deck := artifact(t, p, kong.DeckFile)
	f, _ := kong.Decode(deck)
	rl := plugin[*kong.RateLimitingConfig](t, f, "orders.list", "rate-limiting")
	if rl.Policy != "redis" || rl.Redis == nil || rl.Redis.Host != "redis.internal" || rl.Redis.Port != 6380 ||
		rl.Redis.Password != "{vault://env/REDIS_PASSWORD}" {
		t.Fatalf("rate-limiting: %+v %+v", rl, rl.Redis)
	}
	validateSchemas(t, deck)
}

// TestRouteGaps: what Kong cannot do on one route is a RouteError naming
// the route and the control, unless a waiver covers it.
func TestRouteGaps(t *testing.T) {
	p := ossPolicy(t)
	r := p.Services[0].Routes[0]
	r.RateLimits = append(r.RateLimits, ir.RateLimit{Name: "tenant", Requests: 5, Per: "second", Key: "header", Header: "X-Tenant"})
	_, err := kong.New().Build(context.Background(), p)
	var re *targets.RouteError
	if !errors.As(err, &re) || re.Route != "orders/list" || !strings.Contains(err.Error(), "ratelimit.header") {
		t.Fatalf("Build: %v", err)
	}
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlRateLimitHeader, Target: "kong", Route: "orders/list", Reason: "r", Approver: "a", Expires: "2099-01-01"})
	if _, err := kong.New().Build(context.Background(), p); err != nil {
		t.Fatalf("waived: %v", err)
	}
}

// TestWaivedAuthnClosesTheRoute: waiving the only provider of a route
// never opens it; Kong answers 401.
func TestWaivedAuthnClosesTheRoute(t *testing.T) {
	p := ossPolicy(t)
	jwtProvider(p)
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlJWT, Target: "kong", Reason: "r", Approver: "a", Expires: "2099-01-01"})
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	if c := plugin[*kong.RequestTerminationConfig](t, f, "orders.list", "request-termination"); c.StatusCode != 401 {
		t.Fatalf("status %d", c.StatusCode)
	}
}

// TestIntrospectionSecretIsAReference: the client secret is an env vault
// reference in the one field Kong resolves references in.
func TestIntrospectionSecretIsAReference(t *testing.T) {
	p := ossPolicy(t)
	p.Targets.KongEdition = kong.EditionEnterprise
	p.Providers = append(p.Providers, &ir.Provider{Name: "tok", Kind: ir.KindIntrospection, Introspection: &ir.Introspection{
		Endpoint: "https://id.example/introspect", ClientID: "gw", ClientSecret: "env:GW_SECRET", CacheSeconds: 30,
		SubjectClaim: "sub", ScopesClaim: "scope", Header: "Authorization"}})
	p.Services[0].Routes[0].Providers = []string{"tok"}
	p.Services[0].Routes[0].Rules = []ir.Rule{{Scopes: []string{"orders:read"}}}
	deck := artifact(t, p, kong.DeckFile)
	f, _ := kong.Decode(deck)
	c := plugin[*kong.OpenIDConnectConfig](t, f, "orders.list", "openid-connect")
	if len(c.ClientSecret) != 1 || c.ClientSecret[0] != "{vault://env/GW_SECRET}" || c.ScopesRequired[0] != "orders:read" {
		t.Fatalf("openid-connect: %+v", c)
	}
	validateSchemas(t, deck)
	p.Providers[1].Introspection.ClientSecret = "vault:kv/gw#secret"
	if _, err := kong.New().Build(context.Background(), p); err == nil {
		t.Fatal("a secret Kong cannot resolve was accepted")
	}
}

// TestMethodRules: rules for some methods become one Kong route per
// group of methods, each with its own acl; the IR is not modified.
func TestMethodRules(t *testing.T) {
	p := ossPolicy(t)
	r := p.Services[0].Routes[1] // orders/order: GET, PUT
	r.Rules = []ir.Rule{{Methods: []string{"GET"}, Roles: []string{"orders-read"}}, {Roles: []string{"orders-write"}}}
	f, err := kong.Decode(artifact(t, p, kong.DeckFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := plugin[*kong.ACLConfig](t, f, "orders.order_get", "acl").Allow; !slices.Equal(got, []string{"partners:orders-read", "partners:orders-write"}) {
		t.Errorf("GET allows %q", got)
	}
	if got := plugin[*kong.ACLConfig](t, f, "orders.order_put", "acl").Allow; !slices.Equal(got, []string{"partners:orders-write"}) {
		t.Errorf("PUT allows %q", got)
	}
	if len(r.Rules[0].Methods) != 1 || !slices.Equal(r.Methods, []string{"GET", "PUT"}) {
		t.Error("Build modified the IR")
	}
}

// TestCORSOrigins: plain origins stay literal (Kong compares them as
// strings); a wildcard becomes an anchored regex matching one label.
func TestCORSOrigins(t *testing.T) {
	f, _ := kong.Decode(artifact(t, ossPolicy(t), kong.DeckFile))
	got := plugin[*kong.CORSConfig](t, f, "orders.list", "cors").Origins
	want := []string{"https://shop.example", `^https://[A-Za-z0-9-]+\.shop\.example$`}
	if !slices.Equal(got, want) {
		t.Fatalf("origins %q, want %q", got, want)
	}
	re := regexp.MustCompile(got[1])
	for o, ok := range map[string]bool{"https://a.shop.example": true, "https://a.b.shop.example": false,
		"https://evil.example/x.shop.example": false, "https://ashop.example": false} {
		if re.MatchString(o) != ok {
			t.Errorf("%s: match %v, want %v", o, !ok, ok)
		}
	}
}

// TestGapsListsWaivedGaps: the waived route gaps of an example are
// listed for reports, with the control and route.
func TestGapsListsWaivedGaps(t *testing.T) {
	gaps, err := kong.Gaps(golden.ReadIR(t, "testdata/enterprise.ir.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := kong.Gap{Control: ir.CtlRateLimitSubject, Route: "records/write",
		Detail: "rate limit writes: Kong runs one rate-limiting plugin per route, already keyed by ip"}
	if !slices.Contains(gaps, want) {
		t.Fatalf("gaps %+v lack %+v", gaps, want)
	}
}

// TestSeveralCertificates: Kong serves one certificate, so different
// certificates per listener fail closed on "tls"; waived, Kong serves the
// certificate of the listener most routes use, with the strictest TLS
// settings of all listeners.
func TestSeveralCertificates(t *testing.T) {
	p := ossPolicy(t)
	p.Listeners = append([]*ir.Listener{{Name: "admin", Port: 9443, Hosts: []string{"admin.shop.example"},
		TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", CertFile: "/admin.crt", KeyFile: "/admin.key"}}},
		p.Listeners...)
	p.Services[1].Listeners = []string{"admin", "public"}
	wantError(t, checkErrors(p), `"tls"`, "listener admin")
	p.Waivers = append(p.Waivers, ir.Waiver{Control: ir.CtlTLS, Target: "kong", Reason: "r", Approver: "a", Expires: "2099-01-01"},
		// orders is not on admin, but Kong serves it there too.
		ir.Waiver{Control: ir.CtlUndeclared, Target: "kong", Reason: "r", Approver: "a", Expires: "2099-01-01"})
	conf, err := kong.ParseConf(artifact(t, p, kong.ConfFile))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"ssl_cert": "/etc/rampart/tls/api.crt", "ssl_protocols": "TLSv1.3",
		"ssl_cipher_suite": "modern", "proxy_listen": "0.0.0.0:9443 ssl, 0.0.0.0:443 ssl, 0.0.0.0:80"} {
		if got, _ := conf.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
