package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// selfSigned writes a throwaway certificate and key into dir.
func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "api.example.com"},
		DNSNames: []string{"api.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyFile
}

const servePolicy = `package shop

metadata: {name: "shop", owner: "Security <sec@example.com>"}
listeners: public: {port: 443, hosts: ["api.example.com"], tls: {certificate: {cert: %q, key: %q}, hsts: {}}}
authentication: keys: {kind: "apiKey", consumers: acme: {keyHash: %q, roles: [%q]}}
services: shop: {
	upstream: {url: %q, tls: {ca: %q}}
	listeners: ["public"]
	authentication: ["keys"]
	routes: items: {path: "/items", methods: ["GET"], allow: [{roles: ["reader"]}]}
}
logging: redact: headers: "X-Api-Key": "redact"
`

// TestServePolicy runs `rampart serve --policy` end to end: a real TLS
// listener, a real upstream, reload on file change, a broken edit refused
// while the old policy keeps serving, and shutdown on cancel.
func TestServePolicy(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Header.Get("X-Rampart-Subject"))
	}))
	up.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer up.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "upstream-ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: up.Certificate().Raw}), 0o644)
	cert, key := selfSigned(t, dir)
	sum := sha256.Sum256([]byte("secret-key"))
	hash := "sha256:" + hex.EncodeToString(sum[:])
	policy := filepath.Join(dir, "policy", "policy.cue")
	os.MkdirAll(filepath.Dir(policy), 0o755)
	write := func(role string) {
		os.WriteFile(policy, []byte(fmt.Sprintf(servePolicy, cert, key, hash, role, up.URL, ca)), 0o644)
	}
	write("reader")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncWriter
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"serve", "--policy", filepath.Dir(policy), "--listen", "public=" + addr, "--admin", "off"}, strings.NewReader(""), &out, &errb)
	}()
	get := func() (int, string) {
		c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "api.example.com"}}}
		req, _ := http.NewRequest("GET", "https://"+addr+"/items", nil)
		req.Host = "api.example.com"
		req.Header.Set("X-API-Key", "secret-key")
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor := func(want int, wantBody string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, body := get()
			if code == want && strings.Contains(body, wantBody) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %d: got %d %q\nstderr:\n%s", want, code, body, errb.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(http.StatusOK, "hello acme")
	write("writer") // the key no longer grants reader: reload on change
	waitFor(http.StatusForbidden, "")
	os.WriteFile(policy, []byte("package shop\n\nlisteners: {\n"), 0o644) // broken edit
	time.Sleep(3 * time.Second)
	if code, _ := get(); code != http.StatusForbidden {
		t.Fatalf("after a broken edit: %d, want the old policy (403) still serving", code)
	}
	if !strings.Contains(errb.String(), "config reload rejected") {
		t.Errorf("the rejected reload was not logged:\n%s", errb.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if strings.Contains(out.String(), "secret-key") {
		t.Error("the access log holds the API key")
	}
}

// syncWriter is a goroutine-safe buffer.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
func (w *syncWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }
