package nginx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// nginxBinary is the nginx the tests run; RAMPART_NGINX overrides it.
func nginxBinary(t testing.TB) string {
	if p := os.Getenv("RAMPART_NGINX"); p != "" {
		return p
	}
	p, err := exec.LookPath("nginx")
	if err != nil {
		p = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("nginx is required (Debian package nginx-light or nginx-core): %v", err)
	}
	return p
}

// certs are throwaway PEM files: a CA and a leaf it signed.
type certs struct{ dir, ca, cert, key string }

var (
	certsOnce sync.Once
	certsVal  certs
	certsErr  error
)

// testCerts generates the certificates once per test binary.
func testCerts(t testing.TB) certs {
	certsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-nginx-certs")
		if err != nil {
			certsErr = err
			return
		}
		certsVal, certsErr = writeCerts(dir)
	})
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certsVal
}

func writeCerts(dir string) (certs, error) {
	c := certs{dir: dir, ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "leaf.pem"), key: filepath.Join(dir, "leaf.key")}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rampart test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return c, err
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		return c, err
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	for path, b := range map[string]*pem.Block{c.ca: {Type: "CERTIFICATE", Bytes: caDER},
		c.cert: {Type: "CERTIFICATE", Bytes: leafDER}, c.key: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			return c, err
		}
	}
	return c, nil
}

// localise points every file and host of p at the test machine: the
// throwaway certificates, a log in dir, and upstreams on localhost
// (nginx resolves upstream names when it loads the config).
func localise(p *ir.Policy, c certs, dir string) {
	for _, l := range p.Listeners {
		if l.TLS == nil {
			continue
		}
		l.TLS.CertFile, l.TLS.KeyFile = c.cert, c.key
		if l.TLS.ClientAuth != nil {
			l.TLS.ClientAuth.CAFile = c.ca
		}
	}
	for _, s := range p.Services {
		if u, err := url.Parse(s.UpstreamURL); err == nil && u.Host != "" {
			u.Host = "localhost"
			if port := u.Port(); port != "" {
				u.Host = "localhost:" + port
			}
			s.UpstreamURL = u.String()
		}
		if tl := s.UpstreamTLS; tl != nil {
			if tl.CAFile != "" {
				tl.CAFile = c.ca
			}
			if tl.CertFile != "" {
				tl.CertFile, tl.KeyFile = c.cert, c.key
			}
		}
	}
	switch p.Logging.Sink {
	case "file":
		p.Logging.SinkTarget = filepath.Join(dir, "access.log")
	case "syslog":
		p.Logging.SinkTarget = "localhost:514"
	}
}

// nginxTest builds a localised copy of p and runs nginx -t on it.
func nginxTest(t testing.TB, p *ir.Policy) {
	t.Helper()
	dir := t.TempDir()
	localise(p, testCerts(t), dir)
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatalf("build of localised IR: %v", err)
	}
	nginxCheck(t, dir, arts[0].Data)
}

// nginxCheck writes conf into dir and runs nginx -t -p dir -c dir/nginx.conf.
func nginxCheck(t testing.TB, dir string, conf []byte) {
	t.Helper()
	path := filepath.Join(dir, nginx.ConfigFile)
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginxBinary(t), "-t", "-q", "-p", dir, "-c", path, "-g", "pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nginx -t failed: %v\n%s\n--- config ---\n%s", err, out, conf)
	}
}

// TestMain removes the throwaway certificates after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if certsVal.dir != "" {
		os.RemoveAll(certsVal.dir)
	}
	os.Exit(code)
}
