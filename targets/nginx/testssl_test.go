package nginx_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/targets/nginx"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestTestsslNginx serves the compiled config of a Mozilla 6.0
// intermediate listener with a real nginx and runs testssl.sh against it:
// no protocol below TLS 1.2 and no weak cipher may be offered. CI
// installs testssl (Debian testssl.sh); elsewhere the test skips without it.
func TestTestsslNginx(t *testing.T) {
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("testssl is not installed (apt-get install testssl.sh)")
		}
		t.Skip("testssl is not installed")
	}
	if testing.Short() {
		t.Skip("testssl takes about 15 s")
	}
	p := readIR(t, "testdata/full.ir.yaml")
	dir := t.TempDir()
	localise(p, testCerts(t), dir)
	var port int
	var host string
	for _, l := range p.Listeners {
		l.Address, l.Port = "127.0.0.1", freePort(t)
		if l.RedirectPort != 0 {
			l.RedirectPort = freePort(t)
		}
		if l.Name == "public" {
			port, host = l.Port, l.Hosts[0]
		}
	}
	if port == 0 || p.Listeners[1].TLS.Profile != "intermediate" {
		t.Fatalf("fixture changed: want an intermediate-profile listener named public")
	}
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, nginx.ConfigFile)
	os.WriteFile(conf, arts[0].Data, 0o644)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	cmd := exec.Command(nginxBinary(t), "-p", dir, "-c", conf, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatal("nginx did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := filepath.Join(dir, "testssl.json")
	// nginx refuses handshakes without a declared server name, so testssl
	// connects to the loopback address with the listener's host as SNI.
	log, _ := exec.Command(bin, "--quiet", "--color", "0", "--warnings", "off", "--sneaky", "-p", "-s",
		"--ip", "127.0.0.1", "--jsonfile", out, host+":"+strconv.Itoa(port)).CombinedOutput()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("testssl produced no JSON:\n%s", log)
	}
	var findings []struct{ ID, Finding string }
	if err := json.Unmarshal(data, &findings); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range findings {
		want := ""
		switch f.ID {
		case "SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
			"cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_OBSOLETED", "cipherlist_AVERAGE":
			want = "not offered"
		case "TLS1_2", "TLS1_3":
			want = "offered"
		default:
			continue
		}
		checked++
		if !strings.HasPrefix(f.Finding, want) {
			t.Errorf("testssl: %s %s", f.ID, f.Finding)
		}
	}
	if checked < 10 {
		t.Fatalf("testssl reported only %d of the expected findings:\n%s", checked, log)
	}
	var keep []string
	for _, l := range strings.Split(string(log), "\n") {
		for _, k := range []string{"SSLv", "TLS 1", "NULL", "Export", "LOW:", "Triple DES", "Obsoleted", "Strong encryption"} {
			if strings.Contains(l, k) {
				keep = append(keep, strings.TrimSpace(l))
				break
			}
		}
	}
	t.Logf("testssl summary (nginx):\n%s", strings.Join(keep, "\n"))
}
