package tlsconf

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// intermediate is Mozilla 6.0 intermediate as the goproxy target emits it.
var intermediate = config.TLS{
	MinVersion: "1.2",
	MaxVersion: "1.3",
	CipherSuites: []string{
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	},
	Curves: []string{"X25519MLKEM768", "X25519", "prime256v1", "secp384r1"},
}

// fixture is a CA and a server certificate for "localhost" on disk.
type fixture struct {
	ca                *testCA
	dir               string
	server            issued
	certFile, keyFile string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ca: newCA(t, "Test Root"), dir: t.TempDir()}
	f.server = f.ca.issue(t, leaf{cn: "localhost", dns: []string{"localhost"}, serial: 100})
	f.certFile, f.keyFile = f.server.write(t, f.dir, "server")
	return f
}

// config is base with the fixture's certificate files.
func (f *fixture) config(base config.TLS) *config.TLS {
	base.CertFile, base.KeyFile = f.certFile, f.keyFile
	return &base
}

// serverConfig is ServerConfig on f.config(base), which must succeed.
func (f *fixture) serverConfig(t *testing.T, base config.TLS) (*tls.Config, *Reloader) {
	t.Helper()
	c, r, err := ServerConfig(f.config(base))
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

// client is a client config trusting the fixture's CA, for "localhost".
func (f *fixture) client() *tls.Config {
	return &tls.Config{RootCAs: pool(f.ca), ServerName: "localhost"}
}

// result is what both ends of a handshake saw.
type result struct {
	state     tls.ConnectionState // the client's
	client    error
	server    error
	serverSaw tls.ConnectionState
}

// ok reports whether both ends completed the handshake and exchanged data.
func (r result) ok() bool { return r.client == nil && r.server == nil }

// handshake connects a client with cc to a server with sc over loopback
// TCP. The server writes a byte after its handshake and the client reads
// it, so a client certificate rejected after the client's side of a TLS
// 1.3 handshake completed still fails the client.
func handshake(t *testing.T, sc, cc *tls.Config) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type served struct {
		state tls.ConnectionState
		err   error
	}
	done := make(chan served, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- served{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(conn, sc)
		if err := tc.Handshake(); err != nil {
			done <- served{err: err}
			return
		}
		_, err = tc.Write([]byte{1})
		done <- served{state: tc.ConnectionState(), err: err}
	}()
	var r result
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(conn, cc)
	if r.client = tc.Handshake(); r.client == nil {
		r.state = tc.ConnectionState()
		_, r.client = io.ReadFull(tc, make([]byte, 1))
	}
	conn.Close()
	s := <-done
	r.server, r.serverSaw = s.err, s.state
	return r
}
