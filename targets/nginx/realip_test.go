package nginx_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/internal/livetest"
	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// realIPNginx runs nginx on the clientaddr fixture with web trusting
// webTrusted, edge trusting 127.0.0.0/8, and site/home limited to two
// requests a minute per client; upstream answers with the
// X-Forwarded-For it got. It returns web's and edge's addresses and the
// access log's path.
func realIPNginx(t *testing.T, webTrusted ...string) (web, edge, logPath string) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "xff=%s", r.Header.Get("X-Forwarded-For"))
	}))
	t.Cleanup(up.Close)
	p := golden.ReadIR(t, "testdata/clientaddr.ir.yaml")
	dir := t.TempDir()
	addrs := map[string]string{}
	for _, l := range p.Listeners {
		l.Port = livetest.FreePort(t)
		addrs[l.Name] = "127.0.0.1:" + strconv.Itoa(l.Port)
		l.ClientAddress.TrustedProxies = []string{"127.0.0.0/8"}
		if l.Name == "web" {
			l.ClientAddress.TrustedProxies = webTrusted
		}
	}
	p.Services[0].UpstreamURL = up.URL
	home := p.Services[0].Routes[0]
	home.RateLimits = []ir.RateLimit{{Name: "client", Requests: 1, Per: "minute", PerHour: 60, Burst: 1, Key: "ip"}}
	logPath = filepath.Join(dir, "access.log")
	p.Logging.Sink, p.Logging.SinkTarget = "file", logPath
	arts, err := nginx.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	livetest.StartNginx(t, arts[0].Data, addrs["web"])
	return addrs["web"], addrs["edge"], logPath
}

// get sends GET / to addr with an X-Forwarded-For header and returns the
// status and body.
func get(t *testing.T, addr, xff string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// loggedClients returns the clientIP of every access-log line.
func loggedClients(t *testing.T, path string) []string {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		_, rest, ok := strings.Cut(line, `"clientIP":"`)
		ip, _, _ := strings.Cut(rest, `"`)
		if ok {
			out = append(out, ip)
		}
	}
	return out
}

// TestRealNginxTrustedProxy runs nginx behind a "load balancer" (the test
// client on 127.0.0.1, trusted): the client the balancer reports in
// X-Forwarded-For has its own limit_req bucket, is the log's clientIP and
// the upstream's X-Forwarded-For; spoofed entries left of it are ignored.
func TestRealNginxTrustedProxy(t *testing.T) {
	web, _, logPath := realIPNginx(t, "10.0.0.0/8", "127.0.0.0/8")
	var got []int
	for range 3 {
		code, _ := get(t, web, "198.51.100.1, 203.0.113.7, 10.0.0.5")
		got = append(got, code)
	}
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("client 203.0.113.7 through the trusted balancer: %v, want [200 200 429]", got)
	}
	code, body := get(t, web, "203.0.113.8")
	if code != 200 || body != "xff=203.0.113.8" {
		t.Fatalf("another client: %d %q, want 200 with its own bucket and X-Forwarded-For", code, body)
	}
	want := "[203.0.113.7 203.0.113.7 203.0.113.7 203.0.113.8]"
	if got := fmt.Sprint(loggedClients(t, logPath)); got != want {
		t.Errorf("logged clients %s, want %s", got, want)
	}
}

// TestRealNginxUntrustedPeer: a peer outside trustedProxies cannot choose
// its address with X-Forwarded-For; it keeps one bucket and is logged as
// itself.
func TestRealNginxUntrustedPeer(t *testing.T) {
	web, _, logPath := realIPNginx(t, "10.0.0.0/8")
	var got []int
	for _, xff := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		code, body := get(t, web, xff)
		got = append(got, code)
		if code == 200 && body != "xff=127.0.0.1" {
			t.Errorf("upstream got %q, want the peer", body)
		}
	}
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %v, want [200 200 429]", got)
	}
	if got := fmt.Sprint(loggedClients(t, logPath)); got != "[127.0.0.1 127.0.0.1 127.0.0.1]" {
		t.Errorf("logged clients %s, want the peer only", got)
	}
}

// TestRealNginxProxyProtocol: on the PROXY protocol listener the header's
// source is the client for a trusted peer, and a connection without the
// header is refused.
func TestRealNginxProxyProtocol(t *testing.T) {
	_, edge, logPath := realIPNginx(t, "10.0.0.0/8")
	send := func(header string) string {
		c, err := net.Dial("tcp", edge)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, header+"GET / HTTP/1.1\r\nHost: edge.example.com\r\nX-Forwarded-For: 198.51.100.1\r\nConnection: close\r\n\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(line)
	}
	pp := "PROXY TCP4 203.0.113.9 127.0.0.1 40000 8081\r\n"
	for i, want := range []string{"200", "200", "429"} {
		if got := send(pp); !strings.Contains(got, want) {
			t.Fatalf("request %d with a PROXY header: %q, want %s", i, got, want)
		}
	}
	if got := send(""); strings.Contains(got, "200") {
		t.Fatalf("no PROXY header: %q, want refused", got)
	}
	if got := fmt.Sprint(loggedClients(t, logPath)); got != "[203.0.113.9 203.0.113.9 203.0.113.9]" {
		t.Errorf("logged clients %s, want the PROXY header's source", got)
	}
}
