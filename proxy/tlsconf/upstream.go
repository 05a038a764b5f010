package tlsconf

import (
	"crypto/tls"
	"fmt"

	"github.com/rampart-policy/rampart/proxy/config"
)

// UpstreamConfig builds the TLS configuration for connecting to an
// upstream: TLS 1.2 at least; the certificate verified against CAFile, or
// the system roots without one; ServerName as the SNI and the name
// verified (empty: net/http uses the URL's host); a client certificate if
// CertFile and KeyFile are set. Verification is skipped only when
// InsecureSkipVerify is set, and a CAFile with InsecureSkipVerify is an error: the
// CA would be ignored.
//
// The client certificate is read once; rotating it needs a new config.
func UpstreamConfig(u config.Upstream) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.ServerName, InsecureSkipVerify: u.InsecureSkipVerify}
	if u.CAFile != "" {
		if u.InsecureSkipVerify {
			return nil, fmt.Errorf("upstream %s: tls: caFile is set but insecureSkipVerify turns verification off", u.Name)
		}
		pool, err := certPool(u.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		c.RootCAs = pool
	}
	if (u.CertFile == "") != (u.KeyFile == "") {
		return nil, fmt.Errorf("upstream %s: tls: certFile and keyFile go together", u.Name)
	}
	if u.CertFile != "" {
		cert, err := loadPair(u.CertFile, u.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		c.Certificates = []tls.Certificate{*cert}
	}
	return c, nil
}
