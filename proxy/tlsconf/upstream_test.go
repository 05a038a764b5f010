package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/proxy/config"
)

// get fetches url with a transport using c.
func get(c *tls.Config, url string) error {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func upstreamConfig(t *testing.T, u config.Upstream) *tls.Config {
	t.Helper()
	c, err := UpstreamConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUpstreamVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "upstream-ca.pem")
	writeFile(t, caFile, pemBlock("CERTIFICATE", srv.Certificate().Raw))

	// Verification on: a self-signed upstream is refused.
	c := upstreamConfig(t, config.Upstream{Name: "records", URL: srv.URL})
	if c.MinVersion != tls.VersionTLS12 || c.InsecureSkipVerify || c.RootCAs != nil {
		t.Errorf("MinVersion %x, InsecureSkipVerify %v, RootCAs set %v", c.MinVersion, c.InsecureSkipVerify, c.RootCAs != nil)
	}
	var unknown x509.UnknownAuthorityError
	if err := get(c, srv.URL); !errors.As(err, &unknown) {
		t.Errorf("self-signed upstream: %v, want an unknown authority error", err)
	}

	// With its CA: accepted, under its own name or the one configured.
	c = upstreamConfig(t, config.Upstream{Name: "records", CAFile: caFile})
	if err := get(c, srv.URL); err != nil {
		t.Errorf("upstream with caFile: %v", err)
	}
	c = upstreamConfig(t, config.Upstream{Name: "records", CAFile: caFile, ServerName: "example.com"})
	if err := get(c, srv.URL); err != nil {
		t.Errorf("upstream with serverName example.com: %v", err)
	}
	c = upstreamConfig(t, config.Upstream{Name: "records", CAFile: caFile, ServerName: "records.internal"})
	var host x509.HostnameError
	if err := get(c, srv.URL); !errors.As(err, &host) {
		t.Errorf("upstream with a serverName its certificate lacks: %v, want a hostname error", err)
	}

	// Verification off, explicitly.
	c = upstreamConfig(t, config.Upstream{Name: "records", InsecureSkipVerify: true})
	if err := get(c, srv.URL); err != nil || !c.InsecureSkipVerify {
		t.Errorf("insecureSkipVerify: %v", err)
	}
}

func TestUpstreamOldTLSRefused(t *testing.T) {
	f := newFixture(t)
	caFile := filepath.Join(f.dir, "ca.pem")
	writeFile(t, caFile, f.ca.pem)
	sc, _ := f.serverConfig(t, intermediate)
	cc := upstreamConfig(t, config.Upstream{Name: "old", CAFile: caFile, ServerName: "localhost"})
	if r := handshake(t, sc, cc); !r.ok() {
		t.Fatalf("TLS 1.3 upstream: client %v, server %v", r.client, r.server)
	}
	sc.MinVersion, sc.MaxVersion, sc.CipherSuites = tls.VersionTLS11, tls.VersionTLS11, nil // an old upstream
	if r := handshake(t, sc, cc); r.ok() || !strings.Contains(r.server.Error(), "unsupported versions") {
		t.Errorf("TLS 1.1 upstream: client %v, server %v; want refused for its version", r.client, r.server)
	}
}

func TestUpstreamClientCertificate(t *testing.T) {
	f := newMTLSFixture(t)
	caFile := filepath.Join(f.dir, "ca.pem")
	writeFile(t, caFile, f.ca.pem)
	sc := f.listener(t, config.ClientAuth{Required: true, Subjects: []string{"billing"}})
	certFile, keyFile := f.good.write(t, f.dir, "client")

	u := config.Upstream{Name: "ledger", CAFile: caFile, ServerName: "localhost"}
	if r := handshake(t, sc, upstreamConfig(t, u)); r.ok() {
		t.Error("upstream requiring a client certificate accepted none")
	}
	u.CertFile, u.KeyFile = certFile, keyFile
	if r := handshake(t, sc, upstreamConfig(t, u)); !r.ok() {
		t.Errorf("with a client certificate: client %v, server %v", r.client, r.server)
	}
}

func TestUpstreamConfigErrors(t *testing.T) {
	f := newFixture(t)
	caFile := filepath.Join(f.dir, "ca.pem")
	writeFile(t, caFile, f.ca.pem)
	tests := []struct {
		name string
		u    config.Upstream
		want string
	}{
		{"ca without verify", config.Upstream{Name: "a", CAFile: caFile, InsecureSkipVerify: true}, "insecureSkipVerify"},
		{"ca missing", config.Upstream{Name: "a", CAFile: caFile + ".x"}, "reading CA bundle"},
		{"cert without key", config.Upstream{Name: "a", CertFile: f.certFile}, "go together"},
		{"key mismatch", config.Upstream{Name: "a", CertFile: f.certFile, KeyFile: writeKey(t, f.dir)}, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := UpstreamConfig(tt.u)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "upstream a") {
				t.Errorf("UpstreamConfig = %v, want an error naming upstream a and containing %q", err, tt.want)
			}
		})
	}
}
