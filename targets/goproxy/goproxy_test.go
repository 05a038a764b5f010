package goproxy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/internal/golden"
)

// TestGolden builds each testdata/*.ir.yaml IR fixture and compares the
// artifact with testdata/<name>.golden.json.
func TestGolden(t *testing.T) {
	golden.Run(t, "json", func(t *testing.T, p *ir.Policy) []byte {
		arts, err := goproxy.New().Build(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if len(arts) != 1 || arts[0].Path != goproxy.ConfigFile {
			t.Fatalf("got %d artifacts, want one %s", len(arts), goproxy.ConfigFile)
		}
		return arts[0].Data
	}, nil)
}

func readIR(t *testing.T, path string) *ir.Policy { return golden.ReadIR(t, path) }

// TestOutputIsStrictAndComplete checks what the proxy relies on: the
// artifact decodes strictly, every IR route is present, secrets are
// references only, and a Mozilla 5.7 profile's DHE suites never reach
// crypto/tls.
func TestOutputIsStrictAndComplete(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	p.Listeners[1].TLS.Guidelines = "5.7"
	p.Listeners[1].TLS.Ciphers = append(p.Listeners[1].TLS.Ciphers, "DHE-RSA-AES128-GCM-SHA256")
	arts, err := goproxy.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.DecodeBytes(arts[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	routes := 0
	for _, s := range p.Services {
		routes += len(s.Routes)
	}
	if len(cfg.Routes) != routes || routes == 0 {
		t.Errorf("config has %d routes, IR has %d", len(cfg.Routes), routes)
	}
	for _, pr := range cfg.Providers {
		if pr.Introspection != nil && !config.IsSecretRef(pr.Introspection.ClientSecret) {
			t.Errorf("provider %s: client secret is not a reference: %q", pr.Name, pr.Introspection.ClientSecret)
		}
	}
	for _, l := range cfg.Listeners {
		if l.TLS == nil {
			continue
		}
		for _, c := range l.TLS.CipherSuites {
			if strings.Contains(c, "DHE_RSA") && !strings.Contains(c, "ECDHE") {
				t.Errorf("listener %s offers %s to crypto/tls", l.Name, c)
			}
		}
	}
}

// TestVerifyRejectsUnknownFields proves the self-verification can fail.
func TestVerifyRejectsUnknownFields(t *testing.T) {
	arts, err := goproxy.New().Build(context.Background(), readIR(t, "testdata/full.ir.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(arts[0].Data), `"rejectUndeclared"`, `"rejectUndeclaredRoutes"`, 1)
	if err := goproxy.Verify([]byte(bad)); err == nil {
		t.Fatal("Verify accepted a config with an unknown field")
	}
}

// TestPinnedCipherGoCannotDo fails closed on a cipher crypto/tls lacks.
func TestPinnedCipherGoCannotDo(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	p.Listeners[0].TLS.Profile = "custom"
	p.Listeners[0].TLS.Ciphers = []string{"DHE-RSA-AES128-GCM-SHA256"}
	if _, err := goproxy.New().Build(context.Background(), p); err == nil || !strings.Contains(err.Error(), "DHE-RSA-AES128-GCM-SHA256") {
		t.Fatalf("Build = %v, want an error naming the cipher", err)
	}
}

// TestWeakTLSFailsClosed: suites Go classes insecure and TLS below 1.2
// are refused at compile time, not when the proxy starts.
func TestWeakTLSFailsClosed(t *testing.T) {
	for _, mutate := range []func(*ir.TLS){
		func(t *ir.TLS) { t.Profile, t.Ciphers = "custom", []string{"ECDHE-RSA-AES128-SHA256"} },
		func(t *ir.TLS) { t.Profile, t.MinVersion = "custom", "1.1" },
	} {
		p := readIR(t, "testdata/full.ir.yaml")
		mutate(p.Listeners[0].TLS)
		if _, err := goproxy.New().Build(context.Background(), p); err == nil {
			t.Errorf("Build accepted %+v", p.Listeners[0].TLS)
		}
	}
}

// TestHTTPLogSinkNotClaimed: the proxy cannot ship logs over HTTP, so a
// policy asking for it fails closed instead of losing its log.
func TestHTTPLogSinkNotClaimed(t *testing.T) {
	p := readIR(t, "testdata/full.ir.yaml")
	p.Logging.Sink, p.Logging.SinkTarget = "http", "https://logs.example.com/ingest"
	if d := targets.Check(goproxy.New(), p); !d.HasErrors() {
		t.Fatal("goproxy claims an HTTP log sink")
	}
}
