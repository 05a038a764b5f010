package authn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// newFuzzJWT is a JWT provider over a local JWKS holding keys, at clk.
func newFuzzJWT(tb testing.TB, clk *clock, keys ...testKey) Authenticator {
	path := filepath.Join(tb.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwksJSON(tb, keys...), 0o600); err != nil {
		tb.Fatal(err)
	}
	a, err := New(config.Provider{Name: "fuzz", JWT: &config.JWT{
		Issuer: testIssuer, Audiences: []string{"api://orders"}, LocalJWKS: path,
		Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"}, RequiredClaims: []string{"tenant"},
		MaxTokenAgeSeconds: 3600, ClockSkewSeconds: 30, RolesClaim: "roles",
	}}, Options{Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// FuzzJWTParse sends arbitrary strings as the bearer token: none may
// authenticate (no seed is a valid token, and no mutation can forge a
// signature) and none may panic.
func FuzzJWTParse(f *testing.F) {
	keys := jwtKeys()
	clk := newClock()
	a := newFuzzJWT(f, clk, keys["rs"], keys["es"], keys["ed"])
	fx := &jwtFixture{clk: clk}
	valid := fx.claims()
	expired := fx.claims()
	expired["exp"] = clk.Now().Add(-time.Hour).Unix()
	mac := func(in []byte) []byte { m := hmac.New(sha256.New, []byte("k")); m.Write(in); return m.Sum(nil) }
	for _, seed := range []string{
		signed(f, keys["rs"], expired),
		signed(f, keys["es"], expired),
		signed(f, keys["ed"], expired),
		tamper(signed(f, keys["ed"], valid)),
		compact(f, map[string]string{"alg": "none"}, valid, func([]byte) []byte { return nil }),
		compact(f, map[string]string{"alg": "HS256", "kid": "rs-1"}, valid, mac),
		compact(f, map[string]any{"alg": "ES256", "kid": "es-1", "crit": []string{"b64"}, "b64": false}, valid, mac),
		"", ".", "..", "a.b.c", "eyJhbGciOiJSUzI1NiJ9..", `{"payload":"e30"}`, "\x00\xff.\n.\t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		for _, h := range []string{"Bearer " + token, token} {
			r := httptest.NewRequest(http.MethodGet, "https://api.example/", nil)
			r.Header["Authorization"] = []string{h}
			p, err := a.Authenticate(context.Background(), r)
			if err == nil || p != nil {
				t.Fatalf("token %q authenticated as %+v", token, p)
			}
		}
	})
}

// FuzzJWTClaims signs arbitrary claims with a trusted key: whatever the
// payload, a token that authenticates must satisfy iss, aud, exp, nbf, iat
// and the required claim, as checked here independently. A mutated raw
// payload is almost never a valid claim set, so each input also signs
// shapedClaims: valid claims with the time claims moved in steps of the
// clock skew, the audience in another shape, and the payload's members (if
// it is a JSON object) laid over them.
func FuzzJWTClaims(f *testing.F) {
	keys := jwtKeys()
	clk := newClock()
	a := newFuzzJWT(f, clk, keys["ed"])
	fx := &jwtFixture{clk: clk}
	good, _ := json.Marshal(fx.claims())
	for _, seed := range []string{string(good), `{}`, `null`, `[]`, `{"exp":1e400}`, `{"aud":[1,2]} {}`} {
		f.Add([]byte(seed), int8(10), int8(0), int8(0), uint8(0))
	}
	f.Add([]byte(`{"sub":"bob"}`), int8(0), int8(1), int8(-121), uint8(1)) // each time claim at its limit
	f.Add([]byte(`{}`), int8(0), int8(1), int8(1), uint8(2))
	f.Add([]byte(`{"tenant":null}`), int8(-1), int8(2), int8(-122), uint8(3)) // each one past it
	f.Fuzz(func(t *testing.T, payload []byte, exp, nbf, iat int8, aud uint8) {
		claimsCase(t, a, keys["ed"], clk.Now(), payload)
		claimsCase(t, a, keys["ed"], clk.Now(), shapedClaims(clk.Now(), payload, exp, nbf, iat, aud))
	})
}

// TestFuzzJWTClaimsReach keeps FuzzJWTClaims meaningful: its base shaped
// claims must authenticate, or no input would reach checkFuzzedClaims.
func TestFuzzJWTClaimsReach(t *testing.T) {
	keys := jwtKeys()
	clk := newClock()
	a := newFuzzJWT(t, clk, keys["ed"])
	if !claimsCase(t, a, keys["ed"], clk.Now(), shapedClaims(clk.Now(), nil, 10, 0, 0, 0)) {
		t.Fatal("FuzzJWTClaims's base claims do not authenticate")
	}
}

// claimsCase signs payload with key and, if the token authenticates,
// re-checks the claims. It reports whether the token authenticated.
func claimsCase(t *testing.T, a Authenticator, key testKey, now time.Time, payload []byte) bool {
	t.Helper()
	input := b64([]byte(`{"alg":"EdDSA","kid":"ed-1"}`)) + "." + b64(payload)
	token := input + "." + b64(stdlibSign(t, "EdDSA", key.priv, []byte(input)))
	p, err := a.Authenticate(context.Background(), bearerRequest(token))
	if err != nil {
		if p != nil {
			t.Fatal("principal with an error")
		}
		return false
	}
	checkFuzzedClaims(t, payload, p, now)
	return true
}

// audShapes are the audience claims shapedClaims picks from; the
// provider accepts the first three.
var audShapes = []any{[]string{"api://orders"}, "api://orders", []string{"x", "api://orders"}, []string{"x"}, nil, 7}

// shapedClaims is a claim set that authenticates for exp 10, nbf 0, iat 0,
// aud 0 and an empty payload: exp, nbf and iat are now plus that many
// times 30 s (the provider's clock skew, so each boundary is reachable),
// aud picks from audShapes (nil leaves it out), and a payload that is a
// JSON object sets or replaces members.
func shapedClaims(now time.Time, payload []byte, exp, nbf, iat int8, aud uint8) []byte {
	n := now.Unix()
	c := map[string]any{"iss": testIssuer, "sub": "alice", "tenant": "acme", "roles": []string{"admin"},
		"exp": n + 30*int64(exp), "nbf": n + 30*int64(nbf), "iat": n + 30*int64(iat)}
	if v := audShapes[int(aud)%len(audShapes)]; v != nil {
		c["aud"] = v
	}
	var over map[string]json.RawMessage
	if json.Unmarshal(payload, &over) == nil {
		for k, v := range over {
			c[k] = v
		}
	}
	out, err := json.Marshal(c)
	if err != nil {
		panic(err) // every value is a Go value or valid JSON
	}
	return out
}

// checkFuzzedClaims re-checks an accepted payload without the code under
// test.
func checkFuzzedClaims(t *testing.T, payload []byte, p *Principal, now time.Time) {
	var c struct {
		Iss    string          `json:"iss"`
		Aud    json.RawMessage `json:"aud"`
		Sub    string          `json:"sub"`
		Exp    *float64        `json:"exp"`
		Nbf    *float64        `json:"nbf"`
		Iat    *float64        `json:"iat"`
		Tenant any             `json:"tenant"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatalf("accepted unparsable claims %q: %v", payload, err)
	}
	var auds []string
	if json.Unmarshal(c.Aud, &auds) != nil {
		auds = []string{""}
		_ = json.Unmarshal(c.Aud, &auds[0])
	}
	n := float64(now.Unix())
	switch {
	case c.Iss != testIssuer, !slices.Contains(auds, "api://orders"), c.Sub == "", p.Subject != c.Sub,
		c.Exp == nil || *c.Exp+30 <= n, c.Nbf != nil && *c.Nbf > n+30,
		c.Iat == nil || *c.Iat > n+30 || n-*c.Iat > 3630, c.Tenant == nil:
		t.Fatalf("accepted %s as %+v", payload, p)
	}
}
