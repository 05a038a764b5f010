package authn

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

func TestJWTKeyRotation(t *testing.T) {
	f := newJWTFixture(t, nil)
	old, next := f.keys["rs"], f.keys["rs2"]
	mustAuth(t, f.a, bearerRequest(signed(t, old, f.claims())))
	// The issuer rotates: rs-2 appears, rs-1 is withdrawn.
	f.srv.set(jwksJSON(t, next), http.StatusOK)
	// Within the refetch interval an unknown kid does not refetch.
	if _, err := f.auth(signed(t, next, f.claims())); failureReason(err) != "unknown signing key" {
		t.Fatalf("new kid within refetch interval: %v", err)
	}
	if n := f.srv.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (rate limit)", n)
	}
	f.clk.Add(jwksRefetchInterval + time.Second)
	mustAuth(t, f.a, bearerRequest(signed(t, next, f.claims())))
	if n := f.srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	if _, err := f.auth(signed(t, old, f.claims())); failureReason(err) != "unknown signing key" {
		t.Fatalf("withdrawn key still accepted: %v", err)
	}
}

func TestJWKSRefreshAfterMaxAge(t *testing.T) {
	f := newJWTFixture(t, nil)
	mustAuth(t, f.a, bearerRequest(signed(t, f.keys["rs"], f.claims())))
	f.clk.Add(jwksMaxAge + time.Second)
	// Stale keys still serve while a refresh runs in the background.
	mustAuth(t, f.a, bearerRequest(signed(t, f.keys["rs"], f.claims())))
	f.waitIdle(t)
	if n := f.srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestJWKSDownAfterFirstFetch(t *testing.T) {
	f := newJWTFixture(t, nil)
	rs := f.keys["rs"]
	mustAuth(t, f.a, bearerRequest(signed(t, rs, f.claims())))
	f.srv.Close()
	// Past the max age, the refresh fails: cached keys keep working.
	f.clk.Add(jwksMaxAge + time.Minute)
	mustAuth(t, f.a, bearerRequest(signed(t, rs, f.claims())))
	f.waitIdle(t)
	f.clk.Add(30 * time.Minute)
	mustAuth(t, f.a, bearerRequest(signed(t, rs, f.claims())))
	f.waitIdle(t)
	// Past the hard limit, every token fails closed.
	f.clk.Add(jwksHardLimit)
	p, err := f.auth(signed(t, rs, f.claims()))
	if !isOutage(err) || p != nil {
		t.Fatalf("keys past the hard limit: %v, %v; want an outage error", p, err)
	}
}

func TestJWKSDownWithoutCache(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*jwksServer)
	}{
		{"closed", func(s *jwksServer) { s.Close() }},
		{"500", func(s *jwksServer) { s.set([]byte("oops"), http.StatusInternalServerError) }},
		{"not a JWKS", func(s *jwksServer) { s.set([]byte(`{"keys":"no"}`), http.StatusOK) }},
		{"only HMAC keys", func(s *jwksServer) {
			s.set([]byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`), http.StatusOK)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newJWTFixture(t, nil)
			tc.break_(f.srv)
			p, err := f.auth(signed(t, f.keys["rs"], f.claims()))
			if !isOutage(err) || p != nil {
				t.Fatalf("got %v, %v; want an outage error", p, err)
			}
		})
	}
}

func TestJWKSRedirectToHTTPRefused(t *testing.T) {
	keys := jwtKeys()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(jwksJSON(t, keys["rs"]))
	}))
	defer plain.Close()
	f := newJWTFixture(t, nil)
	f.srv.Config.Handler = http.RedirectHandler(plain.URL+"/jwks", http.StatusFound)
	if _, err := f.auth(signed(t, keys["rs"], f.claims())); !isOutage(err) {
		t.Fatalf("JWKS fetched over a redirect to http: %v", err)
	}
}

func TestParseJWKSDropsUnusableKeys(t *testing.T) {
	keys := jwtKeys()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwksJSON(t, keys["rs"], keys["es"]), &set); err != nil {
		t.Fatal(err)
	}
	set.Keys[1]["use"] = "enc"
	set.Keys = append(set.Keys,
		map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
		map[string]any{"kty": "AKP", "kid": "future", "alg": "ML-DSA-65", "pub": "AAAA"},
		map[string]any{"kty": "RSA", "kid": "broken"})
	b, _ := json.Marshal(set)
	got, err := parseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range got {
		kids = append(kids, k.kid)
	}
	if !slices.Equal(kids, []string{"rs-1"}) {
		t.Fatalf("kept %v, want only rs-1", kids)
	}
}

func TestJWTLocalJWKS(t *testing.T) {
	keys := jwtKeys()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwksJSON(t, keys["es"]), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	c := &config.JWT{Issuer: testIssuer, Audiences: []string{"api://orders"}, LocalJWKS: path,
		Algorithms: []string{"ES256"}, ClockSkewSeconds: 30}
	a, err := New(config.Provider{Name: "local", JWT: c}, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &jwtFixture{keys: keys, clk: clk, a: a}
	claims := f.claims()
	p := mustAuth(t, a, bearerRequest(signed(t, keys["es"], claims)))
	if p.Subject != "alice" || p.Roles != nil || !slices.Equal(p.Scopes, []string{"orders:read", "orders:write"}) {
		t.Fatalf("principal %+v", p)
	}
	if _, err := f.auth(signed(t, keys["ed"], claims)); failureReason(err) != "algorithm not allowed" {
		t.Fatalf("EdDSA not in the allow-list: %v", err)
	}
}

func TestJWKSConcurrentFirstFetch(t *testing.T) {
	f := newJWTFixture(t, nil)
	tok := signed(t, f.keys["es"], f.claims())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := f.auth(tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.srv.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times by 20 concurrent first requests, want 1", n)
	}
}

func TestJWKSWaitHonoursContext(t *testing.T) {
	release := make(chan struct{})
	f := newJWTFixture(t, nil)
	f.srv.Config.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.a.Authenticate(ctx, bearerRequest(signed(t, f.keys["es"], f.claims())))
	if !isOutage(err) {
		t.Fatalf("hanging JWKS: %v; want an outage error", err)
	}
}
