package tlsconf

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rampart-policy/rampart/proxy/config"
)

func TestServerConfigMapping(t *testing.T) {
	f := newFixture(t)
	c, _ := f.serverConfig(t, intermediate)
	if c.MinVersion != tls.VersionTLS12 || c.MaxVersion != tls.VersionTLS13 {
		t.Errorf("versions = %x..%x", c.MinVersion, c.MaxVersion)
	}
	wantSuites := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	if d := cmp.Diff(wantSuites, c.CipherSuites); d != "" {
		t.Errorf("cipher suites (-want +got):\n%s", d)
	}
	wantCurves := []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}
	if d := cmp.Diff(wantCurves, c.CurvePreferences); d != "" {
		t.Errorf("curves (-want +got):\n%s", d)
	}
	if c.ClientAuth != tls.NoClientCert || c.Certificates != nil || c.GetCertificate == nil {
		t.Errorf("client auth %v, static certificates %d, GetCertificate set %v",
			c.ClientAuth, len(c.Certificates), c.GetCertificate != nil)
	}
}

func TestServerConfigErrors(t *testing.T) {
	f := newFixture(t)
	with := func(mut func(*config.TLS)) *config.TLS {
		c := f.config(intermediate)
		c.CipherSuites = slices.Clone(c.CipherSuites)
		mut(c)
		return c
	}
	empty := filepath.Join(f.dir, "empty.pem")
	writeFile(t, empty, []byte("not a certificate\n"))
	tests := []struct {
		name string
		cfg  *config.TLS
		want string
	}{
		{"nil", nil, "no TLS configuration"},
		{"tls 1.1", with(func(c *config.TLS) { c.MinVersion = "1.1" }), `minVersion "1.1"`},
		{"tls 1.0", with(func(c *config.TLS) { c.MinVersion = "1.0" }), `minVersion "1.0"`},
		{"no max", with(func(c *config.TLS) { c.MaxVersion = "" }), `maxVersion ""`},
		{"min above max", with(func(c *config.TLS) { c.MinVersion, c.MaxVersion = "1.3", "1.2" }), "above maxVersion"},
		{"unknown cipher", with(func(c *config.TLS) { c.CipherSuites[0] = "ECDHE-RSA-AES128-GCM-SHA256" }), "unknown cipher suite"},
		{"dhe cipher", with(func(c *config.TLS) { c.CipherSuites[0] = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" }), "unknown cipher suite"},
		{"insecure cipher", with(func(c *config.TLS) { c.CipherSuites[0] = "TLS_ECDHE_RSA_WITH_RC4_128_SHA" }), "insecure"},
		{"insecure cbc", with(func(c *config.TLS) { c.CipherSuites[0] = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" }), "insecure"},
		{"tls 1.2 without ciphers", with(func(c *config.TLS) { c.CipherSuites = nil }), "no TLS 1.2 cipher suite"},
		{"only tls 1.3 suites", with(func(c *config.TLS) { c.CipherSuites = []string{"TLS_AES_128_GCM_SHA256"} }), "no TLS 1.2 cipher suite"},
		{"unknown curve", with(func(c *config.TLS) { c.Curves = []string{"X448"} }), `unknown curve "X448"`},
		{"no curves", with(func(c *config.TLS) { c.Curves = nil }), "no curves"},
		{"no cert", with(func(c *config.TLS) { c.CertFile = "" }), "both required"},
		{"missing cert", with(func(c *config.TLS) { c.CertFile = filepath.Join(f.dir, "missing.crt") }), "missing.crt"},
		{"key mismatch", with(func(c *config.TLS) { c.KeyFile = writeKey(t, f.dir) }), "private key does not match"},
		{"ca not pem", with(func(c *config.TLS) { c.ClientAuth = &config.ClientAuth{CAFile: empty} }), "holds no PEM certificate"},
		{"ca missing", with(func(c *config.TLS) { c.ClientAuth = &config.ClientAuth{CAFile: empty + ".x"} }), "reading CA bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r, err := ServerConfig(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ServerConfig = %v, want an error containing %q", err, tt.want)
			}
			if c != nil || r != nil {
				t.Error("config returned with an error")
			}
		})
	}
}

// writeKey writes a fresh key, matching no certificate.
func writeKey(t *testing.T, dir string) string {
	t.Helper()
	other := newCA(t, "Other").issue(t, leaf{cn: "other"})
	file := filepath.Join(dir, "other.key")
	writeFile(t, file, other.keyPEM)
	return file
}

func TestOldVersionsRefused(t *testing.T) {
	f := newFixture(t)
	sc, _ := f.serverConfig(t, intermediate)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			cc := f.client()
			cc.MinVersion, cc.MaxVersion = v, v
			r := handshake(t, sc, cc)
			if r.ok() || !strings.Contains(r.server.Error(), "unsupported versions") {
				t.Errorf("%s handshake: client %v, server %v; want refused", tls.VersionName(v), r.client, r.server)
			}
		})
	}
}

func TestTLS12(t *testing.T) {
	f := newFixture(t)
	cfg := intermediate
	cfg.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
	sc, _ := f.serverConfig(t, cfg)

	cc := f.client()
	cc.MaxVersion = tls.VersionTLS12
	r := handshake(t, sc, cc)
	if !r.ok() || r.state.Version != tls.VersionTLS12 || r.state.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Fatalf("TLS 1.2 with the configured suite: client %v, server %v, state %s %s", r.client, r.server,
			tls.VersionName(r.state.Version), tls.CipherSuiteName(r.state.CipherSuite))
	}

	// Secure, but not configured: refused.
	cc.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}
	if r := handshake(t, sc, cc); r.ok() || !strings.Contains(r.server.Error(), "no cipher suite") {
		t.Errorf("TLS 1.2 with other suites: client %v, server %v; want refused", r.client, r.server)
	}
}

func TestTLS13(t *testing.T) {
	f := newFixture(t)
	sc, _ := f.serverConfig(t, intermediate)
	r := handshake(t, sc, f.client())
	if !r.ok() || r.state.Version != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3: client %v, server %v, version %s", r.client, r.server, tls.VersionName(r.state.Version))
	}
	if r.state.CurveID != tls.X25519MLKEM768 {
		t.Errorf("key exchange %v, want X25519MLKEM768", r.state.CurveID)
	}

	// Modern: TLS 1.3 only, no TLS 1.2 suites needed; a TLS 1.2 client is refused.
	modern := intermediate
	modern.MinVersion, modern.CipherSuites = "1.3", nil
	sc, _ = f.serverConfig(t, modern)
	cc := f.client()
	cc.MaxVersion = tls.VersionTLS12
	if r := handshake(t, sc, cc); r.ok() {
		t.Error("TLS 1.2 client accepted by a TLS 1.3-only listener")
	}
}

// TestCurvesEnforced: a client offering only a group the listener does
// not list is refused.
func TestCurvesEnforced(t *testing.T) {
	f := newFixture(t)
	cfg := intermediate
	cfg.Curves = []string{"secp384r1"}
	sc, _ := f.serverConfig(t, cfg)
	cc := f.client()
	cc.CurvePreferences = []tls.CurveID{tls.X25519}
	if r := handshake(t, sc, cc); r.ok() {
		t.Errorf("X25519 accepted by a listener with secp384r1 only (%v)", r.state.CurveID)
	}
	cc.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP384}
	if r := handshake(t, sc, cc); !r.ok() || r.state.CurveID != tls.CurveP384 {
		t.Errorf("P-384: client %v, server %v, curve %v", r.client, r.server, r.state.CurveID)
	}
}

// TestMozillaProfiles maps every profile of Mozilla's 6.0 guidelines, read
// from the shared reference data.
func TestMozillaProfiles(t *testing.T) {
	dir := os.Getenv("RAMPART_REFERENCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "reference")
	}
	data, err := os.ReadFile(filepath.Join(dir, "mozilla-tls", "6.0.json"))
	if os.IsNotExist(err) {
		t.Skipf("needs Mozilla's guidelines at %s (set RAMPART_REFERENCE): %v", dir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Configurations map[string]struct {
			Ciphers struct {
				IANA []string `json:"iana"`
			} `json:"ciphers"`
			Ciphersuites []string `json:"ciphersuites"`
			TLSCurves    []string `json:"tls_curves"`
			TLSVersions  []string `json:"tls_versions"`
		} `json:"configurations"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	for name, p := range ref.Configurations {
		t.Run(name, func(t *testing.T) {
			cfg := config.TLS{
				MinVersion:   strings.TrimPrefix(p.TLSVersions[0], "TLSv"),
				MaxVersion:   strings.TrimPrefix(p.TLSVersions[len(p.TLSVersions)-1], "TLSv"),
				CipherSuites: append(slices.Clone(p.Ciphers.IANA), p.Ciphersuites...),
				Curves:       p.TLSCurves,
			}
			c, _ := f.serverConfig(t, cfg)
			var names []string
			for _, id := range c.CipherSuites {
				names = append(names, tls.CipherSuiteName(id))
			}
			if d := cmp.Diff(p.Ciphers.IANA, names, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("TLS 1.2 suites (-mozilla +proxy):\n%s", d)
			}
			if len(c.CurvePreferences) != len(p.TLSCurves) || !slices.Contains(c.CurvePreferences, tls.X25519MLKEM768) {
				t.Errorf("curves %v from %v", c.CurvePreferences, p.TLSCurves)
			}
		})
	}
}
