package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// TestTLS10Found: an endpoint that accepts TLS 1.0 and 1.1 on a listener
// whose policy allows 1.2–1.3 yields one unexpected, weakening finding
// for each.
func TestTLS10Found(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS13}
	srv.StartTLS()
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	p := &ir.Policy{Name: "t", Listeners: []*ir.Listener{{Name: "public", Port: port, Hosts: []string{"example.com"},
		TLS: &ir.TLS{MinVersion: "1.2", MaxVersion: "1.3", Ciphers: []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"}}}}}
	r, err := Run(context.Background(), p, Options{URL: srv.URL, Timeout: 20 * time.Second, SkipRateLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		if f.Control == ir.CtlTLS && f.Direction == drift.Unexpected && f.Severity == drift.Weakening {
			got = append(got, f.Actual)
		}
	}
	if s := strings.Join(got, " "); !strings.Contains(s, "1.0") || !strings.Contains(s, "1.1") {
		t.Errorf("TLS 1.0 and 1.1 accepted, found %q; findings %+v", s, r.Findings)
	}
}
