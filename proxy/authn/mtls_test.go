package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// client issues a client certificate for cn, with DNS and URI SANs.
func (ca *testCA) client(t *testing.T, cn string, dns []string, uris ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames: dns,
	}
	for _, u := range uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsServer serves a's verdict over TLS with the given client auth and
// client CA (none if ca is nil): "ok <subject> <roles>", "nocreds",
// "fail <reason>" or "error".
func mtlsServer(t *testing.T, a Authenticator, ca *testCA, auth tls.ClientAuthType) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r.Context(), r)
		switch {
		case err == nil:
			fmt.Fprintf(w, "ok %s %s", p.Subject, strings.Join(p.Roles, ","))
		case errors.Is(err, ErrNoCredentials):
			fmt.Fprint(w, "nocreds")
		case failureReason(err) != "":
			fmt.Fprintf(w, "fail %s", failureReason(err))
		default:
			fmt.Fprint(w, "error")
		}
	}))
	srv.TLS = &tls.Config{ClientAuth: auth, MinVersion: tls.VersionTLS12}
	if ca != nil {
		srv.TLS.ClientCAs = x509.NewCertPool()
		srv.TLS.ClientCAs.AddCert(ca.cert)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// getWith GETs srv presenting cert (none if cert is nil) and returns the
// body.
func getWith(t *testing.T, srv *httptest.Server, cert *tls.Certificate) string {
	t.Helper()
	c := srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	c.Transport = tr
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newTestMTLS(t *testing.T, from string) Authenticator {
	t.Helper()
	a, err := New(config.Provider{Name: "certs", MTLS: &config.MTLS{SubjectFrom: from, Principals: []config.Principal{
		{Subject: "billing-svc", Roles: []string{"billing"}},
		{Subject: "billing.internal.example", Roles: []string{"billing-dns"}},
		{Subject: "spiffe://example.org/ns/prod/sa/billing", Roles: []string{"billing-spiffe"}},
	}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMTLSSubjects(t *testing.T) {
	ca := newTestCA(t, "test CA")
	good := ca.client(t, "billing-svc", []string{"billing.internal.example", "other.example"},
		"spiffe://example.org/ns/prod/sa/billing")
	stranger := ca.client(t, "stranger", []string{"stranger.example"}, "spiffe://example.org/ns/prod/sa/stranger")
	bare := ca.client(t, "", nil)
	tests := []struct {
		from string
		cert tls.Certificate
		want string
	}{
		{"cn", good, "ok billing-svc billing"},
		{"san-dns", good, "ok billing.internal.example billing-dns"},
		{"san-uri", good, "ok spiffe://example.org/ns/prod/sa/billing billing-spiffe"},
		{"cn", stranger, "fail certificate subject not authorised"},
		{"san-dns", stranger, "fail certificate subject not authorised"},
		{"san-uri", stranger, "fail certificate subject not authorised"},
		{"cn", bare, "fail certificate has no cn subject"},
		{"san-dns", bare, "fail certificate has no san-dns subject"},
	}
	servers := map[string]*httptest.Server{}
	for _, tc := range tests {
		srv := servers[tc.from]
		if srv == nil {
			srv = mtlsServer(t, newTestMTLS(t, tc.from), ca, tls.RequireAndVerifyClientCert)
			servers[tc.from] = srv
		}
		if got := getWith(t, srv, &tc.cert); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.from, got, tc.want)
		}
	}
}

func TestMTLSOnlyVerifiedChains(t *testing.T) {
	ca, rogue := newTestCA(t, "test CA"), newTestCA(t, "rogue CA")
	a := newTestMTLS(t, "cn")
	// The listener asks for any certificate and does not verify it: the
	// rogue CA's certificate for an authorised name reaches the handler
	// (in PeerCertificates) and must not count.
	forged := rogue.client(t, "billing-svc", nil)
	requested := mtlsServer(t, a, nil, tls.RequestClientCert)
	if got := getWith(t, requested, &forged); got != "nocreds" {
		t.Errorf("unverified certificate: got %q, want nocreds", got)
	}
	optional := mtlsServer(t, a, ca, tls.VerifyClientCertIfGiven)
	if got := getWith(t, optional, nil); got != "nocreds" {
		t.Errorf("no certificate: got %q, want nocreds", got)
	}
	good := ca.client(t, "billing-svc", nil)
	if got := getWith(t, optional, &good); got != "ok billing-svc billing" {
		t.Errorf("verified certificate: got %q", got)
	}
	r := httptest.NewRequest(http.MethodGet, "http://plain.example/", nil)
	if _, err := a.Authenticate(context.Background(), r); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("plain HTTP: %v", err)
	}
}

func TestMTLSExpiredOnLongConnection(t *testing.T) {
	ca := newTestCA(t, "test CA")
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	a, err := New(config.Provider{Name: "certs", MTLS: &config.MTLS{SubjectFrom: "cn",
		Principals: []config.Principal{{Subject: "billing-svc"}}}}, Options{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsServer(t, a, ca, tls.RequireAndVerifyClientCert)
	cert := ca.client(t, "billing-svc", nil)
	if got := getWith(t, srv, &cert); got != "fail client certificate expired or not yet valid" {
		t.Errorf("got %q", got)
	}
}

func TestMTLSNewErrors(t *testing.T) {
	for _, c := range []config.MTLS{
		{SubjectFrom: "email"},
		{SubjectFrom: "cn", Principals: []config.Principal{{Subject: ""}}},
		{SubjectFrom: "cn", Principals: []config.Principal{{Subject: "a"}, {Subject: "a"}}},
	} {
		if _, err := New(config.Provider{Name: "certs", MTLS: &c}, Options{}); err == nil {
			t.Errorf("New accepted %+v", c)
		}
	}
}
