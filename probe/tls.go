package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// versions are the TLS versions probed, by the policy's names.
var versions = []struct {
	name string
	v    uint16
}{{"1.0", tls.VersionTLS10}, {"1.1", tls.VersionTLS11}, {"1.2", tls.VersionTLS12}, {"1.3", tls.VersionTLS13}}

// openSSLNames maps crypto/tls suite IDs to the OpenSSL names policies use.
var openSSLNames = map[uint16]string{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       "ECDHE-ECDSA-AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         "ECDHE-RSA-AES128-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               "AES128-SHA256",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:              "ECDHE-ECDSA-RC4-SHA",
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA:                "ECDHE-RSA-RC4-SHA",
	tls.TLS_RSA_WITH_RC4_128_SHA:                      "RC4-SHA",
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           "ECDHE-RSA-DES-CBC3-SHA",
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 "DES-CBC3-SHA",
}

// tlsChecks probes versions, TLS 1.2 cipher suites and the certificate.
func (pr *prober) tlsChecks(ctx context.Context) error {
	t := pr.l.TLS
	at := drift.At{Control: ir.CtlTLS, Listener: pr.l.Name, Path: pr.addr, Origin: t.Origin}
	var accepted []string
	for _, v := range versions {
		if pr.handshake(ctx, v.v, nil) == nil {
			accepted = append(accepted, v.name)
		}
	}
	if len(accepted) == 0 {
		return fmt.Errorf("probe: no TLS handshake with %s succeeded (is it serving TLS?)", pr.addr)
	}
	var allowed []string
	for _, v := range versions {
		if v.name >= t.MinVersion && v.name <= t.MaxVersion {
			allowed = append(allowed, v.name)
		}
	}
	pr.d.Set(at, "TLS versions accepted", allowed, accepted, drift.HigherWeakens)
	if slices.Contains(accepted, "1.2") {
		pr.cipherCheck(ctx, at)
	}
	return pr.certCheck(ctx, at)
}

// cipherCheck offers each TLS 1.2 suite alone: a suite accepted that the
// policy does not list weakens. Suites refused are not reported, since
// the certificate's key type decides half of them.
func (pr *prober) cipherCheck(ctx context.Context, at drift.At) {
	var unexpected []drift.Finding
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		name, ok := openSSLNames[cs.ID]
		if !ok || !slices.Contains(cs.SupportedVersions, tls.VersionTLS12) {
			continue
		}
		if pr.handshake(ctx, tls.VersionTLS12, []uint16{cs.ID}) == nil && !slices.Contains(pr.l.TLS.Ciphers, name) {
			unexpected = append(unexpected, drift.Finding{Direction: drift.Unexpected, Severity: drift.Weakening, Actual: name,
				Message: fmt.Sprintf("TLS 1.2 cipher suite %s is accepted but the policy does not list it", name)})
		}
	}
	pr.d.Add(at, "TLS 1.2 cipher suites accepted", unexpected...)
}

// certCheck checks the served certificate is within its validity period
// and names the host.
func (pr *prober) certCheck(ctx context.Context, at drift.At) error {
	conn, err := pr.dialTLS(ctx, &tls.Config{ServerName: pr.host, InsecureSkipVerify: true})
	if err != nil {
		return fmt.Errorf("probe: TLS handshake: %w", err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	now := time.Now()
	var fs []drift.Finding
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		fs = append(fs, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: "valid now",
			Actual:  fmt.Sprintf("valid %s to %s", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339)),
			Message: "the served certificate is outside its validity period"})
	}
	if err := leaf.VerifyHostname(pr.host); err != nil {
		fs = append(fs, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: pr.host, Actual: certNames(leaf),
			Message: "the served certificate does not name " + pr.host})
	}
	pr.d.Add(at, "certificate valid for host", fs...)
	return nil
}

func certNames(c *x509.Certificate) string {
	return fmt.Sprintf("CN=%s DNS=%v", c.Subject.CommonName, c.DNSNames)
}

// handshake tries one TLS handshake at exactly version v, offering
// suites (nil: every suite crypto/tls has, insecure ones included).
func (pr *prober) handshake(ctx context.Context, v uint16, suites []uint16) error {
	if suites == nil {
		for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
			suites = append(suites, cs.ID)
		}
	}
	conn, err := pr.dialTLS(ctx, &tls.Config{ServerName: pr.host, InsecureSkipVerify: true, MinVersion: v, MaxVersion: v, CipherSuites: suites})
	if err != nil {
		return err
	}
	return conn.Close()
}

// dialTLS connects and completes a handshake within 10 s.
func (pr *prober) dialTLS(ctx context.Context, cfg *tls.Config) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", pr.addr)
	if err != nil {
		return nil, err
	}
	return c.(*tls.Conn), nil
}
