package dn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Values whose printing differs from the plain text.
var values = []string{"billing, Inc.", "a=b", "#hash", "mid # x", " lead", "trail ", " ", "José", "日本",
	`q"u<o>t;e+p\s`, "plain-name.example"}

// TestEscapeMatchesOpenSSL prints a certificate per value with the
// openssl command (X509_NAME_print_ex, XN_FLAG_RFC2253: the same call
// nginx makes for $ssl_client_s_dn) and requires Escape to give the same
// CN value.
func TestEscapeMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl not found; .ci/run installs it")
		}
		t.Skip("openssl not found")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, v := range values {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: v}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "c.pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		want := strings.TrimPrefix(strings.TrimSuffix(string(out), "\n"), "subject=")
		if got := "CN=" + Escape(v); got != want {
			t.Errorf("Escape(%q): %q, openssl prints %q", v, got, want)
		}
	}
}
