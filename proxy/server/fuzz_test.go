package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/rampart-policy/rampart/proxy/config"
)

// FuzzRequest sends arbitrary paths and header values through the whole
// pipeline, with or without the consumer's valid API key: nothing panics,
// and whatever reaches the upstream is a clean path the client may reach
// (/healthz, /files and below, or /orders with the key) with the client's
// X-Rampart-* headers replaced by the proxy's own. Each path is also sent
// below /files/, since a mutated path rarely names a declared route and
// would end at 404 before any check on what was forwarded.
func FuzzRequest(f *testing.F) {
	f.Add("/healthz", "x", "X-Rampart-Subject", false)
	f.Add("/orders/../admin", "\xff", "Transfer-Encoding", false)
	f.Add("/orders%2f..", "a\r\nb", "X-API-Key", false)
	f.Add("/orders", "root", "X-Rampart-Subject", true)
	f.Add("/orders/./", "admin", "X-Rampart-Roles", true)
	f.Add("/orders/x/..", "x", "X-Api-Key", true)
	f.Add("/files/a/b.txt", "orders/list", "X-Rampart-Route", false)
	f.Add("/files/%2e%2e/orders", "x", "X-Forwarded-For", true)
	f.Add("/files/a%2fb", "x", "x-rampart-subject", false)
	fp := newFuzzProxy(f)
	f.Fuzz(func(t *testing.T, rawPath, value, header string, key bool) {
		fp.request(t, rawPath, value, header, key)
		fp.request(t, "/files/"+strings.TrimPrefix(rawPath, "/"), value, header, key)
	})
}

// TestFuzzRequestForwards keeps FuzzRequest meaningful: its plain seeds
// reach the upstream, or no input would reach the forwarded-request checks.
func TestFuzzRequestForwards(t *testing.T) {
	fp := newFuzzProxy(t)
	for _, c := range []struct {
		path string
		key  bool
	}{{"/healthz", false}, {"/orders", true}, {"/files/a/b.txt", false}} {
		if !fp.request(t, c.path, "x", "X-Rampart-Subject", c.key) {
			t.Errorf("GET %s (key %v) was not forwarded", c.path, c.key)
		}
	}
}

// fuzzProxy is FuzzRequest's proxy and what its upstream saw last. The
// proxy runs testConfig without its rate limit (which would refuse all but
// the first few keyed requests) and with a public prefix route /files, so
// that most paths the fuzzer makes are forwarded, not refused.
type fuzzProxy struct {
	s  *Server
	mu sync.Mutex
	// path, subject, roles and route are the last forwarded request's
	// escaped path and X-Rampart-Subject, -Roles and -Route headers.
	path, subject, roles, route string
}

// newFuzzProxy starts the upstream and builds the proxy.
func newFuzzProxy(tb testing.TB) *fuzzProxy {
	fp := &fuzzProxy{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		fp.path, fp.subject = r.URL.EscapedPath(), r.Header.Get("X-Rampart-Subject")
		fp.roles, fp.route = r.Header.Get("X-Rampart-Roles"), r.Header.Get("X-Rampart-Route")
		fp.mu.Unlock()
	}))
	tb.Cleanup(up.Close)
	load := func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		cfg.Routes[0].RateLimits = nil
		cfg.Routes = append(cfg.Routes, config.Route{ID: "files/get", Listeners: []string{"web"}, Upstream: "orders",
			Path: "/files", Prefix: true, Methods: []string{"GET"}, Public: true, AccessLog: true})
		return cfg, nil
	}
	s, err := New(Options{Load: load, AdminAddr: "off", AccessLog: discard{}})
	if err != nil {
		tb.Fatal(err)
	}
	fp.s = s
	return fp
}

// request sends GET rawPath with header set to value (and the valid API
// key if key) and checks what the upstream saw. It reports whether the
// request was forwarded, so that the checks on it ran.
func (fp *fuzzProxy) request(t *testing.T, rawPath, value, header string, key bool) bool {
	t.Helper()
	u, err := url.ParseRequestURI(rawPath)
	if err != nil {
		return false
	}
	r := httptest.NewRequest("GET", "http://api.example.com/", nil)
	r.URL, r.RequestURI = u, u.RequestURI()
	if hk := http.CanonicalHeaderKey(header); header != "" && !strings.ContainsAny(header, " :\r\n") {
		r.Header.Set(hk, value)
	}
	if key {
		r.Header.Set("X-API-Key", apiKey)
	}
	fp.mu.Lock()
	fp.path, fp.subject, fp.roles, fp.route = "", "", "", ""
	fp.mu.Unlock()
	w := httptest.NewRecorder()
	fp.s.handle("web", w, r)
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.path == "" {
		return false
	}
	p, _ := url.PathUnescape(fp.path)
	reachable := []string{"/healthz", "/healthz/", "/files"}
	if key {
		reachable = append(reachable, "/orders", "/orders/")
	}
	dot := slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return s == "." || s == ".." })
	if w.Code != 200 || !utf8.ValidString(p) || dot || strings.Contains(strings.ToLower(fp.path), "%2f") ||
		(!slices.Contains(reachable, p) && !strings.HasPrefix(p, "/files/")) {
		t.Fatalf("forwarded %q (status %d, key %v)", fp.path, w.Code, key)
	}
	subject, roles := "", ""
	if fp.route == "orders/list" {
		subject, roles = "acme", "reader"
	}
	if fp.subject != subject || fp.roles != roles {
		t.Fatalf("route %q reached the upstream as subject %q, roles %q; want %q, %q", fp.route, fp.subject, fp.roles, subject, roles)
	}
	return true
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
