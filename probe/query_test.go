package probe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
)

const queryKey = "probe-secret-query-key"

// queryKeyPolicy has one plain listener and one route whose rules allow
// only role admin, behind an API key sent as the query parameter api_key;
// the probe's key belongs to a reader.
func queryKeyPolicy(port int) *ir.Policy {
	sum := sha256.Sum256([]byte(queryKey))
	return &ir.Policy{
		Name:      "q",
		Listeners: []*ir.Listener{{Name: "public", Port: port}},
		Providers: []*ir.Provider{{Name: "keys", Kind: ir.KindAPIKey, APIKey: &ir.APIKey{In: "query", Name: "api_key",
			Consumers: []*ir.Consumer{{Name: "reader", KeyHash: "sha256:" + hex.EncodeToString(sum[:]), Roles: []string{"reader"}}}}}},
		Services: []*ir.Service{{Name: "s", Listeners: []string{"public"}, Routes: []*ir.Route{{
			Name: "items", ID: "s/items", Service: "s", Path: "/items", Methods: []string{"GET"},
			Providers: []string{"keys"}, Rules: []ir.Rule{{Roles: []string{"admin"}}}}}}},
	}
}

// TestRoleCheckQueryKey: a query-parameter API key is sent as a query
// parameter of the route's path (not escaped into the path), and the
// 403 the gateway answers passes the check.
func TestRoleCheckQueryKey(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" ?"+r.URL.RawQuery)
		mu.Unlock()
		switch {
		case r.URL.Path != "/items":
			http.NotFound(w, r)
		case r.URL.Query().Get("api_key") == queryKey:
			w.WriteHeader(http.StatusForbidden)
		case r.Method != http.MethodGet:
			w.WriteHeader(http.StatusMethodNotAllowed)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r, err := Run(context.Background(), queryKeyPolicy(port), Options{URL: srv.URL, APIKey: queryKey, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	role := false
	for _, c := range r.Checks {
		role = role || strings.Contains(c.Name, "answered 403")
	}
	if r.Drifted() || !role {
		t.Errorf("role check made %v; findings %+v; requests %q", role, r.Findings, seen)
	}
}

// TestProbeErrorHidesQueryKey: when the request carrying the key fails,
// the failure (a finding) does not print the key.
func TestProbeErrorHidesQueryKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery+r.URL.Path, queryKey) || strings.Contains(r.URL.EscapedPath(), "api_key") {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r, err := Run(context.Background(), queryKeyPolicy(port), Options{URL: srv.URL, APIKey: queryKey, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(r)
	if !r.Drifted() || strings.Contains(string(out), queryKey) {
		t.Errorf("want the failed request reported without the API key: %s", out)
	}
}

// TestRequestFailureIsFinding: a gateway that drops the connection on
// one probe (here the undeclared method) yields a weakening finding for
// that check, and the other checks still run and are reported; the
// probe's key is not in the finding.
func TestRequestFailureIsFinding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete:
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		case r.URL.Query().Get("api_key") == queryKey:
			w.WriteHeader(http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r, err := Run(context.Background(), queryKeyPolicy(port), Options{URL: srv.URL, APIKey: queryKey, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("a failed request ended the probe: %v", err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Control != ir.CtlMethods || r.Findings[0].Severity != "weakening" ||
		strings.Contains(r.Findings[0].Actual+r.Findings[0].Message, queryKey) {
		t.Errorf("want one methods weakening without the key, got %+v", r.Findings)
	}
	if len(r.Checks) < 3 {
		t.Errorf("other checks not reported: %+v", r.Checks)
	}
}
