package authn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

const testIssuer = "https://issuer.example/"

// jwtKeys are generated once: RSA key generation is slow.
var jwtKeys = sync.OnceValue(func() map[string]testKey {
	t := panicTB{}
	return map[string]testKey{
		"rs":  newRSAKey(t, "rs-1", "RS256"),
		"ps":  newRSAKey(t, "ps-1", "PS256"),
		"es":  newECKey(t, "es-1"),
		"ed":  newEdKey(t, "ed-1"),
		"rs2": newRSAKey(t, "rs-2", "RS256"),
	}
})

// panicTB is a testing.TB for code that runs outside any one test: a
// fatal error panics.
type panicTB struct{ testing.TB }

func (panicTB) Helper()                   {}
func (panicTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (panicTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// jwtFixture is a JWT provider whose JWKS is served over HTTPS.
type jwtFixture struct {
	keys map[string]testKey
	srv  *jwksServer
	clk  *clock
	a    Authenticator
}

func newJWTFixture(t *testing.T, edit func(*config.JWT)) *jwtFixture {
	t.Helper()
	keys := jwtKeys()
	f := &jwtFixture{keys: keys, clk: newClock()}
	f.srv = newJWKSServer(t, jwksJSON(t, keys["rs"], keys["ps"], keys["es"], keys["ed"]))
	c := config.JWT{
		Issuer: testIssuer, Audiences: []string{"api://orders", "api://other"},
		JWKSURI: f.srv.URL + "/jwks.json", Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"},
		RequiredClaims: []string{"tenant"}, MaxTokenAgeSeconds: 3600, ClockSkewSeconds: 30,
		SubjectClaim: "sub", RolesClaim: "roles", ScopesClaim: "scope", Header: "Authorization",
	}
	if edit != nil {
		edit(&c)
	}
	a, err := New(config.Provider{Name: "idp", JWT: &c}, Options{HTTPClient: f.srv.Client(), Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.a = a
	return f
}

// claims are valid claims at the fixture's current time.
func (f *jwtFixture) claims() map[string]any {
	now := f.clk.Now().Unix()
	return map[string]any{
		"iss": testIssuer, "aud": []string{"api://orders"}, "sub": "alice",
		"exp": now + 300, "nbf": now - 10, "iat": now - 10, "tenant": "acme",
		"roles": []string{"admin", "ops"}, "scope": "orders:read orders:write",
	}
}

func (f *jwtFixture) auth(token string) (*Principal, error) {
	return f.a.Authenticate(context.Background(), bearerRequest(token))
}

// waitIdle waits until no JWKS fetch is running.
func (f *jwtFixture) waitIdle(t *testing.T) {
	t.Helper()
	rk := f.a.(*jwtAuth).keys.(*remoteKeys)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		rk.mu.Lock()
		idle := rk.inflight == nil
		rk.mu.Unlock()
		if idle {
			return
		}
	}
	t.Fatal("JWKS fetch still running")
}

func TestJWTAlgorithms(t *testing.T) {
	f := newJWTFixture(t, nil)
	for _, name := range []string{"rs", "ps", "es", "ed"} {
		k := f.keys[name]
		t.Run(k.alg, func(t *testing.T) {
			p := mustAuth(t, f.a, bearerRequest(signed(t, k, f.claims())))
			if p.Subject != "alice" || p.Provider != "idp" ||
				!slices.Equal(p.Roles, []string{"admin", "ops"}) ||
				!slices.Equal(p.Scopes, []string{"orders:read", "orders:write"}) {
				t.Fatalf("principal %+v", p)
			}
		})
	}
	if n := f.srv.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for four tokens, want 1", n)
	}
}

func TestJWTClaims(t *testing.T) {
	f := newJWTFixture(t, nil)
	now := f.clk.Now().Unix()
	tests := []struct {
		name   string
		edit   map[string]any // nil value deletes the claim
		reason string
	}{
		{"wrong issuer", map[string]any{"iss": "https://evil.example/"}, "wrong issuer"},
		{"issuer prefix", map[string]any{"iss": "https://issuer.example"}, "wrong issuer"},
		{"no issuer", map[string]any{"iss": nil}, "wrong issuer"},
		{"wrong audience", map[string]any{"aud": "api://billing"}, "wrong audience"},
		{"no audience", map[string]any{"aud": nil}, "wrong audience"},
		{"expired", map[string]any{"exp": now - 31}, "token expired"},
		{"no exp", map[string]any{"exp": nil}, "token has no expiry"},
		{"string exp", map[string]any{"exp": "tomorrow"}, "malformed exp"},
		{"nbf in future", map[string]any{"nbf": now + 60}, "token not yet valid"},
		{"too old", map[string]any{"iat": now - 3700}, "token too old"},
		{"no iat with max age", map[string]any{"iat": nil}, "token has no issue time"},
		{"iat in future", map[string]any{"iat": now + 120}, "token issued in the future"},
		{"missing required claim", map[string]any{"tenant": nil}, "missing required claim tenant"},
		{"no subject", map[string]any{"sub": nil}, "missing subject"},
		{"empty subject", map[string]any{"sub": ""}, "missing subject"},
		{"numeric subject", map[string]any{"sub": 42}, "missing subject"},
		{"bad roles", map[string]any{"roles": []any{"admin", 1}}, "malformed roles claim"},
		{"bad scopes", map[string]any{"scope": 7}, "malformed scopes claim"},
		{"exp within skew", map[string]any{"exp": now - 29}, ""},
		{"nbf within skew", map[string]any{"nbf": now + 29}, ""},
		{"aud string", map[string]any{"aud": "api://other"}, ""},
		{"roles as string", map[string]any{"roles": "admin ops"}, ""},
		{"scope list", map[string]any{"scope": []string{"a", "b"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.claims()
			for k, v := range tc.edit {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			p, err := f.auth(signed(t, f.keys["es"], c))
			if tc.reason == "" {
				if err != nil || p == nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if got := failureReason(err); got != tc.reason || p != nil {
				t.Fatalf("got %v, %v; want failure %q", p, err, tc.reason)
			}
		})
	}
}

func TestJWTAlgorithmAttacks(t *testing.T) {
	f := newJWTFixture(t, nil)
	rs := f.keys["rs"]
	claims := f.claims()
	pubDER, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
	}
	empty := func([]byte) []byte { return nil }
	es, ed := f.keys["es"], f.keys["ed"]
	attacker := newECKey(t, "")
	attackerSet := struct{ Keys []map[string]any }{}
	if err := json.Unmarshal(jwksJSON(t, attacker), &attackerSet); err != nil {
		t.Fatal(err)
	}
	attackerJWK := attackerSet.Keys[0]
	tests := []struct {
		name, token, reason string
	}{
		{"alg none", compact(t, map[string]string{"alg": "none", "kid": rs.kid}, claims, empty), "algorithm not allowed"},
		{"alg None", compact(t, map[string]string{"alg": "None"}, claims, empty), "algorithm not allowed"},
		{"no alg", compact(t, map[string]string{"kid": rs.kid}, claims, empty), "algorithm not allowed"},
		{"HS256 with RSA public PEM", compact(t, map[string]string{"alg": "HS256", "kid": rs.kid}, claims, hs256(pubPEM)), "algorithm not allowed"},
		{"HS256 with RSA public DER", compact(t, map[string]string{"alg": "HS256"}, claims, hs256(pubDER)), "algorithm not allowed"},
		{"RS256 header on EC key", compact(t, map[string]string{"alg": "RS256", "kid": es.kid}, claims,
			func(in []byte) []byte { return stdlibSign(t, "ES256", es.priv, in) }), "unknown signing key"},
		{"ES256 header on RSA kid", compact(t, map[string]string{"alg": "ES256", "kid": rs.kid}, claims,
			func(in []byte) []byte { return stdlibSign(t, "ES256", es.priv, in) }), "unknown signing key"},
		{"EdDSA header on EC kid", compact(t, map[string]string{"alg": "EdDSA", "kid": es.kid}, claims,
			func(in []byte) []byte { return stdlibSign(t, "EdDSA", ed.priv, in) }), "unknown signing key"},
		{"unknown kid", signed(t, testKey{kid: "nope", alg: "ES256", priv: es.priv}, claims), "unknown signing key"},
		{"embedded attacker jwk, no kid", compact(t, map[string]any{"alg": "ES256", "jwk": attackerJWK}, claims,
			func(in []byte) []byte { return stdlibSign(t, "ES256", attacker.priv, in) }), "bad signature"},
		{"jku to attacker", compact(t, map[string]any{"alg": "ES256", "kid": "evil", "jku": "https://evil.example/jwks"}, claims,
			func(in []byte) []byte { return stdlibSign(t, "ES256", attacker.priv, in) }), "unknown signing key"},
		{"crit header", compact(t, map[string]any{"alg": "ES256", "kid": es.kid, "crit": []string{"exp"}, "exp": 1}, claims,
			func(in []byte) []byte { return stdlibSign(t, "ES256", es.priv, in) }), "unsupported critical header"},
		{"tampered payload", tamper(signed(t, es, claims)), "bad signature"},
		{"two segments", "a.b", "malformed token"},
		{"too large", signed(t, es, map[string]any{"pad": strings.Repeat("x", maxTokenBytes)}), "token too large"},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, "malformed token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.auth(tc.token)
			if got := failureReason(err); got != tc.reason || p != nil {
				t.Fatalf("got %v, %v; want failure %q", p, err, tc.reason)
			}
		})
	}
}

// tamper changes the payload of a compact token, keeping its signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	parts[1] = b64([]byte(`{"sub":"mallory"}`))
	return strings.Join(parts, ".")
}

func TestKeyFitsFamilies(t *testing.T) {
	keys := jwtKeys()
	unpinned := func(k testKey) verifyKey { return verifyKey{pub: k.priv.Public()} }
	rs, es, ed := unpinned(keys["rs"]), unpinned(keys["es"]), unpinned(keys["ed"])
	tests := []struct {
		alg  string
		key  verifyKey
		want bool
	}{
		{"RS256", rs, true}, {"PS512", rs, true}, {"ES256", rs, false}, {"EdDSA", rs, false},
		{"ES256", es, true}, {"ES384", es, false}, {"RS256", es, false}, {"EdDSA", es, false},
		{"EdDSA", ed, true}, {"RS256", ed, false}, {"ES256", ed, false},
		{"RS256", verifyKey{pub: []byte("hmac secret")}, false},
		{"PS256", verifyKey{alg: "RS256", pub: rs.pub}, false},
	}
	for _, tc := range tests {
		if got := keyFits(tc.alg, tc.key); got != tc.want {
			t.Errorf("keyFits(%s, %T) = %v, want %v", tc.alg, tc.key.pub, got, tc.want)
		}
	}
}

func TestJWTUnpinnedKeyConfusion(t *testing.T) {
	keys := jwtKeys()
	// A JWKS without "alg" on its keys: only the key's type limits what
	// it verifies.
	rs := keys["rs"]
	rs.alg = ""
	f := newJWTFixture(t, nil)
	f.srv.set(jwksJSON(t, rs), http.StatusOK)
	tok := compact(t, map[string]string{"alg": "ES256", "kid": rs.kid}, f.claims(),
		func(in []byte) []byte { return stdlibSign(t, "ES256", keys["es"].priv, in) })
	if _, err := f.auth(tok); failureReason(err) != "unknown signing key" {
		t.Fatalf("ES256 token against an RSA key: %v", err)
	}
	mustAuth(t, f.a, bearerRequest(signed(t, keys["rs"], f.claims())))
}

func TestJWTTokenSources(t *testing.T) {
	f := newJWTFixture(t, nil)
	tok := signed(t, f.keys["rs"], f.claims())
	for _, q := range []string{"access_token", "token", "jwt"} {
		r := httptest.NewRequest(http.MethodGet, "/x?"+q+"="+tok, nil)
		if p, err := f.a.Authenticate(context.Background(), r); !errors.Is(err, ErrNoCredentials) || p != nil {
			t.Errorf("token in query %s: %v, %v; want ErrNoCredentials", q, p, err)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("Authorization", "bEaReR  "+tok)
	mustAuth(t, f.a, r)
	r.Header.Set("Authorization", "Basic "+tok)
	if _, err := f.a.Authenticate(context.Background(), r); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Basic scheme: %v; want ErrNoCredentials", err)
	}
	r.Header.Set("Authorization", "Bearer ")
	if _, err := f.a.Authenticate(context.Background(), r); failureReason(err) != "empty bearer token" {
		t.Errorf("empty bearer: %v", err)
	}
	r.Header["Authorization"] = []string{"Bearer " + tok, "Bearer x"}
	if _, err := f.a.Authenticate(context.Background(), r); failureReason(err) != "more than one Authorization header" {
		t.Errorf("two headers: %v", err)
	}
}

func TestJWTCustomHeader(t *testing.T) {
	f := newJWTFixture(t, func(c *config.JWT) { c.Header = "x-access-token" })
	tok := signed(t, f.keys["ed"], f.claims())
	if _, err := f.auth(tok); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Authorization read although the header is X-Access-Token: %v", err)
	}
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("X-Access-Token", "Bearer "+tok)
	mustAuth(t, f.a, r)
}

func TestJWTNewErrors(t *testing.T) {
	base := config.JWT{Issuer: testIssuer, Audiences: []string{"a"}, JWKSURI: "https://idp.example/jwks",
		Algorithms: []string{"RS256"}}
	tests := []struct {
		name string
		edit func(*config.JWT)
		want string
	}{
		{"HS256", func(c *config.JWT) { c.Algorithms = []string{"RS256", "HS256"} }, `"HS256" is not accepted`},
		{"none", func(c *config.JWT) { c.Algorithms = []string{"none"} }, `"none" is not accepted`},
		{"no algorithms", func(c *config.JWT) { c.Algorithms = nil }, "no algorithms"},
		{"no issuer", func(c *config.JWT) { c.Issuer = "" }, "no issuer"},
		{"no audiences", func(c *config.JWT) { c.Audiences = nil }, "no audiences"},
		{"http JWKS", func(c *config.JWT) { c.JWKSURI = "http://idp.example/jwks" }, "must be an https URL"},
		{"both sources", func(c *config.JWT) { c.LocalJWKS = "/x" }, "exactly one"},
		{"no source", func(c *config.JWT) { c.JWKSURI = "" }, "exactly one"},
		{"missing local file", func(c *config.JWT) { c.JWKSURI, c.LocalJWKS = "", "/nonexistent/jwks.json" }, "localJWKS"},
		{"negative skew", func(c *config.JWT) { c.ClockSkewSeconds = -1 }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Audiences, c.Algorithms = slices.Clone(base.Audiences), slices.Clone(base.Algorithms)
			tc.edit(&c)
			_, err := New(config.Provider{Name: "idp", JWT: &c}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want %q", err, tc.want)
			}
		})
	}
}
