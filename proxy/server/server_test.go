package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

const apiKey = "k3y-for-tests-only"

func keyHash(k string) string {
	s := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(s[:])
}

// syncBuffer is a goroutine-safe access-log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// upstreamServer echoes what it received and sets headers the proxy must
// override or strip.
func upstreamServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(599)
			return
		}
		w.Header().Set("Server", "upstream/1.2.3")
		w.Header().Set("X-Powered-By", "php/5")
		w.Header().Set("X-Frame-Options", "ALLOWALL")
		fmt.Fprintf(w, "path=%s subject=%s roles=%s spoof=%s body=%d", r.URL.Path, r.Header.Get("X-Rampart-Subject"),
			r.Header.Get("X-Rampart-Roles"), r.Header.Get("X-Rampart-Evil"), len(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a small policy: an API-key provider, a route with rules,
// limits and CORS, and a public route.
func testConfig(upstreamURL string) *config.Config {
	hdrs := []config.Header{{Name: "X-Content-Type-Options", Value: "nosniff"}, {Name: "X-Frame-Options", Value: "DENY"}}
	return &config.Config{
		APIVersion: config.APIVersion,
		Policy:     config.PolicyInfo{Name: "test", Digest: "sha256:test"},
		Listeners:  []config.Listener{{Name: "web", Address: "127.0.0.1", Port: 8080, Hosts: []string{"api.example.com", "*.example.net"}}},
		Providers: []config.Provider{{Name: "keys", APIKey: &config.APIKey{In: "header", Name: "X-API-Key",
			Consumers: []config.Consumer{{Name: "acme", KeyHash: keyHash(apiKey), Roles: []string{"reader"}}}}}},
		Upstreams: []config.Upstream{{Name: "orders", URL: upstreamURL}},
		Routes: []config.Route{
			{ID: "orders/list", Listeners: []string{"web"}, Upstream: "orders", Path: "/orders", Methods: []string{"GET", "POST"},
				Providers: []string{"keys"}, Rules: []config.Rule{{Methods: []string{"GET"}, Roles: []string{"reader"}}, {Methods: []string{"POST"}, Roles: []string{"reader"}}},
				RateLimits:   []config.RateLimit{{Name: "per-key", RatePerSecond: 0.001, Burst: 4, Key: "apiKey"}},
				Limits:       config.Limits{MaxBodyBytes: 1024},
				ContentTypes: []string{"application/json"},
				CORS:         &config.CORS{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"X-API-Key"}, MaxAgeSeconds: 600},
				Headers:      hdrs, HideServer: true, AccessLog: true},
			{ID: "orders/admin", Listeners: []string{"web"}, Upstream: "orders", Path: "/admin", Methods: []string{"GET"},
				Providers: []string{"keys"}, Rules: []config.Rule{{Roles: []string{"admin"}}}, Headers: hdrs, HideServer: true, AccessLog: true},
			{ID: "orders/health", Listeners: []string{"web"}, Upstream: "orders", Path: "/healthz", Methods: []string{"GET"},
				Public: true, Headers: hdrs, HideServer: true, AccessLog: true},
		},
		RejectUndeclared: true,
		AccessLog: config.AccessLog{Enabled: true, Fields: []string{"identity", "method", "route", "status", "query"},
			Redact:       []config.Redaction{{Kind: "header", Name: "x-api-key", Mode: "redact"}, {Kind: "query", Name: "api_key", Mode: "redact"}},
			AuthFailures: true, Sink: "stdout"},
	}
}

type testServer struct {
	*Server
	base string
	log  *syncBuffer
	cfg  func() (*config.Config, error)
}

func startServer(t *testing.T, load func() (*config.Config, error)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	s, err := New(Options{Load: load, AdminAddr: "127.0.0.1:0", Addrs: map[string]string{"web": "127.0.0.1:0"},
		AccessLog: logs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return &testServer{Server: s, base: "http://" + s.Addr("web"), log: logs, cfg: load}
}

func (ts *testServer) do(t *testing.T, method, path string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.base+path, body)
	req.Host = "api.example.com"
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestControls(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	cases := []struct {
		name, method, path string
		body               string
		hdr                []string
		status             int
		want               string
	}{
		{"public route", "GET", "/healthz", "", nil, 200, "path=/healthz"},
		{"allowed with key", "GET", "/orders", "", []string{"X-API-Key", apiKey}, 200, "subject=acme roles=reader"},
		{"no key", "GET", "/orders", "", nil, 401, `"unauthorized"`},
		{"wrong key", "GET", "/orders", "", []string{"X-API-Key", "nope"}, 401, ""},
		{"key in query is not read", "GET", "/orders?api_key=" + apiKey, "", nil, 401, ""},
		{"role missing", "GET", "/admin", "", []string{"X-API-Key", apiKey}, 403, `"forbidden"`},
		{"undeclared", "GET", "/nope", "", []string{"X-API-Key", apiKey}, 404, ""},
		{"method", "DELETE", "/orders", "", []string{"X-API-Key", apiKey}, 405, ""},
		{"content type", "POST", "/orders", "{}", []string{"X-API-Key", apiKey, "Content-Type", "text/plain"}, 415, ""},
		{"body too large by length", "POST", "/orders", strings.Repeat("x", 2048), []string{"X-API-Key", apiKey, "Content-Type", "application/json"}, 413, ""},
		{"spoofed identity removed", "GET", "/healthz", "", []string{"X-Rampart-Evil", "1", "X-Rampart-Subject", "root"}, 200, "subject= roles= spoof="},
		{"unknown host", "GET", "/healthz", "", []string{"Host", "evil.example.org"}, 404, ""},
		{"wildcard host", "GET", "/healthz", "", []string{"Host", "a.example.net"}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			resp, got := ts.do(t, c.method, c.path, body, c.hdr...)
			if resp.StatusCode != c.status || !strings.Contains(got, c.want) {
				t.Fatalf("status %d body %q; want %d containing %q", resp.StatusCode, got, c.status, c.want)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers missing or overridden: %v", resp.Header)
			}
			if resp.Header.Get("Server") != "" || resp.Header.Get("X-Powered-By") != "" {
				t.Errorf("server tokens leaked: %q %q", resp.Header.Get("Server"), resp.Header.Get("X-Powered-By"))
			}
		})
	}
	if logs := ts.log.String(); strings.Contains(logs, apiKey) {
		t.Errorf("the access log holds an API key:\n%s", logs)
	} else if !strings.Contains(logs, `"authFailure"`) {
		t.Errorf("authentication failures are not logged with a reason:\n%s", logs)
	}
}

func TestRateLimitAndStreamingBodyLimit(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	for i := 0; i < 5; i++ {
		if resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// A chunked body (no Content-Length) over the limit is cut off while
	// streaming.
	pr, pw := io.Pipe()
	go func() { pw.Write(bytes.Repeat([]byte("x"), 4096)); pw.Close() }()
	ts2 := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	resp, _ = ts2.do(t, "POST", "/orders", pr, "X-API-Key", apiKey, "Content-Type", "application/json")
	if resp.StatusCode != 413 {
		t.Fatalf("chunked oversize body: %d, want 413", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	resp, _ := ts.do(t, "OPTIONS", "/orders", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = ts.do(t, "OPTIONS", "/orders", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from a foreign origin got CORS headers: %v", resp.Header)
	}
}

// rawRequest sends bytes on a fresh connection and returns the status line.
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func TestHostileRequests(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	addr := ts.Addr("web")
	cases := map[string]string{
		"smuggling CL+TE":   "POST /healthz HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"dot segments":      "GET /admin/../healthz HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
		"encoded slash":     "GET /orders%2F..%2Fadmin HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
		"invalid UTF-8":     "GET /healthz\xff HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
		"malformed header":  "GET /healthz HTTP/1.1\r\nHost: api.example.com\r\nBad Header: x\r\n\r\n",
		"huge header":       "GET /healthz HTTP/1.1\r\nHost: api.example.com\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n",
		"double slash path": "GET //healthz HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			line := rawRequest(t, addr, req)
			if !strings.HasPrefix(line, "HTTP/1.1 4") {
				t.Fatalf("got %q, want a 4xx", line)
			}
		})
	}
}

func TestUpstreamDown(t *testing.T) {
	up := upstreamServer(t)
	url := up.URL
	up.Close()
	ts := startServer(t, func() (*config.Config, error) { return testConfig(url), nil })
	resp, body := ts.do(t, "GET", "/healthz", nil)
	if resp.StatusCode != 502 || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "refused") {
		t.Fatalf("upstream down: %d %q, want 502 with no internal detail", resp.StatusCode, body)
	}
}

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	up := upstreamServer(t)
	var mu sync.Mutex
	cfg := testConfig(up.URL)
	var loadErr error
	ts := startServer(t, func() (*config.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		return cfg, loadErr
	})
	set := func(c *config.Config, err error) { mu.Lock(); cfg, loadErr = c, err; mu.Unlock() }

	set(nil, errors.New("syntax error in rampart-proxy.json"))
	if err := ts.Reload(); err == nil {
		t.Fatal("Reload accepted a config that failed to load")
	}
	bad := testConfig(up.URL)
	bad.Routes[0].Providers = []string{"missing"}
	set(bad, nil)
	if err := ts.Reload(); err == nil {
		t.Fatal("Reload accepted an invalid config")
	}
	if resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey); resp.StatusCode != 200 {
		t.Fatalf("old config stopped serving after rejected reloads: %d", resp.StatusCode)
	}
	good := testConfig(up.URL)
	good.Routes[2].Public = false
	good.Routes[2].Providers = []string{"keys"}
	good.Routes[2].Rules = []config.Rule{{AnyAuthenticated: true}}
	set(good, nil)
	if err := ts.Reload(); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.do(t, "GET", "/healthz", nil); resp.StatusCode != 401 {
		t.Fatalf("reloaded config not applied: %d", resp.StatusCode)
	}
}

func TestReloadUnderLoadLosesNothing(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var failures, total int64
	var mu sync.Mutex
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest("GET", ts.base+"/healthz", nil)
				req.Host = "api.example.com"
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				total++
				if err != nil || resp.StatusCode != 200 {
					failures++
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := ts.Reload(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if failures != 0 || total < 50 {
		t.Fatalf("%d of %d requests failed during reloads", failures, total)
	}
}

func TestAdmin(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	ts.do(t, "GET", "/orders", nil)
	admin := "http://" + ts.Addr("admin")
	for path, want := range map[string]string{
		"/healthz": "ok", "/readyz": "ready", "/config": `"digest": "sha256:test"`,
		"/metrics": `rampart_denials_total{reason="unauthenticated"} 1`,
	} {
		resp, err := http.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, b, want)
		}
	}
}

func TestAuthorizer(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	if err := ts.StartAuthorizer("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base := "http://" + ts.Addr("authorizer")
	check := func(method, path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(method, base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// nginx auth_request
	if r := check("GET", "/authorize", map[string]string{"X-Original-URI": "/orders?x=1", "X-Original-Method": "GET", "X-API-Key": apiKey}); r.StatusCode != 200 || r.Header.Get("X-Rampart-Subject") != "acme" {
		t.Errorf("nginx allow: %d %v", r.StatusCode, r.Header)
	}
	if r := check("GET", "/authorize", map[string]string{"X-Original-URI": "/orders", "X-Original-Method": "GET"}); r.StatusCode != 401 {
		t.Errorf("nginx no key: %d", r.StatusCode)
	}
	if r := check("GET", "/authorize", map[string]string{"X-Original-URI": "/orders", "X-Original-Method": "DELETE", "X-API-Key": apiKey}); r.StatusCode != 403 || r.Header.Get("X-Rampart-Status") != "405" {
		t.Errorf("nginx 405 mapped: %d %q", r.StatusCode, r.Header.Get("X-Rampart-Status"))
	}
	// Envoy ext_authz
	if r := check("GET", "/authorize/admin", map[string]string{"X-API-Key": apiKey}); r.StatusCode != 403 {
		t.Errorf("envoy forbidden: %d", r.StatusCode)
	}
	if r := check("GET", "/authorize/orders", map[string]string{"X-API-Key": apiKey}); r.StatusCode != 200 {
		t.Errorf("envoy allow: %d", r.StatusCode)
	}
}

// TestReloadKeepsBuckets: a reload does not hand clients fresh rate-limit
// buckets.
func TestReloadKeepsBuckets(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	for i := 0; i < 5; i++ {
		ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey)
	}
	if err := ts.Reload(); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey); resp.StatusCode != 429 {
		t.Fatalf("after a reload: %d, want the exhausted bucket to stay exhausted (429)", resp.StatusCode)
	}
}

// TestShutdownDrains: a request in flight when shutdown starts completes.
func TestShutdownDrains(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "finished")
	}))
	defer up.Close()
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	type result struct {
		code int
		body string
	}
	done := make(chan result)
	go func() {
		resp, body := ts.do(t, "GET", "/healthz", nil)
		done <- result{resp.StatusCode, body}
	}()
	time.Sleep(200 * time.Millisecond) // the request is now waiting on the upstream
	shut := make(chan error)
	go func() { shut <- ts.Shutdown(context.Background()) }()
	time.Sleep(200 * time.Millisecond)
	close(release)
	if r := <-done; r.code != 200 || r.body != "finished" {
		t.Fatalf("in-flight request during shutdown: %d %q", r.code, r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestAuthorizerReturnsLogIdentity: the authorizer returns the identity as
// the policy's log may record it, for gateways that write the log.
func TestAuthorizerReturnsLogIdentity(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		cfg.AccessLog.Redact = append(cfg.AccessLog.Redact, config.Redaction{Kind: "field", Name: "identity", Mode: "hash"})
		return cfg, nil
	})
	base := startAuthorizer(t, ts)
	r := authorize(t, base, "GET", "/authorize", map[string]string{"X-Original-URI": "/orders", "X-Original-Method": "GET", "X-API-Key": apiKey})
	got := r.Header.Get("X-Rampart-Log-Identity")
	if r.StatusCode != 200 || !strings.HasPrefix(got, "hmac-sha256:") || strings.Contains(got, "acme") {
		t.Fatalf("status %d, log identity %q: want a keyed hash, not the subject", r.StatusCode, got)
	}
}
