package tlsconf

import (
	"crypto/tls"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-policy/rampart/proxy/config"
)

// mtlsFixture adds a client CA on disk and client certificates: three
// from the client CA, one from a CA the listener does not trust.
type mtlsFixture struct {
	*fixture
	caFile                          string
	good, otherCN, sanOnly, foreign issued
}

func newMTLSFixture(t *testing.T) *mtlsFixture {
	t.Helper()
	f := &mtlsFixture{fixture: newFixture(t)}
	clients := newCA(t, "Client CA")
	f.caFile = filepath.Join(f.dir, "clients.pem")
	writeFile(t, f.caFile, clients.pem)
	f.good = clients.issue(t, leaf{cn: "billing", client: true, dns: []string{"billing.svc.example"},
		uris: []string{"spiffe://example/billing"}})
	f.otherCN = clients.issue(t, leaf{cn: "reports", client: true, dns: []string{"reports.svc.example"}})
	f.sanOnly = clients.issue(t, leaf{cn: "", client: true, uris: []string{"spiffe://example/ledger"}})
	f.foreign = newCA(t, "Client CA").issue(t, leaf{cn: "billing", client: true, dns: []string{"billing.svc.example"}})
	return f
}

// listener is a server config with client auth ca.
func (f *mtlsFixture) listener(t *testing.T, ca config.ClientAuth) *tls.Config {
	t.Helper()
	ca.CAFile = f.caFile
	cfg := intermediate
	cfg.ClientAuth = &ca
	c, _ := f.serverConfig(t, cfg)
	return c
}

// as is a client presenting cert, or none if cert is nil.
func (f *mtlsFixture) as(t *testing.T, cert *issued, version uint16) *tls.Config {
	cc := f.client()
	cc.MaxVersion = version
	if cert != nil {
		cc.Certificates = []tls.Certificate{cert.tlsCert(t)}
	}
	return cc
}

func TestClientAuth(t *testing.T) {
	f := newMTLSFixture(t)
	required := config.ClientAuth{Required: true, Subjects: []string{"billing"}}
	optional := config.ClientAuth{Required: false, Subjects: []string{"billing"}}
	bySAN := config.ClientAuth{Required: true, SANs: []string{"BILLING.svc.example", "spiffe://example/ledger"}}
	both := config.ClientAuth{Required: true, Subjects: []string{"reports"}, SANs: []string{"billing.svc.example"}}
	anyCert := config.ClientAuth{Required: true}
	tests := []struct {
		name   string
		ca     config.ClientAuth
		cert   *issued
		ok     bool
		reason string // in the server's error
	}{
		{"required/none", required, nil, false, "didn't provide a certificate"},
		{"required/foreign CA", required, &f.foreign, false, "unknown authority"},
		{"required/wrong CN", required, &f.otherCN, false, `subject CN "reports" is not allowed`},
		{"required/right CN", required, &f.good, true, ""},
		{"optional/none", optional, nil, true, ""},
		{"optional/foreign CA", optional, &f.foreign, false, "unknown authority"},
		{"optional/wrong CN", optional, &f.otherCN, false, "not allowed"},
		{"optional/right CN", optional, &f.good, true, ""},
		{"san/dns any case", bySAN, &f.good, true, ""},
		{"san/uri", bySAN, &f.sanOnly, true, ""},
		{"san/none allowed", bySAN, &f.otherCN, false, "no allowed DNS or URI SAN"},
		{"both/CN only", both, &f.otherCN, false, "no allowed DNS or URI SAN"},
		{"both/SAN only", both, &f.good, false, "not allowed"},
		{"any/from CA", anyCert, &f.otherCN, true, ""},
		{"any/foreign CA", anyCert, &f.foreign, false, "unknown authority"},
	}
	for _, tt := range tests {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tt.name+"/"+tls.VersionName(v), func(t *testing.T) {
				r := handshake(t, f.listener(t, tt.ca), f.as(t, tt.cert, v))
				if r.ok() != tt.ok {
					t.Fatalf("handshake ok = %v, want %v (client %v, server %v)", r.ok(), tt.ok, r.client, r.server)
				}
				if !tt.ok && !strings.Contains(r.server.Error(), tt.reason) {
					t.Errorf("server error %q, want it to contain %q", r.server, tt.reason)
				}
				if tt.ok && tt.cert != nil && len(r.serverSaw.VerifiedChains) == 0 {
					t.Error("accepted a client certificate without a verified chain")
				}
			})
		}
	}
}

func TestClientAuthModes(t *testing.T) {
	f := newMTLSFixture(t)
	if c := f.listener(t, config.ClientAuth{Required: true}); c.ClientAuth != tls.RequireAndVerifyClientCert || c.VerifyConnection != nil {
		t.Errorf("required without lists: %v, VerifyConnection set %v", c.ClientAuth, c.VerifyConnection != nil)
	}
	if c := f.listener(t, config.ClientAuth{Subjects: []string{"x"}}); c.ClientAuth != tls.VerifyClientCertIfGiven || c.VerifyConnection == nil {
		t.Errorf("optional with subjects: %v, VerifyConnection set %v", c.ClientAuth, c.VerifyConnection != nil)
	}
}

// TestClientAuthResumed: a resumed TLS 1.3 session is checked again, so a
// listener whose allowed subjects changed does not let an old session in.
func TestClientAuthResumed(t *testing.T) {
	f := newMTLSFixture(t)
	keys := [][32]byte{{1, 2, 3}}
	listener := func(subject string) *tls.Config {
		c := f.listener(t, config.ClientAuth{Required: true, Subjects: []string{subject}})
		c.SetSessionTicketKeys(keys)
		return c
	}
	cc := f.as(t, &f.good, tls.VersionTLS13)
	cc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	if r := handshake(t, listener("billing"), cc); !r.ok() || r.state.DidResume {
		t.Fatalf("first handshake: client %v, server %v, resumed %v", r.client, r.server, r.state.DidResume)
	}
	if r := handshake(t, listener("billing"), cc); !r.ok() || !r.state.DidResume {
		t.Fatalf("second handshake: client %v, server %v, resumed %v; want resumed", r.client, r.server, r.state.DidResume)
	}
	if r := handshake(t, listener("reports"), cc); r.ok() || !strings.Contains(r.server.Error(), "not allowed") {
		t.Errorf("session accepted after its subject was removed: client %v, server %v", r.client, r.server)
	}
}
