package conformance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/proxy/server"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/nginx"
)

const apiKey = "conformance-key-7f3a"

// policy is the suite's policy: one TLS listener, API keys read from a
// header (delegated by nginx to rampart's authorizer), default deny, an
// admin route, a public route with a per-IP limit, a body limit, content
// types and CORS.
const policy = `package conformance

metadata: {name: "conformance", owner: "Security <sec@example.com>"}
listeners: web: {port: %d, address: "127.0.0.1", hosts: ["api.example.com"], tls: {certificate: {cert: %q, key: %q}, hsts: {}}}
authentication: keys: {kind: "apiKey", consumers: {
	reader: {keyHash: %q, roles: ["reader"]}
}}
defaults: authentication: ["keys"]
services: shop: {
	upstream: url: %q
	listeners: ["web"]
	routes: {
		items: {
			path: "/items"
			methods: ["GET", "POST"]
			allow: [{methods: ["GET"], roles: ["reader"]}, {methods: ["POST"], roles: ["writer"]}]
			contentTypes: ["application/json"]
			limits: maxBodyBytes: 1024
			cors: {allowOrigins: ["https://app.example.com"], allowMethods: ["GET", "POST"], allowHeaders: ["X-API-Key"]}
		}
		upload: {
			path: "/upload"
			methods: ["POST"]
			allow: [{roles: ["reader"]}]
			limits: maxBodyBytes: 1024
		}
		admin: {path: "/admin", methods: ["GET"], allow: [{roles: ["admin"]}]}
		status: {
			path: "/status"
			methods: ["GET"]
			public: true
			rateLimits: "per-ip": {requests: 2, per: "minute", burst: 1}
		}
	}
}
logging: {sink: {kind: "file", path: %q}, redact: headers: "X-API-Key": "redact"}
targets: authorizer: url: "http://127.0.0.1:%d"
`

// gateway is one system under test.
type gateway struct {
	name string
	addr string
}

// TestConformance runs the request table against nginx and rampart serve.
func TestConformance(t *testing.T) {
	nginxBin := requireNginx(t)
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "ok %s", r.Header.Get("X-Rampart-Subject"))
	}))
	defer up.Close()
	nginxPort, authzPort := freePort(t), freePort(t)
	sum := sha256.Sum256([]byte(apiKey))
	src := fmt.Sprintf(policy, nginxPort, cert, key, "sha256:"+hex.EncodeToString(sum[:]), up.URL,
		filepath.Join(dir, "access.log"), authzPort)
	os.MkdirAll(filepath.Join(dir, "policy"), 0o755)
	os.WriteFile(filepath.Join(dir, "policy", "policy.cue"), []byte(src), 0o644)
	p, diags, err := compiler.Compile(context.Background(), compiler.Input{Dir: filepath.Join(dir, "policy")}, compiler.Options{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, diags)
	}
	for _, tg := range []targets.Target{goproxy.New(), nginx.New()} {
		if d := targets.Check(tg, p); d.HasErrors() {
			t.Fatalf("%s: %v", tg.Name(), d)
		}
	}
	cfg, err := goproxy.Convert(p)
	if err != nil {
		t.Fatal(err)
	}
	// rampart serve, and a second rampart as nginx's authorizer (separate
	// buckets, so the two gateways' rate limits don't share state).
	rampartAddr := startRampart(t, cfg, "")
	startRampart(t, cfg, "127.0.0.1:"+strconv.Itoa(authzPort))
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	startNginx(t, nginxBin, dir, arts[0].Data, nginxPort)
	gateways := []gateway{{"rampart", rampartAddr}, {"nginx", "127.0.0.1:" + strconv.Itoa(nginxPort)}}
	for _, c := range table {
		for _, g := range gateways {
			t.Run(c.name+"/"+g.name, func(t *testing.T) { c.check(t, g) })
		}
	}
	for _, g := range gateways {
		t.Run("tls/"+g.name, func(t *testing.T) { checkTLS(t, g.addr) })
	}
	if logs, _ := os.ReadFile(filepath.Join(dir, "access.log")); strings.Contains(string(logs), apiKey) {
		t.Error("nginx's access log holds the API key")
	}
}

func requireNginx(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("RAMPART_NGINX"), "/usr/sbin/nginx"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	t.Fatal("nginx is required (Debian package nginx-light)")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCert writes a throwaway certificate for api.example.com.
func writeCert(t *testing.T, dir string) (string, string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "api.example.com"},
		DNSNames: []string{"api.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// startRampart serves cfg; with authz set it serves only the authorizer.
func startRampart(t *testing.T, cfg *config.Config, authz string) string {
	t.Helper()
	s, err := server.New(server.Options{Load: func() (*config.Config, error) { return cfg, nil }, AdminAddr: "off",
		Addrs: map[string]string{"web": "127.0.0.1:0"}, AccessLog: io.Discard,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	if authz != "" {
		if err := s.StartAuthorizer(authz); err != nil {
			t.Fatal(err)
		}
	}
	return s.Addr("web")
}

// startNginx runs nginx in the foreground on conf until the test ends.
func startNginx(t *testing.T, bin, dir string, conf []byte, port int) {
	t.Helper()
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, conf, 0o644)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("nginx did not start")
}
