package server

// Security review tests. Each TestReview* encodes the fail-closed behaviour
// the proxy should have; a failing test demonstrates a real problem.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// recordingUpstream remembers the last request it saw and answers with
// whatever extra response headers the test asks for.
type recordingUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	hits    int
	path    string // escaped, as received
	method  string
	headers http.Header
	respHdr http.Header
}

func newRecordingUpstream(t *testing.T, respHdr http.Header) *recordingUpstream {
	t.Helper()
	u := &recordingUpstream{respHdr: respHdr}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.hits++
		u.path, u.method, u.headers = r.URL.EscapedPath(), r.Method, r.Header.Clone()
		u.mu.Unlock()
		for k, vs := range respHdr {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if o := r.Header.Get("Origin"); o != "" && respHdr.Get("X-Reflect-Origin") != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		io.WriteString(w, "upstream body")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *recordingUpstream) last() (hits int, method, path string, h http.Header) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits, u.method, u.path, u.headers
}

// reviewConfig is testConfig plus a public static prefix and a public
// catch-all, the shapes where path confusion matters.
func reviewConfig(upstreamURL string) *config.Config {
	cfg := testConfig(upstreamURL)
	hdrs := cfg.Routes[0].Headers
	cfg.Routes = append(cfg.Routes,
		config.Route{ID: "orders/static", Listeners: []string{"web"}, Upstream: "orders", Path: "/static", Prefix: true,
			Methods: []string{"GET"}, Public: true, Headers: hdrs, AccessLog: true},
		config.Route{ID: "orders/site", Listeners: []string{"web"}, Upstream: "orders", Path: "/", Prefix: true,
			Methods: []string{"GET"}, Public: true, Headers: hdrs, AccessLog: true},
	)
	return cfg
}

func startAuthorizer(t *testing.T, ts *testServer) string {
	t.Helper()
	if err := ts.StartAuthorizer("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return "http://" + ts.Addr("authorizer")
}

func authorize(t *testing.T, base, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// The proxy refuses dot segments, encoded slashes and "//" (badRequest),
// but the authorizer hands the raw X-Original-URI / Envoy path straight to
// the engine. nginx's $request_uri and Envoy (normalize_path off by
// default) forward the un-normalised path to the upstream, which resolves
// "/static/../admin" to "/admin": an unauthenticated caller reaches a
// route that requires the admin role.
func TestReviewAuthorizerPathNormalisationBypass(t *testing.T) {
	up := upstreamServer(t)
	cfg := testConfig(up.URL)
	cfg.Routes = append(cfg.Routes, config.Route{ID: "orders/static", Listeners: []string{"web"}, Upstream: "orders",
		Path: "/static", Prefix: true, Methods: []string{"GET"}, Public: true, AccessLog: true})
	ts := startServer(t, func() (*config.Config, error) { return cfg, nil })
	base := startAuthorizer(t, ts)

	// Sanity: the same paths are refused by the proxy itself.
	if line := rawRequest(t, ts.Addr("web"), "GET /static/../admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Fatalf("proxy: %q, want 400", line)
	}
	cases := []struct {
		name, path string
		hdr        map[string]string
	}{
		{"nginx dot segments", "/authorize", map[string]string{"X-Original-URI": "/static/../admin", "X-Original-Method": "GET"}},
		{"nginx encoded dots", "/authorize", map[string]string{"X-Original-URI": "/static/%2e%2e/admin", "X-Original-Method": "GET"}},
		{"nginx encoded slash", "/authorize", map[string]string{"X-Original-URI": "/static/..%2fadmin", "X-Original-Method": "GET"}},
		{"nginx double slash", "/authorize", map[string]string{"X-Original-URI": "/static//../admin", "X-Original-Method": "GET"}},
		{"envoy dot segments", "/authorize/static/../admin", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := authorize(t, base, "GET", c.path, c.hdr)
			if r.StatusCode == http.StatusOK {
				t.Fatalf("authorizer allowed an unauthenticated request whose path resolves to /admin (route %q)",
					r.Header.Get("X-Rampart-Route"))
			}
		})
	}
}

// The authorizer answers a CORS preflight with 200. With nginx
// auth_request or Envoy ext_authz a 200 means "forward to the upstream",
// so any OPTIONS request carrying Access-Control-Request-Method reaches the
// upstream unauthenticated, unthrottled, and with a method the route does
// not even declare. Upstream handlers that ignore the method (common) serve
// their GET response to it.
func TestReviewAuthorizerPreflightForwardsUnauthenticated(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	base := startAuthorizer(t, ts)
	for name, c := range map[string]struct {
		path string
		hdr  map[string]string
	}{
		"nginx": {"/authorize", map[string]string{"X-Original-URI": "/orders", "X-Original-Method": "OPTIONS", "Access-Control-Request-Method": "GET"}},
		"envoy": {"/authorize/orders", map[string]string{"Access-Control-Request-Method": "GET"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := authorize(t, base, "OPTIONS", c.path, c.hdr)
			if r.StatusCode == http.StatusOK {
				t.Fatalf("authorizer allowed an unauthenticated OPTIONS to /orders (route %s has no OPTIONS method and needs an API key)",
					r.Header.Get("X-Rampart-Route"))
			}
		})
	}
}

// httputil.ReverseProxy deletes every header the client names in
// Connection, after forward() has set the identity headers. A client can
// make the upstream receive a request on an authenticated route without
// X-Rampart-Subject/Roles/Route, i.e. with an identity other than the one
// rampart established.
func TestReviewConnectionHeaderStripsIdentity(t *testing.T) {
	up := newRecordingUpstream(t, nil)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey,
		"Connection", "keep-alive, X-Rampart-Subject, X-Rampart-Roles, X-Rampart-Route")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, _, _, h := up.last()
	if h.Get("X-Rampart-Subject") != "acme" || h.Get("X-Rampart-Roles") != "reader" || h.Get("X-Rampart-Route") != "orders/list" {
		t.Errorf("upstream got subject=%q roles=%q route=%q; want acme/reader/orders/list",
			h.Get("X-Rampart-Subject"), h.Get("X-Rampart-Roles"), h.Get("X-Rampart-Route"))
	}
	// The same trick removes a header after rampart validated it: the
	// route only admits application/json, the upstream gets an untyped body.
	resp, _ = ts.do(t, "POST", "/orders", strings.NewReader("{}"), "X-API-Key", apiKey,
		"Content-Type", "application/json", "Connection", "Content-Type")
	_, _, _, h = up.last()
	if resp.StatusCode == 200 && h.Get("Content-Type") != "application/json" {
		t.Errorf("content-type control passed, upstream received Content-Type %q", h.Get("Content-Type"))
	}
}

// forward() strips only names starting "x-rampart-". CGI/WSGI/Rack/PHP
// style upstreams map both "X-Rampart-Subject" and "X_Rampart_Subject" to
// HTTP_X_RAMPART_SUBJECT, so the underscore spelling is a spoofed identity
// (on public routes nothing competes with it).
func TestReviewUnderscoreIdentityHeaderForwarded(t *testing.T) {
	up := newRecordingUpstream(t, nil)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	resp, _ := ts.do(t, "GET", "/healthz", nil, "X_Rampart_Subject", "root", "X_Rampart_Roles", "admin")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, _, _, h := up.last()
	for k := range h {
		if strings.Contains(k, "_") && strings.HasPrefix(strings.ToLower(strings.ReplaceAll(k, "_", "-")), "x-rampart-") {
			t.Errorf("upstream received client-controlled identity header %q: %q", k, h[k])
		}
	}
}

// Go routes on r.URL.Path verbatim; ";" path parameters and case variants
// are forwarded as sent. Tomcat/Spring/Jetty strip ";..." (and treat "..;"
// as ".."), and case-insensitive upstreams (IIS/ASP.NET, some Spring
// configs) fold case, so these reach the admin handler through a public
// route.
func TestReviewPathParameterConfusion(t *testing.T) {
	up := newRecordingUpstream(t, nil)
	ts := startServer(t, func() (*config.Config, error) { return reviewConfig(up.URL), nil })
	for _, p := range []string{"/static/..;/admin", "/admin;jsessionid=x", "/admin;/", "/ADMIN"} {
		t.Run(p, func(t *testing.T) {
			before, _, _, _ := up.last()
			line := rawRequest(t, ts.Addr("web"), "GET "+p+" HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
			after, _, got, _ := up.last()
			if after > before {
				t.Fatalf("%q answered %q and was forwarded unauthenticated to the upstream as %q (the admin route needs role admin)", p, line, got)
			}
		})
	}
}

// Rampart applies the route's CORS policy but passes the upstream's own
// CORS headers through, so an origin the policy refuses still gets
// Access-Control-Allow-Origin (+ credentials) from a permissive upstream.
func TestReviewUpstreamCORSHeadersBypassPolicy(t *testing.T) {
	up := newRecordingUpstream(t, http.Header{"X-Reflect-Origin": {"1"}})
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	resp, _ := ts.do(t, "GET", "/orders", nil, "X-API-Key", apiKey, "Origin", "https://evil.example")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if v := resp.Header.Values("Access-Control-Allow-Origin"); len(v) > 0 {
		t.Fatalf("origin refused by the route's CORS policy got Access-Control-Allow-Origin %q, credentials %q",
			v, resp.Header.Get("Access-Control-Allow-Credentials"))
	}
}

// SetXForwarded replaces X-Forwarded-*, but client-supplied X-Real-IP,
// True-Client-IP and similar reach the upstream untouched; upstreams (and
// the authorizer's own forwardedIP) commonly trust them.
func TestReviewClientIPHeadersForwarded(t *testing.T) {
	up := newRecordingUpstream(t, nil)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	ts.do(t, "GET", "/healthz", nil, "X-Real-IP", "203.0.113.66", "True-Client-IP", "203.0.113.66")
	_, _, _, h := up.last()
	for _, k := range []string{"X-Real-Ip", "True-Client-Ip"} {
		if v := h.Get(k); v == "203.0.113.66" {
			t.Errorf("upstream received spoofed %s %q", k, v)
		}
	}
}

// The admin listener checks no Host header, so a DNS-rebinding page in an
// operator's browser can read /config (policy, upstream URLs, Redis
// address, API-key SHA-256 hashes) from 127.0.0.1:9901.
func TestReviewAdminAnswersAnyHost(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) { return testConfig(up.URL), nil })
	req, _ := http.NewRequest("GET", "http://"+ts.Addr("admin")+"/config", nil)
	req.Host = "rebind.attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 && strings.Contains(string(b), "keyHash") {
		t.Fatalf("admin /config answered Host rebind.attacker.example with the config, including API-key hashes:\n%.300s", b)
	}
}

// proxy/config.Validate (the only check on `serve --config`) accepts
// configs that the compiler would refuse or that the proxy silently does
// not apply as written. Bad config must not serve.
func TestReviewConfigValidationGaps(t *testing.T) {
	up := upstreamServer(t)
	newServer := func(t *testing.T, cfg *config.Config, log io.Writer) (*Server, error) {
		s, err := New(Options{Load: func() (*config.Config, error) { return cfg, nil }, AdminAddr: "off",
			Addrs: map[string]string{"web": "127.0.0.1:0"}, AccessLog: log, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			ShutdownTimeout: time.Second})
		if err == nil {
			t.Cleanup(func() { s.Shutdown(context.Background()) })
		}
		return s, err
	}
	t.Run("CORS wildcard with credentials reflects any origin", func(t *testing.T) {
		cfg := testConfig(up.URL)
		cfg.Routes[0].CORS = &config.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET"}, AllowCredentials: true}
		s, err := newServer(t, cfg, discard{})
		if err != nil {
			return // refused: good
		}
		s.Start()
		req, _ := http.NewRequest("OPTIONS", "http://"+s.Addr("web")+"/orders", nil)
		req.Host = "api.example.com"
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Fatalf("config accepted; preflight from https://evil.example got Allow-Origin %q Allow-Credentials %q",
			resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Credentials"))
	})
	t.Run("API key in query logged in clear", func(t *testing.T) {
		cfg := testConfig(up.URL)
		cfg.Providers[0].APIKey.In, cfg.Providers[0].APIKey.Name = "query", "key"
		cfg.AccessLog.Redact = nil
		logs := &syncBuffer{}
		s, err := newServer(t, cfg, logs)
		if err != nil {
			return
		}
		s.Start()
		req, _ := http.NewRequest("GET", "http://"+s.Addr("web")+"/orders?key="+apiKey, nil)
		req.Host = "api.example.com"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if strings.Contains(logs.String(), apiKey) {
			t.Fatalf("config accepted and the access log holds the API key (status %d):\n%s", resp.StatusCode, logs.String())
		}
	})
	t.Run("authFailures key subject is ignored", func(t *testing.T) {
		cfg := testConfig(up.URL)
		cfg.AuthFailures = &config.AuthFailures{MaxAttempts: 3, WindowSeconds: 60, LockoutSeconds: 60, Key: "subject"}
		if _, err := newServer(t, cfg, discard{}); err == nil {
			t.Fatal(`authFailures.key "subject" accepted, but the engine always keys the throttle by client IP`)
		}
	})
	t.Run("unknown rate-limit key is never enforced", func(t *testing.T) {
		cfg := testConfig(up.URL)
		cfg.Routes[2].RateLimits = []config.RateLimit{{Name: "typo", RatePerSecond: 0.001, Burst: 0, Key: "IP"}}
		if _, err := newServer(t, cfg, discard{}); err == nil {
			t.Fatal(`rate limit with key "IP" accepted; clientLimits/subjectLimits select neither, so it is never applied`)
		}
	})
}

// Reload swaps the state but listener http.Servers keep the
// ReadHeaderTimeout/IdleTimeout/MaxHeaderBytes computed at Start, and
// Reload reports success. A reload that tightens the slowloris bound does
// not take effect.
func TestReviewReloadIgnoresListenerTimeouts(t *testing.T) {
	up := upstreamServer(t)
	tight := testConfig(up.URL)
	for i := range tight.Routes {
		tight.Routes[i].Limits.HeaderTimeoutSeconds = 1
	}
	stillOpen := func(t *testing.T, addr string) bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: api.example.com\r\n") // never finished
		time.Sleep(2500 * time.Millisecond)
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err = bufio.NewReader(c).ReadByte()
		ne, ok := err.(net.Error)
		return ok && ne.Timeout()
	}
	t.Run("control: configured at start", func(t *testing.T) {
		ts := startServer(t, func() (*config.Config, error) { return tight, nil })
		if stillOpen(t, ts.Addr("web")) {
			t.Fatal("headerTimeoutSeconds=1 from the start did not close the connection")
		}
	})
	t.Run("after reload", func(t *testing.T) {
		// Per-connection settings cannot change under a running listener:
		// the reload must be refused (and say so), never report success
		// while the old timeout stays in force.
		var mu sync.Mutex
		cfg := testConfig(up.URL)
		ts := startServer(t, func() (*config.Config, error) { mu.Lock(); defer mu.Unlock(); return cfg, nil })
		mu.Lock()
		cfg = tight
		mu.Unlock()
		err := ts.Reload()
		if err == nil {
			if stillOpen(t, ts.Addr("web")) {
				t.Fatal("2.5 s after a reload that set headerTimeoutSeconds=1 (Reload returned nil) the half-sent request's connection is still open")
			}
			return
		}
		if !strings.Contains(err.Error(), "restart") {
			t.Fatalf("reload refused without saying a restart applies it: %v", err)
		}
		if resp, _ := ts.do(t, "GET", "/healthz", nil); resp.StatusCode != 200 {
			t.Fatalf("after the refused reload the old config stopped serving: %d", resp.StatusCode)
		}
	})
}

// The plaintext redirect port sends any Host to https://<that host>: an
// open redirect that ignores the listener's host list.
func TestReviewRedirectIgnoresHostList(t *testing.T) {
	up := upstreamServer(t)
	cfg := testConfig(up.URL)
	cfg.Listeners[0].RedirectPort = 8081
	s, err := New(Options{Load: func() (*config.Config, error) { return cfg, nil }, AdminAddr: "off",
		Addrs:     map[string]string{"web": "127.0.0.1:0", "web-redirect": "127.0.0.1:0"},
		AccessLog: discard{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	req, _ := http.NewRequest("GET", "http://"+s.Addr("web-redirect")+"/x", nil)
	req.Host = "evil.example.org"
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "evil.example.org") {
		t.Fatalf("redirect listener sent an undeclared host to %q", loc)
	}
}

// reviewCA is a throwaway CA that can sign client certificates.
type reviewCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newReviewCA(t *testing.T, name string) *reviewCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), name+".pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return &reviewCA{cert: cert, key: key, file: file}
}

func (ca *reviewCA) client(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Guard (passes today): after a reload removes a client CA, a TLS 1.3
// session ticket issued under the old CA must not resume. Session tickets
// are sealed with the outer tls.Config's keys, which survive reloads, so
// this relies on crypto/tls (Go >= 1.24) re-verifying the stored chain
// against the new ClientCAs on resumption. Keep it if the Go toolchain is
// ever pinned lower.
func TestReviewClientCARemovalHonouredOnResumption(t *testing.T) {
	up := upstreamServer(t)
	caA, caB := newReviewCA(t, "ca-a"), newReviewCA(t, "ca-b")
	cert, key := writeCert(t, t.TempDir(), "api.example.com")
	var mu sync.Mutex
	ca := caA.file
	ts := startServer(t, func() (*config.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		cfg := testConfig(up.URL)
		tc := intermediate
		tc.CertFile, tc.KeyFile = cert, key
		tc.ClientAuth = &config.ClientAuth{Required: true, CAFile: ca}
		cfg.Listeners[0].TLS = &tc
		return cfg, nil
	})
	clientCert := caA.client(t, "svc-a")
	cache := tls.NewLRUClientSessionCache(8)
	get := func(cc *tls.Config) (resumed bool, status string, err error) {
		c, err := tls.Dial("tcp", ts.Addr("web"), cc)
		if err != nil {
			return false, "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		return c.ConnectionState().DidResume, strings.TrimSpace(line), err
	}
	cc := &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{clientCert}, ClientSessionCache: cache,
		MinVersion: tls.VersionTLS13}
	if _, status, err := get(cc); err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("first request: %q %v", status, err)
	}
	if r, status, err := get(cc); !r || err != nil {
		t.Fatalf("control: second connection before the reload did not resume: %q %v", status, err)
	}
	mu.Lock()
	ca = caB.file // the operator revokes trust in CA A
	mu.Unlock()
	if err := ts.Reload(); err != nil {
		t.Fatal(err)
	}
	fresh := &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{clientCert}, MinVersion: tls.VersionTLS13}
	if _, status, err := get(fresh); err == nil && strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("control: a full handshake with a CA-A certificate still succeeds after the reload")
	}
	resumed, status, err := get(cc)
	if err == nil && strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("after removing CA A by reload, a resumed session (DidResume=%v) with the CA-A certificate still gets %q", resumed, status)
	}
}

// forwardedIP believes the FIRST X-Forwarded-For entry. Gateways append
// the real peer (nginx $proxy_add_x_forwarded_for, Envoy), so the first
// entry is whatever the client sent: rotating it defeats the auth-failure
// throttle (and IP rate limits) behind the authorizer.
func TestReviewAuthorizerThrottleKeyFromClientXFF(t *testing.T) {
	up := upstreamServer(t)
	cfg := testConfig(up.URL)
	cfg.AuthFailures = &config.AuthFailures{MaxAttempts: 2, WindowSeconds: 600, LockoutSeconds: 600, Key: "ip"}
	ts := startServer(t, func() (*config.Config, error) { return cfg, nil })
	base := startAuthorizer(t, ts)
	var last int
	for i := 0; i < 6; i++ {
		r := authorize(t, base, "GET", "/authorize", map[string]string{"X-Original-URI": "/orders", "X-Original-Method": "GET",
			"X-API-Key": "guess-" + strconv.Itoa(i),
			// client-supplied entry first, gateway-appended real client last
			"X-Forwarded-For": "198.51.100." + strconv.Itoa(i) + ", 192.0.2.10"})
		last = r.StatusCode
	}
	if last != http.StatusForbidden && last != http.StatusTooManyRequests {
		t.Fatalf("6 failed attempts from real client 192.0.2.10 (maxAttempts 2): last answer %d, want throttled", last)
	}
}
