package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// intermediate is Mozilla's 6.0 intermediate profile as the goproxy
// target emits it.
var intermediate = config.TLS{MinVersion: "1.2", MaxVersion: "1.3",
	CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	Curves: []string{"X25519MLKEM768", "X25519", "prime256v1", "secp384r1"},
	HSTS:   "max-age=63072000; includeSubDomains"}

// writeCert writes a throwaway self-signed ECDSA certificate for host.
func writeCert(t *testing.T, dir, host string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// tlsServer serves testConfig on TLS with the intermediate profile.
func tlsServer(t *testing.T) *testServer {
	t.Helper()
	up := upstreamServer(t)
	cert, key := writeCert(t, t.TempDir(), "api.example.com")
	return startServer(t, func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		tc := intermediate
		tc.CertFile, tc.KeyFile = cert, key
		cfg.Listeners[0].TLS = &tc
		return cfg, nil
	})
}

func TestTLSVersionsAndHSTS(t *testing.T) {
	ts := tlsServer(t)
	addr := ts.Addr("web")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			c.Close()
			t.Errorf("TLS version %x accepted", v)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v, ServerName: "api.example.com"}}}
		req, _ := http.NewRequest("GET", "https://"+addr+"/healthz", nil)
		req.Host = "api.example.com"
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("TLS %x refused: %v", v, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != intermediate.HSTS {
			t.Errorf("TLS %x: %d, HSTS %q", v, resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
	}
}

// TestTestssl runs testssl.sh against rampart serve with Mozilla's
// intermediate profile: no protocol below TLS 1.2 and no weak cipher may
// be offered. CI installs testssl (Debian package testssl.sh); elsewhere
// the test is skipped when it is missing.
func TestTestssl(t *testing.T) {
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("testssl is not installed (apt-get install testssl.sh)")
		}
		t.Skip("testssl is not installed (apt-get install testssl.sh)")
	}
	if testing.Short() {
		t.Skip("testssl takes about 30 s")
	}
	ts := tlsServer(t)
	out := filepath.Join(t.TempDir(), "testssl.json")
	cmd := exec.Command(bin, "--quiet", "--color", "0", "--warnings", "off", "--sneaky", "-p", "-s", "-f",
		"--jsonfile", out, ts.Addr("web"))
	log, err := cmd.CombinedOutput()
	if _, statErr := os.Stat(out); statErr != nil {
		t.Fatalf("testssl produced no JSON (%v):\n%s", err, log)
	}
	var findings []struct{ ID, Severity, Finding string }
	data, _ := os.ReadFile(out)
	if err := json.Unmarshal(data, &findings); err != nil {
		t.Fatalf("testssl JSON: %v", err)
	}
	checked := 0
	for _, f := range findings {
		switch f.ID {
		case "SSLv2", "SSLv3", "TLS1", "TLS1_1":
			checked++
			if !strings.HasPrefix(f.Finding, "not offered") {
				t.Errorf("testssl: %s %s", f.ID, f.Finding)
			}
		case "TLS1_2", "TLS1_3":
			checked++
			if !strings.HasPrefix(f.Finding, "offered") {
				t.Errorf("testssl: %s %s", f.ID, f.Finding)
			}
		case "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_OBSOLETED", "cipherlist_AVERAGE":
			checked++
			if !strings.HasPrefix(f.Finding, "not offered") {
				t.Errorf("testssl: %s %s", f.ID, f.Finding)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("testssl reported only %d of the expected findings:\n%s", checked, log)
	}
	t.Logf("testssl summary:\n%s", summary(string(log)))
}

// summary keeps testssl's protocol and cipher-category lines.
func summary(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		for _, k := range []string{"SSLv2", "SSLv3", "TLS 1", "NULL ciphers", "Anonymous NULL", "Export ciphers", "LOW:", "Triple DES", "Obsoleted CBC", "Strong encryption", "Forward Secrecy"} {
			if strings.Contains(l, k) {
				keep = append(keep, strings.TrimSpace(l))
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

// TestCertificateReload: replacing the certificate files on disk changes
// what new handshakes see, without a restart.
func TestCertificateReload(t *testing.T) {
	up := upstreamServer(t)
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "api.example.com")
	ts := startServer(t, func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		tc := intermediate
		tc.CertFile, tc.KeyFile = cert, key
		cfg.Listeners[0].TLS = &tc
		return cfg, nil
	})
	serial := func() string {
		c, err := tls.Dial("tcp", ts.Addr("web"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	time.Sleep(10 * time.Millisecond)
	writeCert(t, dir, "api.example.com") // new serial, same paths
	deadline := time.Now().Add(3 * certPollInterval)
	for serial() == before {
		if time.Now().After(deadline) {
			t.Fatal("the new certificate was not picked up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAuthorizerMTLS: a gateway passes the client certificate it verified
// in X-Rampart-Client-Cert; the authorizer checks the chain against the
// listener's CA again, so only that CA's certificates authenticate.
func TestAuthorizerMTLS(t *testing.T) {
	up := upstreamServer(t)
	ca, other := newReviewCA(t, "lab-ca"), newReviewCA(t, "other-ca")
	cert, key := writeCert(t, t.TempDir(), "api.example.com")
	ts := startServer(t, func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		tc := intermediate
		tc.CertFile, tc.KeyFile = cert, key
		tc.ClientAuth = &config.ClientAuth{Required: true, CAFile: ca.file}
		cfg.Listeners[0].TLS = &tc
		cfg.Providers = append(cfg.Providers, config.Provider{Name: "lab", MTLS: &config.MTLS{SubjectFrom: "cn",
			Principals: []config.Principal{{Subject: "lab-bridge", Roles: []string{"admin"}}}}})
		cfg.Routes[1].Providers = []string{"lab"}
		return cfg, nil
	})
	base := startAuthorizer(t, ts)
	escaped := func(c tls.Certificate) string {
		return url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})))
	}
	for name, c := range map[string]struct {
		hdr  map[string]string
		want int
	}{
		"lab certificate":     {map[string]string{"X-Rampart-Client-Cert": escaped(ca.client(t, "lab-bridge"))}, 200},
		"unknown subject":     {map[string]string{"X-Rampart-Client-Cert": escaped(ca.client(t, "someone"))}, 401},
		"another CA":          {map[string]string{"X-Rampart-Client-Cert": escaped(other.client(t, "lab-bridge"))}, 401},
		"no certificate":      {nil, 401},
		"garbage certificate": {map[string]string{"X-Rampart-Client-Cert": "not-a-cert"}, 401},
	} {
		t.Run(name, func(t *testing.T) {
			hdr := map[string]string{"X-Original-URI": "/admin", "X-Original-Method": "GET"}
			for k, v := range c.hdr {
				hdr[k] = v
			}
			if r := authorize(t, base, "GET", "/authorize", hdr); r.StatusCode != c.want {
				t.Fatalf("status %d, want %d", r.StatusCode, c.want)
			}
		})
	}
}

// TestAuthorizerQueryKeys: the original query reaches providers that read
// a query parameter.
func TestAuthorizerQueryKeys(t *testing.T) {
	up := upstreamServer(t)
	ts := startServer(t, func() (*config.Config, error) {
		cfg := testConfig(up.URL)
		cfg.Providers[0].APIKey.In, cfg.Providers[0].APIKey.Name = "query", "key"
		cfg.AccessLog.Redact = append(cfg.AccessLog.Redact, config.Redaction{Kind: "query", Name: "key", Mode: "redact"})
		return cfg, nil
	})
	base := startAuthorizer(t, ts)
	if r := authorize(t, base, "GET", "/authorize", map[string]string{"X-Original-URI": "/orders?key=" + apiKey, "X-Original-Method": "GET"}); r.StatusCode != 200 {
		t.Fatalf("nginx mode with a query key: %d", r.StatusCode)
	}
	if r := authorize(t, base, "GET", "/authorize/orders?key="+apiKey, nil); r.StatusCode != 200 {
		t.Fatalf("envoy mode with a query key: %d", r.StatusCode)
	}
}
