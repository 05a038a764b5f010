package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/proxy/config"
)

// clientAuth sets up client-certificate verification: against the CA
// bundle, then the leaf's subject CN and SANs against the allowed lists.
func clientAuth(c *tls.Config, ca *config.ClientAuth) error {
	pool, err := certPool(ca.CAFile)
	if err != nil {
		return err
	}
	c.ClientCAs = pool
	c.ClientAuth = tls.VerifyClientCertIfGiven
	if ca.Required {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if len(ca.Subjects) > 0 || len(ca.SANs) > 0 {
		a := allowed{subjects: ca.Subjects, sans: ca.SANs}
		c.VerifyConnection = a.verifyConnection
	}
	return nil
}

// allowed restricts verified client certificates.
type allowed struct {
	subjects []string // exact subject CNs; empty allows any
	sans     []string // DNS (case-insensitive) or URI SANs; empty allows any
}

// verifyConnection runs on every handshake, resumed ones included, after
// chain verification. A connection without a client certificate passes
// here: whether one is required is ClientAuth's business.
func (a allowed) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return errors.New("tls: client certificate not verified")
	}
	return a.check(cs.VerifiedChains[0][0])
}

// check applies both lists to a verified leaf.
func (a allowed) check(leaf *x509.Certificate) error {
	if len(a.subjects) > 0 && !slices.Contains(a.subjects, leaf.Subject.CommonName) {
		return fmt.Errorf("tls: client certificate subject CN %q is not allowed", leaf.Subject.CommonName)
	}
	if len(a.sans) > 0 && !a.sanAllowed(leaf) {
		return errors.New("tls: client certificate has no allowed DNS or URI SAN")
	}
	return nil
}

// sanAllowed reports whether any DNS or URI SAN of leaf is allowed.
func (a allowed) sanAllowed(leaf *x509.Certificate) bool {
	for _, want := range a.sans {
		for _, d := range leaf.DNSNames {
			if strings.EqualFold(d, want) {
				return true
			}
		}
		for _, u := range leaf.URIs {
			if u.String() == want {
				return true
			}
		}
	}
	return false
}
