package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// startRedis runs a real redis-server on a free loopback port. CI installs
// it; elsewhere the test is skipped when it is missing.
func startRedis(t *testing.T) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	t.Cleanup(stop)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return addr, stop
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
	return "", nil
}

// sharedConfig limits /healthz to 10 requests (burst 9, almost no refill)
// shared across instances through Redis.
func sharedConfig(upstreamURL, redisAddr string) *config.Config {
	cfg := testConfig(upstreamURL)
	cfg.Routes[2].RateLimits = []config.RateLimit{{Name: "shared", RatePerSecond: 0.0001, Burst: 9, Key: "ip", Shared: true}}
	cfg.Redis = &config.Redis{Address: redisAddr}
	return cfg
}

// TestTwoInstancesShareALimit: two proxies in front of one Redis allow
// exactly the limit between them; with Redis down they fall back to local
// buckets and say so in /readyz and /metrics.
func TestTwoInstancesShareALimit(t *testing.T) {
	up := upstreamServer(t)
	redisAddr, stopRedis := startRedis(t)
	load := func() (*config.Config, error) { return sharedConfig(up.URL, redisAddr), nil }
	a, b := startServer(t, load), startServer(t, load)
	allowed := 0
	for i := 0; i < 20; i++ {
		ts := a
		if i%2 == 1 {
			ts = b
		}
		resp, _ := ts.do(t, "GET", "/healthz", nil)
		switch resp.StatusCode {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	if allowed != 10 {
		t.Fatalf("two instances allowed %d requests, want exactly 10 (one shared limit)", allowed)
	}

	stopRedis()
	resp, _ := a.do(t, "GET", "/healthz", nil) // fresh local bucket: allowed
	if resp.StatusCode != 200 {
		t.Fatalf("with Redis down: %d, want local fallback to allow", resp.StatusCode)
	}
	admin := "http://" + a.Addr("admin")
	r, err := http.Get(admin + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d, want 503", r.StatusCode)
	}
	r, _ = http.Get(admin + "/metrics")
	m, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(m), "rampart_ratelimit_redis_degraded 1") {
		t.Errorf("metrics do not show the Redis fallback")
	}
	_ = context.Background()
}
