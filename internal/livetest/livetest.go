package livetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
)

// Certs are throwaway PEM files: a CA and a leaf for localhost and the
// given host names, signed by it.
type Certs struct{ CA, Cert, Key string }

// NewCerts writes a CA and a leaf valid for the host names into dir.
func NewCerts(t testing.TB, dir string, hosts ...string) Certs {
	t.Helper()
	c := Certs{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "leaf.pem"), Key: filepath.Join(dir, "leaf.key")}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rampart test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: append([]string{"localhost"}, hosts...), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	for path, b := range map[string]*pem.Block{c.CA: {Type: "CERTIFICATE", Bytes: caDER},
		c.Cert: {Type: "CERTIFICATE", Bytes: leafDER}, c.Key: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Localise points p at the test machine: every listener on a free
// loopback port, the throwaway certificates, upstreams on localhost
// (nginx resolves upstream names when it loads), and a log file in dir.
func Localise(t testing.TB, p *ir.Policy, c Certs, dir string) {
	for _, l := range p.Listeners {
		l.Address, l.Port = "127.0.0.1", FreePort(t)
		if l.RedirectPort != 0 {
			l.RedirectPort = FreePort(t)
		}
		if l.TLS == nil {
			continue
		}
		l.TLS.CertFile, l.TLS.KeyFile = c.Cert, c.Key
		if l.TLS.ClientAuth != nil {
			l.TLS.ClientAuth.CAFile = c.CA
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
				tl.CAFile = c.CA
			}
			if tl.CertFile != "" {
				tl.CertFile, tl.KeyFile = c.Cert, c.Key
			}
		}
	}
	p.Logging.Sink, p.Logging.SinkTarget = "file", filepath.Join(dir, "access.log")
}

// NginxBinary is the nginx the tests run; RAMPART_NGINX overrides it.
func NginxBinary(t testing.TB) string {
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

// Nginx is a running nginx.
type Nginx struct {
	Dir, Conf string
	cmd       *exec.Cmd
	bin       string
}

// StartNginx writes conf into a new directory and runs nginx on it until
// the test ends; it waits until addr (host:port) accepts connections.
func StartNginx(t testing.TB, conf []byte, addr string) *Nginx {
	t.Helper()
	dir := t.TempDir()
	n := &Nginx{Dir: dir, Conf: filepath.Join(dir, "nginx.conf"), bin: NginxBinary(t)}
	n.Write(t, conf)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	n.cmd = exec.Command(n.bin, "-p", dir, "-c", n.Conf, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.cmd.Process.Kill(); n.cmd.Wait() })
	WaitListening(t, addr)
	return n
}

// Write replaces the config file.
func (n *Nginx) Write(t testing.TB, conf []byte) {
	t.Helper()
	if err := os.WriteFile(n.Conf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Reload writes conf, checks it with nginx -t and signals nginx to
// reload, then gives the new workers a moment to start.
func (n *Nginx) Reload(t testing.TB, conf []byte) {
	t.Helper()
	n.Write(t, conf)
	if out, err := exec.Command(n.bin, "-t", "-q", "-p", n.Dir, "-c", n.Conf).CombinedOutput(); err != nil {
		t.Fatalf("tampered config does not pass nginx -t: %v\n%s", err, out)
	}
	old := n.workers()
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The reload is done when every worker that ran the old config has
	// exited and new ones run.
	for i := 0; ; i++ {
		now := n.workers()
		if len(now) > 0 && !slices.ContainsFunc(now, func(w string) bool { return slices.Contains(old, w) }) {
			return
		}
		if i == 200 {
			t.Fatalf("nginx did not reload: workers %v before, %v now", old, now)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workers lists the master's child processes (Linux /proc).
func (n *Nginx) workers() []string {
	pid := strconv.Itoa(n.cmd.Process.Pid)
	b, _ := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	return strings.Fields(string(b))
}

// Source is the drift source that reads this nginx's configuration.
func (n *Nginx) Source() string {
	return fmt.Sprintf("cmd:%s -T -p %s -c %s", n.bin, n.Dir, n.Conf)
}

// WaitListening waits up to 10 s for addr to accept connections.
func WaitListening(t testing.TB, addr string) {
	t.Helper()
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if i == 200 {
			t.Fatalf("%s did not start listening", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
