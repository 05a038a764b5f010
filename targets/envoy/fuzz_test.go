package envoy_test

import (
	"context"
	"strings"
	"testing"
	"unicode"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/internal/dn"
)

// small is a one-route policy with the fuzzer's strings in its host,
// path, a response header, a CORS origin and a header-keyed limit.
func small(host, path, name, value, origin string) *ir.Policy {
	return &ir.Policy{
		Name: "fuzz",
		Listeners: []*ir.Listener{{Name: "web", Address: "0.0.0.0", Port: 8443, Hosts: []string{host},
			TLS: &ir.TLS{Profile: "modern", MinVersion: "1.3", MaxVersion: "1.3", Curves: []string{"X25519"},
				CertFile: "/c.pem", KeyFile: "/k.pem", HSTS: &ir.HSTS{MaxAgeSeconds: 60}}}},
		Services: []*ir.Service{{Name: "s", UpstreamURL: "http://127.0.0.1:9000", Listeners: []string{"web"},
			Routes: []*ir.Route{{Name: "r", ID: "s/r", Service: "s", Path: path, Methods: []string{"GET"}, Public: true,
				Headers:    ir.Headers{Set: []ir.Header{{Name: name, Value: value}}},
				CORS:       &ir.CORS{AllowOrigins: []string{origin}, AllowMethods: []string{"GET"}, MaxAgeSeconds: 60},
				RateLimits: []ir.RateLimit{{Name: "h", Key: "header", Header: name, PerHour: 3600, Requests: 1, Per: "second"}},
			}}}},
		Logging: ir.Logging{Enabled: true, Format: "json", Fields: []string{"path", "status"}, Sink: "file", SinkTarget: "/var/log/a.log"},
	}
}

// ident is the fuzzer's identity strings: what ends up in rbac regexes,
// metadata paths and certificate matchers.
type ident struct{ role, scope, subject, san, claim, issuer string }

// withIdent makes small's route authenticated by a JWT provider with
// ident's issuer and roles claim, allowing ident's role or scope, on an
// mTLS listener that requires ident's subject and SAN.
func withIdent(p *ir.Policy, id ident) *ir.Policy {
	p.Listeners[0].TLS.ClientAuth = &ir.ClientAuth{Required: true, CAFile: "/ca.pem",
		Subjects: []string{id.subject}, SANs: []string{id.san}}
	p.Providers = []*ir.Provider{{Name: "idp", Kind: "jwt", JWT: &ir.JWT{Issuer: id.issuer, Audiences: []string{"api"},
		LocalJWKS: "/jwks.json", Algorithms: []string{"RS256"}, RequiredClaims: []string{}, SubjectClaim: "sub",
		RolesClaim: id.claim, ScopesClaim: "scope", Header: "Authorization"}}}
	r := p.Services[0].Routes[0]
	r.Public = false
	r.Providers = []string{"idp"}
	r.Rules = []ir.Rule{{Roles: []string{id.role}}, {Scopes: []string{id.scope}}}
	return p
}

// FuzzBuild feeds arbitrary strings into a host, a path, a header name
// and value, a CORS origin, a role, a scope, an mTLS subject and SAN, the
// roles claim's name and the issuer: Build either fails or writes a
// bootstrap that parses and validates (Build checks; the test parses
// again), in which the header value, read back as Envoy reads it, is the
// policy's value exactly (no '%' command sneaks in), no route was added,
// and each identity value is matched as itself and nothing broader
// (checkIdent).
func FuzzBuild(f *testing.F) {
	f.Add("api.example.com", "/orders/{id}", "X-Tenant", "default-src 'self'", "https://app.example",
		"admin", "orders:read", "client.example", "spiffe://example/ns/a", "roles", "https://id.example.com/")
	f.Add("*.example.com", "/a", "X-A", "%REQ(authorization)%", "https://*.example.com",
		"a.b", "s*", "a,b+c\"d", "*.example.com", "realm_access.roles", "iss%REQ(x)%")
	f.Add("a.example", "/static", "X-B", "\"\\\r\nx-injected: 1", "*",
		"(.*)", "x|y", "CN=evil", "a@b.example", "", "\n")
	f.Add("a;b", "/$host", "X C", "%%%", "https://x$y", "", " ", "=#", "", "r\\s", "$")
	f.Fuzz(func(t *testing.T, host, path, name, value, origin, role, scope, subject, san, claim, issuer string) {
		id := ident{role, scope, subject, san, claim, issuer}
		p := withIdent(small(host, path, name, value, origin), id)
		arts, err := envoy.New().Build(context.Background(), p)
		if err != nil {
			return
		}
		for _, a := range arts {
			bs, err := envoy.Parse(a.Data)
			if err != nil {
				t.Fatalf("%s does not parse: %v", a.Path, err)
			}
			checkHeader(t, bs, name, value)
			checkIdent(t, bs, id)
		}
	})
}

// nearMisses are values a literal must not stand for: itself with a
// character added at either end, with its last byte changed, and with
// every punctuation character (a regex operator if left unquoted) made
// an 'x'.
func nearMisses(v string) []string {
	out := []string{v + "x", "x" + v}
	if x := strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return 'x'
		}
		return r
	}, v); x != v {
		out = append(out, x)
	}
	if v != "" {
		b := []byte(v)
		b[len(b)-1] ^= 1
		out = append(out, string(b))
	}
	return out
}

// dnSafe reports whether v prints the same in a certificate subject
// under any RFC 2253/4514 escaping (nothing to escape).
func dnSafe(v string) bool {
	return v != "" && v[0] != ' ' && v[0] != '#' && v[len(v)-1] != ' ' && !strings.ContainsAny(v, ",+\"\\<>;=\x00\r\n")
}

// checkIdent: the issuer and the roles claim's name are carried exactly;
// each role and scope regex matches the value alone or among
// space-separated others, and none of its near misses; the SAN is an
// exact matcher of the value; the subject regex matches an
// x-forwarded-client-cert holding the subject's CN and no near miss.
func checkIdent(t *testing.T, bs *bootstrapv3.Bootstrap, id ident) {
	t.Helper()
	for _, jp := range collect[*jwtv3.JwtProvider](t, bs) {
		if jp.GetIssuer() != id.issuer {
			t.Fatalf("issuer %q emitted as %q", id.issuer, jp.GetIssuer())
		}
	}
	claims := map[string][]string{} // claim name -> regexes on it
	for _, mm := range collect[*matcherv3.MetadataMatcher](t, bs) {
		path := mm.GetPath()
		if len(path) != 2 || path[0].GetKey() != "idp" {
			continue
		}
		if re := mm.GetValue().GetStringMatch().GetSafeRegex().GetRegex(); re != "" {
			claims[path[1].GetKey()] = append(claims[path[1].GetKey()], re)
		}
	}
	for claim, v := range map[string]string{id.claim: id.role, "scope": id.scope} {
		res := claims[claim]
		if len(res) == 0 {
			t.Fatalf("no regex on claim %q for %q (claims: %v)", claim, v, claims)
		}
		matched := false
		for _, re := range res {
			if fullMatch(t, re, v) && fullMatch(t, re, "a "+v+" b") {
				matched = true
			}
		}
		if !matched {
			t.Fatalf("claim %q: no regex of %q matches %q", claim, res, v)
		}
		for _, re := range res {
			for _, miss := range nearMisses(v) {
				if miss != id.role && miss != id.scope && !strings.ContainsAny(miss, " \t\n\r\f\v") && fullMatch(t, re, miss) {
					t.Fatalf("claim %q: regex %q for %q also matches %q", claim, re, v, miss)
				}
			}
		}
	}
	sans := 0
	for _, m := range collect[*tlsv3.SubjectAltNameMatcher](t, bs) {
		sans++
		if m.GetMatcher().GetExact() != id.san || m.GetMatcher().GetIgnoreCase() {
			t.Fatalf("SAN %q matched by %v, want exactly", id.san, m.GetMatcher())
		}
	}
	if sans == 0 {
		t.Fatalf("SAN %q not required", id.san)
	}
	var subj []string
	for _, h := range collect[*routev3.HeaderMatcher](t, bs) {
		if h.GetName() == "x-forwarded-client-cert" {
			if re := h.GetStringMatch().GetSafeRegex().GetRegex(); re != "" {
				subj = append(subj, re)
			}
		}
	}
	if len(subj) == 0 {
		t.Fatalf("subject %q not checked", id.subject)
	}
	// Envoy puts the subject in RFC 2253 printing (non-ASCII as \XX)
	xfcc := func(cn string) string { return `Hash=ab;Subject="OU=x,CN=` + dn.Escape(cn) + `,O=y";URI=spiffe://a` }
	for _, re := range subj {
		if dnSafe(id.subject) && !fullMatch(t, re, xfcc(id.subject)) {
			t.Fatalf("subject regex %q does not match CN %q", re, id.subject)
		}
		for _, miss := range nearMisses(id.subject) {
			if miss != id.subject && dnSafe(miss) && fullMatch(t, re, xfcc(miss)) {
				t.Fatalf("subject regex %q for %q also matches CN %q", re, id.subject, miss)
			}
		}
	}
}

// checkHeader finds the header on the route s/r and compares its value,
// unescaped as Envoy does ("%%" is "%"), with want.
func checkHeader(t *testing.T, bs *bootstrapv3.Bootstrap, name, want string) {
	t.Helper()
	found := false
	for _, pr := range placedRoutes(t, bs) {
		if r := pr.rt; strings.HasPrefix(r.Name, "s/r#") || r.Name == "web#404" || r.Name == "web#undeclared-host" {
			continue
		} else if r.Name != "s/r" {
			t.Fatalf("unexpected route %q", r.Name)
		}
		if h := pr.responseHeaders()[strings.ToLower(name)]; h != nil && h.GetHeader().GetKey() == name {
			found = true
			if got := unescape(h.GetHeader().GetValue()); got != want {
				t.Fatalf("header value %q reads back as %q", want, got)
			}
		}
	}
	if !found {
		t.Fatalf("header %q missing", name)
	}
}

// unescape reads a header value as Envoy's formatter does for text with
// no command: "%%" is "%"; a lone '%' would start a command, which the
// escaping must never leave.
func unescape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' {
			if i+1 < len(v) && v[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			return "<command at " + v[i:] + ">"
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// TestHeaderValues: a '%' in a policy header value stays literal (Envoy
// would otherwise run it as a command and could echo a credential), and a
// value with a line break does not build.
func TestHeaderValues(t *testing.T) {
	p := small("api.example.com", "/a", "X-A", "a %REQ(authorization)% b", "https://app.example")
	for _, bs := range parseAll(t, p) {
		checkHeader(t, bs, "X-A", "a %REQ(authorization)% b")
	}
	for _, v := range []string{"true", "123", "null", "~", "no", "0x1F", "1e3", ": x", "- y", "#z"} {
		for _, bs := range parseAll(t, small("api.example.com", "/a", "X-A", v, "https://app.example")) {
			checkHeader(t, bs, "X-A", v)
		}
	}
	p = small("api.example.com", "/a", "X-A", "v\r\nx-injected: 1", "https://app.example")
	if _, err := envoy.New().Build(context.Background(), p); err == nil {
		t.Error("a header value with CR LF built")
	}
}

// checkCSP requires every forwarding route to carry the policy's CSP.
func checkCSP(t *testing.T, bs *bootstrapv3.Bootstrap, want string) {
	t.Helper()
	n := 0
	for _, pr := range placedRoutes(t, bs) {
		if _, fwd := pr.rt.Action.(*routev3.Route_Route); !fwd {
			continue
		}
		if h := pr.responseHeaders()["content-security-policy"]; h != nil {
			n++
			if got := unescape(h.GetHeader().GetValue()); got != want {
				t.Fatalf("CSP %q reads back as %q", want, got)
			}
		}
	}
	if n == 0 {
		t.Fatal("no route carries the CSP")
	}
}
