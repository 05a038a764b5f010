package authn

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rampart-policy/rampart/proxy/config"
)

// mtls maps the subject of the verified client certificate to roles. The
// listener's TLS configuration verifies the chain; mtls only reads it.
type mtls struct {
	name        string
	subjectFrom string
	principals  map[string][]string
	now         func() time.Time
}

// newMTLS checks c and indexes its principals by subject.
func newMTLS(name string, c *config.MTLS, opts Options) (*mtls, error) {
	switch c.SubjectFrom {
	case "cn", "san-dns", "san-uri":
	default:
		return nil, fmt.Errorf("mtls: subjectFrom is %q, want cn, san-dns or san-uri", c.SubjectFrom)
	}
	m := &mtls{name: name, subjectFrom: c.SubjectFrom, principals: map[string][]string{}, now: opts.Now}
	for _, p := range c.Principals {
		if p.Subject == "" {
			return nil, errors.New("mtls: a principal has an empty subject")
		}
		if _, dup := m.principals[p.Subject]; dup {
			return nil, fmt.Errorf("mtls: principal %q is listed twice", p.Subject)
		}
		m.principals[p.Subject] = cloneStrings(p.Roles)
	}
	return m, nil
}

// Name is the provider's name.
func (m *mtls) Name() string { return m.name }

// Authenticate reads the leaf of the first verified chain. A connection
// without TLS or without a verified client certificate carries no
// credential for this provider; an unverified certificate is never read.
func (m *mtls) Authenticate(_ context.Context, r *http.Request) (*Principal, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, ErrNoCredentials
	}
	cert := r.TLS.VerifiedChains[0][0]
	if now := m.now(); now.After(cert.NotAfter) || now.Before(cert.NotBefore) {
		// The handshake checked validity when the connection opened; a
		// kept-alive connection can outlive the certificate.
		return nil, fail(m.name, "client certificate expired or not yet valid")
	}
	subject, ok := m.subject(cert)
	if !ok {
		return nil, fail(m.name, "certificate has no "+m.subjectFrom+" subject")
	}
	roles, ok := m.principals[subject]
	if !ok {
		return nil, fail(m.name, "certificate subject not authorised")
	}
	return principal(m.name, subject, roles, nil), nil
}

// subject is the certificate field subjectFrom names: the common name,
// the first DNS SAN or the first URI SAN.
func (m *mtls) subject(cert *x509.Certificate) (string, bool) {
	switch m.subjectFrom {
	case "cn":
		return cert.Subject.CommonName, cert.Subject.CommonName != ""
	case "san-dns":
		if len(cert.DNSNames) > 0 && cert.DNSNames[0] != "" {
			return cert.DNSNames[0], true
		}
	case "san-uri":
		if len(cert.URIs) > 0 && cert.URIs[0] != nil {
			return cert.URIs[0].String(), true
		}
	}
	return "", false
}
