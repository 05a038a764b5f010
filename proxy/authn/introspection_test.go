package authn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// authServer is an RFC 7662 introspection endpoint over HTTPS that
// checks the gateway's client credentials and counts calls.
type authServer struct {
	*httptest.Server
	clk     *clock
	calls   atomic.Int64
	mu      sync.Mutex
	status  int
	answers map[string]func(now int64) map[string]any
}

func newAuthServer(t *testing.T, clk *clock) *authServer {
	t.Helper()
	s := &authServer{clk: clk, status: http.StatusOK, answers: map[string]func(int64) map[string]any{
		"good-token": func(now int64) map[string]any {
			return map[string]any{"active": true, "sub": "alice", "scope": "orders:read", "exp": now + 3600}
		},
		"short-token": func(now int64) map[string]any {
			return map[string]any{"active": true, "sub": "bob", "scope": []string{"a"}, "exp": now + 5}
		},
		"expired-token": func(now int64) map[string]any { return map[string]any{"active": true, "sub": "c", "exp": now - 1} },
		"nosub-token":   func(int64) map[string]any { return map[string]any{"active": true} },
		"string-active": func(int64) map[string]any { return map[string]any{"active": "true", "sub": "d"} },
	}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *authServer) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	id, secret, ok := r.BasicAuth()
	// RFC 6749 §2.3.1: the Basic credentials are form-encoded.
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if r.Method != http.MethodPost || !ok || id != "gateway" || secret != "s3cret%&" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "unauthorized client", http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" || r.URL.RawQuery != "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	status, answer := s.status, s.answers[r.PostForm.Get("token")]
	s.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, "down", status)
		return
	}
	body := map[string]any{"active": false}
	if answer != nil {
		body = answer(s.clk.Now().Unix())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (s *authServer) setStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

func newTestIntrospection(t *testing.T, s *authServer, cacheSeconds int) *introspection {
	t.Helper()
	a, err := New(config.Provider{Name: "opaque", Introspection: &config.Introspection{
		Endpoint: s.URL + "/introspect", ClientID: "gateway", ClientSecret: "env:INTROSPECT_SECRET",
		CacheSeconds: cacheSeconds, SubjectClaim: "sub", ScopesClaim: "scope", Header: "Authorization",
	}}, Options{HTTPClient: s.Client(), Now: s.clk.Now,
		Secrets: testSecrets(map[string]string{"env:INTROSPECT_SECRET": "s3cret%&"})})
	if err != nil {
		t.Fatal(err)
	}
	return a.(*introspection)
}

func TestIntrospectionActive(t *testing.T) {
	s := newAuthServer(t, newClock())
	a := newTestIntrospection(t, s, 60)
	p := mustAuth(t, a, bearerRequest("good-token"))
	if p.Subject != "alice" || p.Provider != "opaque" || !slices.Equal(p.Scopes, []string{"orders:read"}) {
		t.Fatalf("principal %+v", p)
	}
	if p := mustAuth(t, a, bearerRequest("short-token")); !slices.Equal(p.Scopes, []string{"a"}) {
		t.Fatalf("scope list: %+v", p)
	}
}

func TestIntrospectionRejected(t *testing.T) {
	s := newAuthServer(t, newClock())
	a := newTestIntrospection(t, s, 60)
	for token, reason := range map[string]string{
		"unknown-token": "token inactive", "expired-token": "token expired",
		"nosub-token": "missing subject", "string-active": "token inactive",
	} {
		p, err := a.Authenticate(context.Background(), bearerRequest(token))
		if got := failureReason(err); got != reason || p != nil {
			t.Errorf("%s: got %v, %v; want %q", token, p, err, reason)
		}
	}
	if n := a.cache.len(); n != 0 {
		t.Errorf("%d rejected answers cached", n)
	}
	if _, err := a.Authenticate(context.Background(), bearerRequest("")); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no token: %v", err)
	}
}

func TestIntrospectionCache(t *testing.T) {
	clk := newClock()
	s := newAuthServer(t, clk)
	a := newTestIntrospection(t, s, 60)
	for range 3 {
		mustAuth(t, a, bearerRequest("good-token"))
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("%d introspection calls for three requests, want 1", n)
	}
	clk.Add(61 * time.Second)
	mustAuth(t, a, bearerRequest("good-token"))
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("%d calls after cacheSeconds, want 2", n)
	}
	// short-token expires in 5 s: cached no longer than that.
	mustAuth(t, a, bearerRequest("short-token"))
	clk.Add(4 * time.Second)
	mustAuth(t, a, bearerRequest("short-token"))
	if n := s.calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	clk.Add(2 * time.Second)
	mustAuth(t, a, bearerRequest("short-token"))
	if n := s.calls.Load(); n != 4 {
		t.Fatalf("%d calls after exp, want 4: cached past the token's exp", n)
	}
}

func TestIntrospectionCacheDisabled(t *testing.T) {
	s := newAuthServer(t, newClock())
	a := newTestIntrospection(t, s, 0)
	mustAuth(t, a, bearerRequest("good-token"))
	mustAuth(t, a, bearerRequest("good-token"))
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("%d calls with cacheSeconds 0, want 2", n)
	}
}

func TestIntrospectionCacheKeyIsNotTheToken(t *testing.T) {
	s := newAuthServer(t, newClock())
	a := newTestIntrospection(t, s, 60)
	mustAuth(t, a, bearerRequest("good-token"))
	a.cache.mu.Lock()
	defer a.cache.mu.Unlock()
	if len(a.cache.entries) != 1 {
		t.Fatalf("%d cache entries", len(a.cache.entries))
	}
	for k, e := range a.cache.entries {
		if k != sha256.Sum256([]byte("good-token")) || bytes.Contains(k[:], []byte("good-token")) {
			t.Errorf("cache key %x is not the token's SHA-256", k)
		}
		if strings.Contains(fmt.Sprintf("%+v", *e.Value.(*cacheEntry).p), "good-token") {
			t.Error("cached principal holds the token")
		}
	}
}

func TestIntrospectionCacheBounded(t *testing.T) {
	c := newTokenCache(3)
	until := time.Unix(2_000_000_000, 0)
	for i := range 5 {
		c.put(sha256.Sum256([]byte{byte(i)}), &Principal{Subject: fmt.Sprint(i)}, until)
	}
	if c.len() != 3 {
		t.Fatalf("len %d, want 3", c.len())
	}
	now := until.Add(-time.Hour)
	for i, want := range []bool{false, false, true, true, true} {
		if got := c.get(sha256.Sum256([]byte{byte(i)}), now) != nil; got != want {
			t.Errorf("entry %d cached = %v, want %v (oldest evicted first)", i, got, want)
		}
	}
	if c.get(sha256.Sum256([]byte{4}), until) != nil {
		t.Error("entry served at its expiry")
	}
}

func TestIntrospectionEndpointDown(t *testing.T) {
	clk := newClock()
	s := newAuthServer(t, clk)
	a := newTestIntrospection(t, s, 60)
	for _, code := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusUnauthorized} {
		s.setStatus(code)
		if p, err := a.Authenticate(context.Background(), bearerRequest("good-token")); !isOutage(err) || p != nil {
			t.Errorf("status %d: got %v, %v; want an outage error", code, p, err)
		}
	}
	if n := a.cache.len(); n != 0 {
		t.Fatalf("failure cached: %d entries", n)
	}
	s.setStatus(http.StatusOK)
	mustAuth(t, a, bearerRequest("good-token"))
	s.Close()
	clk.Add(time.Hour)
	if p, err := a.Authenticate(context.Background(), bearerRequest("good-token")); !isOutage(err) || p != nil {
		t.Errorf("closed endpoint: got %v, %v; want an outage error", p, err)
	}
}

func TestIntrospectionErrorsNeverCarryTheToken(t *testing.T) {
	s := newAuthServer(t, newClock())
	a := newTestIntrospection(t, s, 60)
	s.setStatus(http.StatusBadGateway)
	_, err := a.Authenticate(context.Background(), bearerRequest("good-token"))
	if err == nil || strings.Contains(err.Error(), "good-token") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v", err)
	}
}

func TestIntrospectionTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	s := &authServer{Server: slow, clk: newClock()}
	a := newTestIntrospection(t, s, 60)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Authenticate(ctx, bearerRequest("good-token")); !isOutage(err) {
		t.Fatalf("timeout: %v; want an outage error", err)
	}
}

func TestIntrospectionRedirectNotFollowed(t *testing.T) {
	s := newAuthServer(t, newClock())
	redirector := httptest.NewTLSServer(http.RedirectHandler(s.URL+"/introspect", http.StatusTemporaryRedirect))
	defer redirector.Close()
	a := newTestIntrospection(t, s, 60)
	a.endpoint = redirector.URL + "/introspect"
	if _, err := a.Authenticate(context.Background(), bearerRequest("good-token")); !isOutage(err) {
		t.Fatalf("redirect: %v; want an outage error", err)
	}
	if n := s.calls.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d calls", n)
	}
}

func TestIntrospectionNewErrors(t *testing.T) {
	base := config.Introspection{Endpoint: "https://as.example/introspect", ClientID: "gw", ClientSecret: "env:S"}
	for name, edit := range map[string]func(*config.Introspection){
		"unresolvable secret": func(c *config.Introspection) { c.ClientSecret = "env:MISSING" },
		"http endpoint":       func(c *config.Introspection) { c.Endpoint = "http://as.example/introspect" },
		"no client id":        func(c *config.Introspection) { c.ClientID = "" },
		"userinfo in URL":     func(c *config.Introspection) { c.Endpoint = "https://gw:pw@as.example/introspect" },
		"negative cache":      func(c *config.Introspection) { c.CacheSeconds = -1 },
	} {
		c := base
		edit(&c)
		_, err := New(config.Provider{Name: "opaque", Introspection: &c},
			Options{Secrets: testSecrets(map[string]string{"env:S": "x"})})
		if err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	c := base
	if _, err := New(config.Provider{Name: "opaque", Introspection: &c}, Options{}); err == nil {
		t.Error("New accepted a secret reference with no resolver")
	}
}
