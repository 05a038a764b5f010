package nginx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/internal/livetest"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// TestSubjectsRealNginx runs the mtls fixture on a real nginx with
// subjects whose RFC 2253 printing differs from their text (comma, "=",
// leading "#" and space, trailing space, non-ASCII, quotes and angle
// brackets) and sends a client certificate per subject: each listed
// subject is let through, and certificates whose CN is only close to one
// (a prefix, a suffix, the unescaped form in another field) get 403.
func TestSubjectsRealNginx(t *testing.T) {
	allowed := []string{"billing, Inc.", "a=b", "#hash", " lead", "trail ", "José", "日本", `q"u<o>t;e+p\s`, "ledger"}
	denied := []string{"billing", "a=bc", "hash", "lead", "trail", "Jos", "日本語", "xledger", "ledger,"}

	p := readIR(t, "testdata/mtls.ir.yaml")
	dir := t.TempDir()
	livetest.Localise(t, p, livetest.NewCerts(t, dir), dir)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(upstream.Close)
	s := p.Services[0]
	s.UpstreamURL, s.UpstreamTLS = upstream.URL, nil
	l := p.Listeners[0]
	ca := newClientCA(t, dir)
	l.TLS.ClientAuth.CAFile, l.TLS.ClientAuth.Required, l.TLS.ClientAuth.Subjects = ca.file, true, allowed
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", l.Port)
	livetest.StartNginx(t, arts[0].Data, addr)

	status := func(cn string) int {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			ServerName: "a.m2m.example.com", InsecureSkipVerify: true, // the server's certificate is not what is tested
			Certificates: []tls.Certificate{ca.leaf(t, cn)}}}}
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/entries", strings.NewReader("{}"))
		req.Host = "a.m2m.example.com"
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("CN %q: %v", cn, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, cn := range allowed {
		if got := status(cn); got != http.StatusOK {
			t.Errorf("listed subject CN %q: status %d, want 200", cn, got)
		}
	}
	for _, cn := range denied {
		if got := status(cn); got != http.StatusForbidden {
			t.Errorf("unlisted subject CN %q: status %d, want 403", cn, got)
		}
	}
}

// clientCA signs client certificates for the test.
type clientCA struct {
	file string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newClientCA(t *testing.T, dir string) clientCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clients CA", Organization: []string{"CN=ledger, x"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(dir, "clients-ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return clientCA{file: file, cert: cert, key: key}
}

// leaf is a client certificate for cn whose organisation holds the text
// "CN=ledger" unescaped by the issuer, so a match on the printed DN
// must not take a value inside another attribute for the CN.
func (ca clientCA) leaf(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn, Organization: []string{"x,CN=ledger"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
