package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

func TestWalkXFF(t *testing.T) {
	c := &clientAddr{from: config.FromXFF, trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}}
	peer := netip.MustParseAddr("10.0.0.1")
	cases := []struct {
		name  string
		lines []string
		want  string
	}{
		{"no header", nil, "10.0.0.1"},
		{"one client", []string{"203.0.113.7"}, "203.0.113.7"},
		{"spoofed left of the client", []string{"1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"trusted hops skipped", []string{"1.1.1.1, 203.0.113.7, 10.1.1.1, 10.2.2.2"}, "203.0.113.7"},
		{"several lines", []string{"1.1.1.1", "203.0.113.7, 10.1.1.1"}, "203.0.113.7"},
		{"all trusted: leftmost", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"with ports", []string{"[2001:db9::1]:443, 10.1.1.1:80"}, "2001:db9::1"},
		{"garbage ends the walk", []string{"203.0.113.7, bogus, 10.1.1.1"}, "10.1.1.1"},
		{"empty entries", []string{" , 203.0.113.7 ,, "}, "203.0.113.7"},
		{"mapped IPv4", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
	}
	for _, tc := range cases {
		if got := c.walkXFF(tc.lines, peer).String(); got != tc.want {
			t.Errorf("%s: %q → %s, want %s", tc.name, tc.lines, got, tc.want)
		}
	}
}

// echoAddrUpstream answers with the client address headers it received.
func echoAddrUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "xff=%s real=%s", strings.Join(r.Header.Values("X-Forwarded-For"), "|"), r.Header.Get("X-Real-Ip"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// clientAddrConfig is testConfig with an IP rate limit of two requests (burst 1)
// on /healthz, clientIP in the log, and the given client address source.
func clientAddrConfig(upstreamURL string, ca *config.ClientAddress) *config.Config {
	c := testConfig(upstreamURL)
	c.Listeners[0].ClientAddress = ca
	for i := range c.Routes {
		if c.Routes[i].ID == "orders/health" {
			c.Routes[i].RateLimits = []config.RateLimit{{Name: "per-ip", RatePerSecond: 0.001, Burst: 1, Key: "ip"}}
		}
	}
	c.AccessLog.Fields = append(c.AccessLog.Fields, "clientIP")
	return c
}

// statuses sends n GETs of /healthz with the given X-Forwarded-For.
func statuses(t *testing.T, ts *testServer, n int, xff string) []int {
	t.Helper()
	var out []int
	for range n {
		resp, _ := ts.do(t, "GET", "/healthz", nil, "X-Forwarded-For", xff)
		out = append(out, resp.StatusCode)
	}
	return out
}

func TestTrustedProxyXFFKeysRateLimitAndLog(t *testing.T) {
	up := echoAddrUpstream(t)
	ts := startServer(t, func() (*config.Config, error) {
		return clientAddrConfig(up.URL, &config.ClientAddress{From: config.FromXFF, TrustedProxies: []string{"127.0.0.0/8"}}), nil
	})
	// the test client (127.0.0.1) is the trusted load balancer: each
	// client it reports has its own bucket of two
	if got := fmt.Sprint(statuses(t, ts, 3, "198.51.100.9, 203.0.113.7")); got != "[200 200 429]" {
		t.Fatalf("client 203.0.113.7: %s, want [200 200 429]", got)
	}
	if got := fmt.Sprint(statuses(t, ts, 2, "203.0.113.8")); got != "[200 200]" {
		t.Fatalf("client 203.0.113.8 shares a bucket: %s, want [200 200]", got)
	}
	logs := ts.log.String()
	if !strings.Contains(logs, `"clientIP":"203.0.113.7"`) || !strings.Contains(logs, `"clientIP":"203.0.113.8"`) || strings.Contains(logs, `"clientIP":"127.0.0.1"`) {
		t.Errorf("the access log does not record the clients the trusted proxy reported:\n%s", logs)
	}
	_, body := ts.do(t, "GET", "/healthz", nil, "X-Forwarded-For", "203.0.113.20")
	if body != "xff=203.0.113.20 real=203.0.113.20" {
		t.Errorf("upstream got %q, want the client address in X-Forwarded-For and X-Real-IP", body)
	}
}

func TestUntrustedPeerXFFIgnored(t *testing.T) {
	up := echoAddrUpstream(t)
	ts := startServer(t, func() (*config.Config, error) {
		return clientAddrConfig(up.URL, &config.ClientAddress{From: config.FromXFF, TrustedProxies: []string{"10.0.0.0/8"}}), nil
	})
	// 127.0.0.1 is not trusted: changing X-Forwarded-For buys no new bucket
	got := []int{}
	for _, xff := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		got = append(got, statuses(t, ts, 1, xff)...)
	}
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %v, want [200 200 429]", got)
	}
	logs := ts.log.String()
	if strings.Contains(logs, "203.0.113.") || !strings.Contains(logs, `"clientIP":"127.0.0.1"`) {
		t.Errorf("the access log believes an untrusted X-Forwarded-For:\n%s", logs)
	}
	// the upstream sees the peer, not the spoofed value
	ts2 := startServer(t, func() (*config.Config, error) { return clientAddrConfig(up.URL, nil), nil })
	if _, body := ts2.do(t, "GET", "/healthz", nil, "X-Forwarded-For", "203.0.113.50"); body != "xff=127.0.0.1 real=127.0.0.1" {
		t.Errorf("without clientAddress the upstream got %q", body)
	}
}

// proxyRequest sends a raw PROXY header (possibly empty) and a GET of
// /healthz on one connection and returns the status line.
func proxyRequest(t *testing.T, addr string, header []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(header)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-For: 198.51.100.1\r\nConnection: close\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// proxyV2 builds a v2 PROXY header for TCP over IPv4 from src.
func proxyV2(src string) []byte {
	a := netip.MustParseAddr(src).As4()
	b := append([]byte{}, proxyV2Sig...)
	b = append(b, 0x21, 0x11, 0, 12)
	b = append(b, a[:]...)
	b = append(b, 127, 0, 0, 1)
	b = binary.BigEndian.AppendUint16(b, 40000)
	return binary.BigEndian.AppendUint16(b, 443)
}

func TestProxyProtocol(t *testing.T) {
	up := echoAddrUpstream(t)
	start := func(trusted string) *testServer {
		return startServer(t, func() (*config.Config, error) {
			return clientAddrConfig(up.URL, &config.ClientAddress{From: config.FromProxyProtocol, TrustedProxies: []string{trusted}}), nil
		})
	}
	ts := start("127.0.0.1/32")
	addr := ts.Addr("web")
	v1 := []byte("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n")
	for i, want := range []string{"200", "200", "429"} {
		if got := proxyRequest(t, addr, v1); !strings.Contains(got, want) {
			t.Fatalf("v1 request %d: %q, want %s", i, got, want)
		}
	}
	if got := proxyRequest(t, addr, proxyV2("203.0.113.8")); !strings.Contains(got, "200") {
		t.Fatalf("v2 from another client: %q, want 200 (its own bucket)", got)
	}
	if got := proxyRequest(t, addr, nil); strings.Contains(got, "200") {
		t.Fatalf("no PROXY header: %q, want the connection refused", got)
	}
	logs := ts.log.String()
	if !strings.Contains(logs, `"clientIP":"203.0.113.7"`) || !strings.Contains(logs, `"clientIP":"203.0.113.8"`) || strings.Contains(logs, "198.51.100.1") {
		t.Errorf("the access log does not record the PROXY header's source:\n%s", logs)
	}

	// an untrusted peer's PROXY header is read but not believed
	ts = start("10.0.0.0/8")
	addr = ts.Addr("web")
	for i, src := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		want := map[bool]string{true: "429", false: "200"}[i == 2]
		if got := proxyRequest(t, addr, []byte("PROXY TCP4 "+src+" 127.0.0.1 40000 443\r\n")); !strings.Contains(got, want) {
			t.Fatalf("untrusted peer, request %d: %q, want %s", i, got, want)
		}
	}
	if logs := ts.log.String(); strings.Contains(logs, "203.0.113.") {
		t.Errorf("the access log believes an untrusted PROXY header:\n%s", logs)
	}
}

func TestReadProxyHeaderRejects(t *testing.T) {
	for _, h := range []string{
		"GET / HTTP/1.1\r\n",
		"PROXY TCP4 203.0.113.7 127.0.0.1 40000\r\n",
		"PROXY TCP4 2001:db8::1 127.0.0.1 40000 443\r\n",
		"PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\n",
		"PROXY TCP4 203.0.113.7 127.0.0.1 400000 443\r\n",
		string(proxyV2Sig) + "\x31\x11\x00\x0c",
		"PROXY " + strings.Repeat("A", 200),
	} {
		if src, err := readProxyHeader(bufio.NewReader(strings.NewReader(h))); err == nil {
			t.Errorf("%q: accepted (source %v)", h, src)
		}
	}
	for h, want := range map[string]string{
		"PROXY UNKNOWN\r\n":                          "invalid AddrPort",
		"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n": "[2001:db8::1]:1",
		string(proxyV2("203.0.113.9")):               "203.0.113.9:40000",
		string(proxyV2Sig) + "\x20\x00\x00\x00":      "invalid AddrPort",
	} {
		src, err := readProxyHeader(bufio.NewReader(strings.NewReader(h)))
		if err != nil || src.String() != want {
			t.Errorf("%q: %v, %v; want %s", h, src, err, want)
		}
	}
}

func TestClientAddressConfigRefused(t *testing.T) {
	for _, ca := range []*config.ClientAddress{
		{From: config.FromXFF, TrustedProxies: []string{"0.0.0.0/0"}},
		{From: config.FromXFF, TrustedProxies: []string{"::/0"}},
		{From: config.FromXFF, TrustedProxies: []string{"10.1.2.3/8"}},
		{From: config.FromXFF},
		{From: "peer", TrustedProxies: []string{"10.0.0.0/8"}},
		{From: config.FromProxyProtocol, TrustedProxies: []string{"lb"}},
	} {
		c := clientAddrConfig("http://127.0.0.1:1", ca)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: accepted", *ca)
		}
	}
	ok := clientAddrConfig("http://127.0.0.1:1", &config.ClientAddress{From: config.FromXFF, TrustedProxies: []string{"10.0.0.0/8", "2001:db8::/32"}})
	if err := ok.Validate(); err != nil {
		t.Errorf("canonical ranges refused: %v", err)
	}
}

func TestReloadRefusesProxyProtocolSwitch(t *testing.T) {
	up := echoAddrUpstream(t)
	var ca *config.ClientAddress
	ts := startServer(t, func() (*config.Config, error) { return clientAddrConfig(up.URL, ca), nil })
	ca = &config.ClientAddress{From: config.FromProxyProtocol, TrustedProxies: []string{"127.0.0.1/32"}}
	if err := ts.Reload(); err == nil || !strings.Contains(err.Error(), "PROXY protocol") {
		t.Fatalf("reload turning the PROXY protocol on: %v, want refused", err)
	}
	ca = &config.ClientAddress{From: config.FromXFF, TrustedProxies: []string{"127.0.0.1/32"}}
	if err := ts.Reload(); err != nil {
		t.Fatalf("reload trusting a proxy's X-Forwarded-For: %v", err)
	}
	if _, body := ts.do(t, "GET", "/healthz", nil, "X-Forwarded-For", "203.0.113.5"); body != "xff=203.0.113.5 real=203.0.113.5" {
		t.Errorf("after reload the upstream got %q", body)
	}
}
